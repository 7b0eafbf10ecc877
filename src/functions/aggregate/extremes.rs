//! MIN, MAX, TOPK and TOPKDISTINCT: aggregates that keep the largest or smallest values.

use std::any::Any;
use std::cmp::Ordering;

use datafusion::common::ScalarValue;

use crate::functions::error::{FunctionError, Result};
use crate::functions::metadata::{FunctionMeta, is_comparable};
use crate::functions::values::{as_i64, list_scalar};
use crate::sql::SqlType;

use super::codec::{StateReader, StateWriter};
use super::state_helpers::{offer_value, retract_unsupported, values_from_bytes, values_to_bytes};
use super::{AggregateFunction, AggregateSpec, AggregateState, same_state};

/// MIN, MAX, TOPK and TOPKDISTINCT.
pub fn functions() -> Vec<AggregateFunction> {
    vec![
        AggregateFunction::new(
            FunctionMeta::aggregate("MIN", "The smallest non-null value.", &["MIN(T val)"]),
            false,
            |args, params| match args {
                [t] if is_comparable(t) && params.is_empty() => Some(t.clone()),
                _ => None,
            },
            |spec| Ok(Box::new(Extreme::new(spec, Ordering::Less))),
            |spec, bytes| Extreme::decode(spec, bytes, Ordering::Less),
        ),
        AggregateFunction::new(
            FunctionMeta::aggregate("MAX", "The largest non-null value.", &["MAX(T val)"]),
            false,
            |args, params| match args {
                [t] if is_comparable(t) && params.is_empty() => Some(t.clone()),
                _ => None,
            },
            |spec| Ok(Box::new(Extreme::new(spec, Ordering::Greater))),
            |spec, bytes| Extreme::decode(spec, bytes, Ordering::Greater),
        ),
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "TOPK",
                "The k largest values, largest first.",
                &["TOPK(T val, INTEGER k)"],
            ),
            false,
            resolve_topk,
            |spec| TopK::new(spec, false).map(|s| Box::new(s) as Box<dyn AggregateState>),
            |spec, bytes| TopK::decode(spec, bytes, false),
        ),
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "TOPKDISTINCT",
                "The k largest distinct values, largest first.",
                &["TOPKDISTINCT(T val, INTEGER k)"],
            ),
            false,
            resolve_topk,
            |spec| TopK::new(spec, true).map(|s| Box::new(s) as Box<dyn AggregateState>),
            |spec, bytes| TopK::decode(spec, bytes, true),
        ),
    ]
}

fn resolve_topk(args: &[SqlType], params: &[ScalarValue]) -> Option<SqlType> {
    match (args, params) {
        ([t], [k]) if is_comparable(t) && as_i64(k).is_some() => {
            Some(SqlType::Array(Box::new(t.clone())))
        }
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct Extreme {
    name: &'static str,
    keep: Ordering,
    best: Option<ScalarValue>,
}

impl Extreme {
    fn new(spec: &AggregateSpec, keep: Ordering) -> Self {
        Extreme {
            name: spec.name,
            keep,
            best: None,
        }
    }

    fn offer(&mut self, value: &ScalarValue) {
        if value.is_null() {
            return;
        }
        let better = match &self.best {
            None => true,
            Some(best) => value.partial_cmp(best) == Some(self.keep),
        };
        if better {
            self.best = Some(value.clone());
        }
    }

    fn decode(
        spec: &AggregateSpec,
        bytes: &[u8],
        keep: Ordering,
    ) -> Result<Box<dyn AggregateState>> {
        let mut reader = StateReader::new(bytes).map_err(|e| spec.corrupt(e))?;
        let best = match reader.u8().map_err(|e| spec.corrupt(e))? {
            0 => None,
            _ => Some(reader.scalar().map_err(|e| spec.corrupt(e))?),
        };
        reader.finish().map_err(|e| spec.corrupt(e))?;
        Ok(Box::new(Extreme {
            name: spec.name,
            keep,
            best,
        }))
    }
}

impl AggregateState for Extreme {
    fn add(&mut self, args: &[ScalarValue]) -> Result<()> {
        offer_value(args, |v| self.offer(v))
    }

    fn retract(&mut self, _: &[ScalarValue]) -> Result<()> {
        retract_unsupported(self.name)
    }

    fn merge(&mut self, other: &dyn AggregateState) -> Result<()> {
        if let Some(best) = &same_state::<Extreme>(self.name, other)?.best {
            self.offer(best);
        }
        Ok(())
    }

    fn result(&self) -> Result<ScalarValue> {
        Ok(self.best.clone().unwrap_or(ScalarValue::Null))
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut writer = StateWriter::new();
        match &self.best {
            None => writer.u8(0),
            Some(best) => {
                writer.u8(1);
                writer
                    .scalar(best)
                    .map_err(|e| FunctionError::evaluation(self.name, e))?;
            }
        }
        Ok(writer.finish())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug, Clone)]
struct TopK {
    name: &'static str,
    k: usize,
    distinct: bool,
    item_type: arrow::datatypes::DataType,
    /// Largest first, at most `k` values.
    values: Vec<ScalarValue>,
}

impl TopK {
    fn new(spec: &AggregateSpec, distinct: bool) -> Result<Self> {
        let k = spec
            .param(0)
            .and_then(as_i64)
            .filter(|k| *k > 0)
            .ok_or_else(|| {
                FunctionError::parameter(spec.name, "k must be a positive integer literal")
            })?;
        Ok(TopK {
            name: spec.name,
            k: usize::try_from(k).unwrap_or(usize::MAX),
            distinct,
            item_type: spec.arg_arrow_type(0).clone(),
            values: Vec::new(),
        })
    }

    fn offer(&mut self, value: &ScalarValue) {
        if value.is_null() || (self.distinct && self.values.contains(value)) {
            return;
        }
        // Insert after equal values so equal inputs keep their arrival order.
        let at = self
            .values
            .iter()
            .position(|v| value.partial_cmp(v) == Some(Ordering::Greater))
            .unwrap_or(self.values.len());
        if at < self.k {
            self.values.insert(at, value.clone());
            self.values.truncate(self.k);
        }
    }

    fn decode(
        spec: &AggregateSpec,
        bytes: &[u8],
        distinct: bool,
    ) -> Result<Box<dyn AggregateState>> {
        let mut state = TopK::new(spec, distinct)?;
        state.values = values_from_bytes(spec, bytes)?;
        Ok(Box::new(state))
    }
}

impl AggregateState for TopK {
    fn add(&mut self, args: &[ScalarValue]) -> Result<()> {
        offer_value(args, |v| self.offer(v))
    }

    fn retract(&mut self, _: &[ScalarValue]) -> Result<()> {
        retract_unsupported(self.name)
    }

    fn merge(&mut self, other: &dyn AggregateState) -> Result<()> {
        let other = same_state::<TopK>(self.name, other)?;
        for v in &other.values {
            self.offer(v);
        }
        Ok(())
    }

    fn result(&self) -> Result<ScalarValue> {
        Ok(list_scalar(self.values.clone(), &self.item_type)?)
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        values_to_bytes(self.name, &self.values)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
