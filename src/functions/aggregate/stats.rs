//! STDDEV_SAMP and CORRELATION: running moments that support retraction and merging.

use std::any::Any;

use datafusion::common::ScalarValue;

use crate::functions::error::Result;
use crate::functions::metadata::FunctionMeta;
use crate::functions::values::as_f64;
use crate::sql::SqlType;

use super::codec::{StateReader, StateWriter};
use super::{AggregateFunction, AggregateSpec, AggregateState, same_state};

fn plain_numeric(ty: &SqlType) -> bool {
    matches!(
        ty,
        SqlType::Int | SqlType::BigInt | SqlType::Double | SqlType::Decimal { .. }
    )
}

/// STDDEV_SAMP and CORRELATION.
pub fn functions() -> Vec<AggregateFunction> {
    vec![
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "STDDEV_SAMP",
                "The sample standard deviation of the non-null values (0.0 for fewer than two).",
                &[
                    "STDDEV_SAMP(INTEGER val)",
                    "STDDEV_SAMP(BIGINT val)",
                    "STDDEV_SAMP(DOUBLE val)",
                ],
            ),
            true,
            |args, params| match args {
                [t] if plain_numeric(t) && params.is_empty() => Some(SqlType::Double),
                _ => None,
            },
            |_| Ok(Box::new(StdDev::default())),
            |spec, bytes| {
                let mut reader = StateReader::new(bytes).map_err(|e| spec.corrupt(e))?;
                let state = StdDev {
                    count: reader.i64().map_err(|e| spec.corrupt(e))?,
                    mean: reader.f64().map_err(|e| spec.corrupt(e))?,
                    m2: reader.f64().map_err(|e| spec.corrupt(e))?,
                };
                reader.finish().map_err(|e| spec.corrupt(e))?;
                Ok(Box::new(state))
            },
        ),
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "CORRELATION",
                "The Pearson correlation of two columns over rows where both are non-null (NaN for fewer than two).",
                &["CORRELATION(DOUBLE x, DOUBLE y)"],
            ),
            true,
            |args, params| match args {
                [x, y] if plain_numeric(x) && plain_numeric(y) && params.is_empty() => {
                    Some(SqlType::Double)
                }
                _ => None,
            },
            |_| Ok(Box::new(Correlation::default())),
            Correlation::decode,
        ),
    ]
}

/// Count, mean and sum of squared deviations (Welford), reversible for retraction.
#[derive(Debug, Clone, Default, PartialEq)]
struct StdDev {
    count: i64,
    mean: f64,
    m2: f64,
}

impl StdDev {
    fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }

    fn pop(&mut self, x: f64) {
        if self.count <= 1 {
            *self = StdDev::default();
            return;
        }
        let previous_mean = (self.count as f64 * self.mean - x) / (self.count - 1) as f64;
        self.m2 -= (x - previous_mean) * (x - self.mean);
        self.mean = previous_mean;
        self.count -= 1;
    }
}

impl AggregateState for StdDev {
    fn add(&mut self, args: &[ScalarValue]) -> Result<()> {
        if let Some(x) = args.first().and_then(as_f64) {
            self.push(x);
        }
        Ok(())
    }

    fn retract(&mut self, args: &[ScalarValue]) -> Result<()> {
        if let Some(x) = args.first().and_then(as_f64) {
            self.pop(x);
        }
        Ok(())
    }

    fn merge(&mut self, other: &dyn AggregateState) -> Result<()> {
        let other = same_state::<StdDev>("STDDEV_SAMP", other)?;
        if other.count == 0 {
            return Ok(());
        }
        if self.count == 0 {
            *self = other.clone();
            return Ok(());
        }
        let count = self.count + other.count;
        let delta = other.mean - self.mean;
        self.mean += delta * other.count as f64 / count as f64;
        self.m2 += other.m2 + delta * delta * self.count as f64 * other.count as f64 / count as f64;
        self.count = count;
        Ok(())
    }

