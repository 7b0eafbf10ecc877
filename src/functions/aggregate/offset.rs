//! EARLIEST_BY_OFFSET and LATEST_BY_OFFSET: the first or last values in arrival order.

use std::any::Any;

use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use crate::functions::error::{FunctionError, Result};
use crate::functions::metadata::FunctionMeta;
use crate::functions::values::{as_bool, as_i64, list_scalar};
use crate::sql::SqlType;

use super::state_helpers::{offer_value, retract_unsupported, values_from_bytes, values_to_bytes};
use super::{AggregateFunction, AggregateSpec, AggregateState, same_state};

/// EARLIEST_BY_OFFSET and LATEST_BY_OFFSET.
pub fn functions() -> Vec<AggregateFunction> {
    vec![
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "EARLIEST_BY_OFFSET",
                "The earliest value by offset (or the earliest n as an array); nulls are skipped unless ignoreNulls is false.",
                &[
                    "EARLIEST_BY_OFFSET(T val)",
                    "EARLIEST_BY_OFFSET(T val, BOOLEAN ignoreNulls)",
                    "EARLIEST_BY_OFFSET(T val, INTEGER earliestN)",
                    "EARLIEST_BY_OFFSET(T val, INTEGER earliestN, BOOLEAN ignoreNulls)",
                ],
            ),
            false,
            resolve,
            |spec| ByOffset::new(spec, false).map(|s| Box::new(s) as Box<dyn AggregateState>),
            |spec, bytes| ByOffset::decode(spec, bytes, false),
        ),
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "LATEST_BY_OFFSET",
                "The latest value by offset (or the latest n as an array); nulls are skipped unless ignoreNulls is false.",
                &[
                    "LATEST_BY_OFFSET(T val)",
                    "LATEST_BY_OFFSET(T val, BOOLEAN ignoreNulls)",
                    "LATEST_BY_OFFSET(T val, INTEGER latestN)",
                    "LATEST_BY_OFFSET(T val, INTEGER latestN, BOOLEAN ignoreNulls)",
                ],
            ),
            false,
            resolve,
            |spec| ByOffset::new(spec, true).map(|s| Box::new(s) as Box<dyn AggregateState>),
            |spec, bytes| ByOffset::decode(spec, bytes, true),
        ),
    ]
}

/// The parameters: `(n, ignore_nulls)`, where `n` is `None` for the single-value form.
fn parameters(params: &[ScalarValue]) -> Option<(Option<i64>, bool)> {
    match params {
        [] => Some((None, true)),
        [p] if as_bool(p).is_some() => Some((None, as_bool(p)?)),
        [n] => Some((Some(as_i64(n)?), true)),
        [n, p] => Some((Some(as_i64(n)?), as_bool(p)?)),
        _ => None,
    }
}

fn resolve(args: &[SqlType], params: &[ScalarValue]) -> Option<SqlType> {
    let [ty] = args else {
        return None;
    };
    match parameters(params)? {
        (None, _) => Some(ty.clone()),
        (Some(_), _) => Some(SqlType::Array(Box::new(ty.clone()))),
    }
}

#[derive(Debug, Clone)]
struct ByOffset {
    name: &'static str,
    latest: bool,
    /// How many values to keep; `None` is the single-value form.
    n: Option<usize>,
    ignore_nulls: bool,
    item_type: DataType,
    /// In arrival order.
    values: Vec<ScalarValue>,
}

impl ByOffset {
    fn new(spec: &AggregateSpec, latest: bool) -> Result<Self> {
        let (n, ignore_nulls) = parameters(&spec.params).ok_or_else(|| {
            FunctionError::parameter(
                spec.name,
                "expects literal parameters (INTEGER n, BOOLEAN ignoreNulls)",
            )
        })?;
        let n = match n {
            None => None,
            Some(n) if n > 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            Some(n) => {
                return Err(FunctionError::parameter(
                    spec.name,
                    format!("n must be positive, not {n}"),
                ));
            }
        };
        Ok(ByOffset {
            name: spec.name,
            latest,
            n,
            ignore_nulls,
            item_type: spec.arg_arrow_type(0).clone(),
            values: Vec::new(),
        })
    }

    fn capacity(&self) -> usize {
        self.n.unwrap_or(1)
    }

    fn offer(&mut self, value: &ScalarValue) {
        if self.ignore_nulls && value.is_null() {
            return;
        }
        if self.latest {
            self.values.push(value.clone());
            let excess = self.values.len().saturating_sub(self.capacity());
            self.values.drain(..excess);
        } else if self.values.len() < self.capacity() {
            self.values.push(value.clone());
        }
    }

    fn decode(spec: &AggregateSpec, bytes: &[u8], latest: bool) -> Result<Box<dyn AggregateState>> {
        let mut state = ByOffset::new(spec, latest)?;
        state.values = values_from_bytes(spec, bytes)?;
        Ok(Box::new(state))
    }
}

impl AggregateState for ByOffset {
    fn add(&mut self, args: &[ScalarValue]) -> Result<()> {
        offer_value(args, |v| self.offer(v))
    }

    fn retract(&mut self, _: &[ScalarValue]) -> Result<()> {
        retract_unsupported(self.name)
    }

    fn merge(&mut self, other: &dyn AggregateState) -> Result<()> {
        let other = same_state::<ByOffset>(self.name, other)?;
        for v in &other.values {
            self.offer(v);
        }
        Ok(())
    }

    fn result(&self) -> Result<ScalarValue> {
        match self.n {
            None => Ok(self.values.first().cloned().unwrap_or(ScalarValue::Null)),
            Some(_) => Ok(list_scalar(self.values.clone(), &self.item_type)?),
        }
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        values_to_bytes(self.name, &self.values)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
