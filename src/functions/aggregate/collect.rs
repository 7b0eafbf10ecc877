//! COLLECT_LIST, COLLECT_SET, COUNT_DISTINCT and HISTOGRAM: aggregates over the values seen.

use std::any::Any;
use std::collections::HashSet;

use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use crate::functions::error::{FunctionError, Result};
use crate::functions::metadata::FunctionMeta;
use crate::functions::values::{list_scalar, map_scalar};
use crate::sql::SqlType;

use super::codec::{StateReader, StateWriter};
use super::state_helpers::{offer_value, retract_unsupported, values_from_bytes, values_to_bytes};
use super::{AggregateFunction, AggregateSpec, AggregateState, same_state};

/// ksqlDB's default `ksql.functions.collect_list.limit` / `collect_set.limit`: at most
/// this many values are kept per group, so one hot key cannot exhaust memory.
pub const COLLECTION_LIMIT: usize = 1000;

fn single_column(args: &[SqlType], params: &[ScalarValue]) -> Option<SqlType> {
    match args {
        [t] if params.is_empty() => Some(t.clone()),
        _ => None,
    }
}

/// COLLECT_LIST, COLLECT_SET, COUNT_DISTINCT and HISTOGRAM.
pub fn functions() -> Vec<AggregateFunction> {
    vec![
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "COLLECT_LIST",
                "All values in arrival order (at most 1000).",
                &["COLLECT_LIST(T col)"],
            ),
            true,
            |args, params| single_column(args, params).map(|t| SqlType::Array(Box::new(t))),
            |spec| Ok(Box::new(Collect::new(spec, false))),
            |spec, bytes| Collect::decode(spec, bytes, false),
        ),
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "COLLECT_SET",
                "The distinct values in first-seen order (at most 1000).",
                &["COLLECT_SET(T col)"],
            ),
            true,
            |args, params| single_column(args, params).map(|t| SqlType::Array(Box::new(t))),
            |spec| Ok(Box::new(Collect::new(spec, true))),
            |spec, bytes| Collect::decode(spec, bytes, true),
        ),
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "COUNT_DISTINCT",
                "The number of distinct non-null values.",
                &["COUNT_DISTINCT(T col)"],
            ),
            false,
            |args, params| single_column(args, params).map(|_| SqlType::BigInt),
            |_| Ok(Box::new(CountDistinct::default())),
            CountDistinct::decode,
        ),
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "HISTOGRAM",
                "A map from each distinct string to the number of times it occurs (at most 1000 entries).",
                &["HISTOGRAM(STRING col)"],
            ),
            true,
            |args, params| match args {
                [SqlType::String] if params.is_empty() => Some(SqlType::Map(
                    Box::new(SqlType::String),
                    Box::new(SqlType::BigInt),
                )),
                _ => None,
            },
            |spec| Ok(Box::new(Collect::new(spec, true))),
            |spec, bytes| Collect::decode(spec, bytes, true),
        ),
    ]
}

/// Values with their multiplicity: a list (every occurrence), a set (distinct, counted
/// so that retracting one duplicate keeps the value) or a histogram (counts).
#[derive(Debug, Clone)]
struct Collect {
    name: &'static str,
    distinct: bool,
    item_type: DataType,
    /// For a list, one entry per occurrence with count 1; otherwise one per distinct value.
    entries: Vec<(ScalarValue, i64)>,
}

impl Collect {
    fn new(spec: &AggregateSpec, distinct: bool) -> Self {
        Collect {
            name: spec.name,
            distinct,
            item_type: spec.arg_arrow_type(0).clone(),
            entries: Vec::new(),
        }
    }

    fn is_histogram(&self) -> bool {
        self.name == "HISTOGRAM"
    }

    fn add_value(&mut self, value: &ScalarValue, times: i64) {
        if self.is_histogram() && value.is_null() {
            return;
        }
        if self.distinct
            && let Some(entry) = self.entries.iter_mut().find(|(v, _)| v == value)
        {
            entry.1 += times;
            return;
        }
        if self.entries.len() < COLLECTION_LIMIT {
            self.entries.push((value.clone(), times));
        }
    }

    fn decode(
        spec: &AggregateSpec,
        bytes: &[u8],
        distinct: bool,
    ) -> Result<Box<dyn AggregateState>> {
        let mut state = Collect::new(spec, distinct);
        let mut reader = StateReader::new(bytes).map_err(|e| spec.corrupt(e))?;
        let values = reader.values().map_err(|e| spec.corrupt(e))?;
        for value in values {
            let count = reader.i64().map_err(|e| spec.corrupt(e))?;
            state.entries.push((value, count));
        }
        reader.finish().map_err(|e| spec.corrupt(e))?;
        Ok(Box::new(state))
    }
}

impl AggregateState for Collect {
    fn add(&mut self, args: &[ScalarValue]) -> Result<()> {
        offer_value(args, |v| self.add_value(v, 1))
    }

    fn retract(&mut self, args: &[ScalarValue]) -> Result<()> {
        let Some(value) = args.first() else {
            return Ok(());
        };
        // The latest equal occurrence, as ksqlDB's undo removes it.
        if let Some(at) = self.entries.iter().rposition(|(v, _)| v == value) {
            self.entries[at].1 -= 1;
            if self.entries[at].1 <= 0 {
                self.entries.remove(at);
            }
        }
        Ok(())
    }

    fn merge(&mut self, other: &dyn AggregateState) -> Result<()> {
        let other = same_state::<Collect>(self.name, other)?;
        for (value, count) in &other.entries {
            self.add_value(value, *count);
        }
        Ok(())
    }

    fn result(&self) -> Result<ScalarValue> {
        if self.is_histogram() {
            let entries = self
                .entries
                .iter()
                .map(|(v, c)| (v.clone(), ScalarValue::Int64(Some(*c))))
                .collect();
            return Ok(map_scalar(entries, &DataType::Utf8, &DataType::Int64)?);
        }
        let values = self.entries.iter().map(|(v, _)| v.clone()).collect();
        Ok(list_scalar(values, &self.item_type)?)
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut writer = StateWriter::new();
        let values: Vec<ScalarValue> = self.entries.iter().map(|(v, _)| v.clone()).collect();
        writer
            .values(&values)
            .map_err(|e| FunctionError::evaluation(self.name, e))?;
        for (_, count) in &self.entries {
            writer.i64(*count);
        }
        Ok(writer.finish())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug, Clone, Default)]
struct CountDistinct {
    seen: HashSet<ScalarValue>,
}

impl CountDistinct {
    fn decode(spec: &AggregateSpec, bytes: &[u8]) -> Result<Box<dyn AggregateState>> {
        let seen = values_from_bytes(spec, bytes)?.into_iter().collect();
        Ok(Box::new(CountDistinct { seen }))
    }
}

impl AggregateState for CountDistinct {
    fn add(&mut self, args: &[ScalarValue]) -> Result<()> {
        if let Some(v) = args.first().filter(|v| !v.is_null()) {
            self.seen.insert(v.clone());
        }
        Ok(())
    }

    fn retract(&mut self, _: &[ScalarValue]) -> Result<()> {
        retract_unsupported("COUNT_DISTINCT")
    }

    fn merge(&mut self, other: &dyn AggregateState) -> Result<()> {
        let other = same_state::<CountDistinct>("COUNT_DISTINCT", other)?;
        self.seen.extend(other.seen.iter().cloned());
        Ok(())
    }

    fn result(&self) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(self.seen.len() as i64)))
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        let values: Vec<ScalarValue> = self.seen.iter().cloned().collect();
        values_to_bytes("COUNT_DISTINCT", &values)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