    fn result(&self) -> Result<ScalarValue> {
        if self.count < 2 {
            return Ok(ScalarValue::Float64(Some(0.0)));
        }
        let variance = (self.m2 / (self.count - 1) as f64).max(0.0);
        Ok(ScalarValue::Float64(Some(variance.sqrt())))
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut writer = StateWriter::new();
        writer.i64(self.count);
        writer.f64(self.mean);
        writer.f64(self.m2);
        Ok(writer.finish())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Co-moments of (x, y) pairs, reversible for retraction.
#[derive(Debug, Clone, Default, PartialEq)]
struct Correlation {
    count: i64,
    mean_x: f64,
    mean_y: f64,
    m2_x: f64,
    m2_y: f64,
    c_xy: f64,
}

impl Correlation {
    fn pair(args: &[ScalarValue]) -> Option<(f64, f64)> {
        Some((as_f64(args.first()?)?, as_f64(args.get(1)?)?))
    }

    fn push(&mut self, x: f64, y: f64) {
        self.count += 1;
        let n = self.count as f64;
        let dx = x - self.mean_x;
        let dy = y - self.mean_y;
        self.mean_x += dx / n;
        self.mean_y += dy / n;
        self.m2_x += dx * (x - self.mean_x);
        self.m2_y += dy * (y - self.mean_y);
        self.c_xy += dx * (y - self.mean_y);
    }

    fn pop(&mut self, x: f64, y: f64) {
        if self.count <= 1 {
            *self = Correlation::default();
            return;
        }
        let n = self.count as f64;
        let previous_x = (n * self.mean_x - x) / (n - 1.0);
        let previous_y = (n * self.mean_y - y) / (n - 1.0);
        self.m2_x -= (x - previous_x) * (x - self.mean_x);
        self.m2_y -= (y - previous_y) * (y - self.mean_y);
        self.c_xy -= (x - previous_x) * (y - self.mean_y);
        self.mean_x = previous_x;
        self.mean_y = previous_y;
        self.count -= 1;
    }

    fn decode(spec: &AggregateSpec, bytes: &[u8]) -> Result<Box<dyn AggregateState>> {
        let corrupt = |e: String| spec.corrupt(e);
        let mut reader = StateReader::new(bytes).map_err(corrupt)?;
        let state = Correlation {
            count: reader.i64().map_err(corrupt)?,
            mean_x: reader.f64().map_err(corrupt)?,
            mean_y: reader.f64().map_err(corrupt)?,
            m2_x: reader.f64().map_err(corrupt)?,
            m2_y: reader.f64().map_err(corrupt)?,
            c_xy: reader.f64().map_err(corrupt)?,
        };
        reader.finish().map_err(corrupt)?;
        Ok(Box::new(state))
    }
}

impl AggregateState for Correlation {
    fn add(&mut self, args: &[ScalarValue]) -> Result<()> {
        if let Some((x, y)) = Correlation::pair(args) {
            self.push(x, y);
        }
        Ok(())
    }

    fn retract(&mut self, args: &[ScalarValue]) -> Result<()> {
        if let Some((x, y)) = Correlation::pair(args) {
            self.pop(x, y);
        }
        Ok(())
    }

    fn merge(&mut self, other: &dyn AggregateState) -> Result<()> {
        let other = same_state::<Correlation>("CORRELATION", other)?;
        if other.count == 0 {
            return Ok(());
        }
        if self.count == 0 {
            *self = other.clone();
            return Ok(());
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let dx = other.mean_x - self.mean_x;
        let dy = other.mean_y - self.mean_y;
        self.m2_x += other.m2_x + dx * dx * na * nb / n;
        self.m2_y += other.m2_y + dy * dy * na * nb / n;
        self.c_xy += other.c_xy + dx * dy * na * nb / n;
        self.mean_x += dx * nb / n;
        self.mean_y += dy * nb / n;
        self.count += other.count;
        Ok(())
    }

    fn result(&self) -> Result<ScalarValue> {
        if self.count < 2 {
            return Ok(ScalarValue::Float64(Some(f64::NAN)));
        }
        Ok(ScalarValue::Float64(Some(
            self.c_xy / (self.m2_x * self.m2_y).sqrt(),
        )))
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut writer = StateWriter::new();
        writer.i64(self.count);
        for v in [self.mean_x, self.mean_y, self.m2_x, self.m2_y, self.c_xy] {
            writer.f64(v);
        }
        Ok(writer.finish())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
