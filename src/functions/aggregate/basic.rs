//! COUNT, SUM, SUM_LIST and AVG: counters and sums that can be retracted exactly.

use std::any::Any;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use datafusion::common::ScalarValue;

use crate::functions::error::{FunctionError, Result};
use crate::functions::metadata::FunctionMeta;
use crate::functions::values::{as_f64, decimal_to_f64, list_elements};
use crate::sql::SqlType;

use super::codec::{StateReader, StateWriter};
use super::{AggregateFunction, AggregateSpec, AggregateState, for_each_row, same_state};

/// COUNT, SUM, SUM_LIST and AVG.
pub fn functions() -> Vec<AggregateFunction> {
    vec![
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "COUNT",
                "The number of rows (COUNT(*), COUNT()) or of non-null values (COUNT(col)).",
                &["COUNT()", "COUNT(*)", "COUNT(T col)"],
            ),
            true,
            |args, params| (args.len() <= 1 && params.is_empty()).then_some(SqlType::BigInt),
            |spec| {
                Ok(Box::new(Count {
                    all_rows: spec.arg_types.is_empty(),
                    count: 0,
                }))
            },
            |spec, bytes| {
                let mut reader = StateReader::new(bytes).map_err(|e| spec.corrupt(e))?;
                let count = reader.i64().map_err(|e| spec.corrupt(e))?;
                reader.finish().map_err(|e| spec.corrupt(e))?;
                Ok(Box::new(Count {
                    all_rows: spec.arg_types.is_empty(),
                    count,
                }))
            },
        ),
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "SUM",
                "The sum of the non-null values (0 when there are none).",
                &[
                    "SUM(INTEGER val)",
                    "SUM(BIGINT val)",
                    "SUM(DOUBLE val)",
                    "SUM(DECIMAL val)",
                ],
            ),
            true,
            |args, params| match args {
                [t] if t.is_numeric() && params.is_empty() => Some(t.clone()),
                _ => None,
            },
            |spec| Ok(Box::new(Sum::new(spec))),
            |spec, bytes| {
                Sum::new(spec)
                    .decode(spec, bytes)
                    .map(|s| Box::new(s) as Box<dyn AggregateState>)
            },
        ),
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "SUM_LIST",
                "The sum of the non-null elements of every array (0 when there are none).",
                &[
                    "SUM_LIST(ARRAY<INTEGER> list)",
                    "SUM_LIST(ARRAY<BIGINT> list)",
                    "SUM_LIST(ARRAY<DOUBLE> list)",
                ],
            ),
            true,
            |args, params| match args {
                [SqlType::Array(item)] if item.is_numeric() && params.is_empty() => {
                    Some((**item).clone())
                }
                _ => None,
            },
            |spec| Ok(Box::new(SumList(Sum::new(spec)))),
            |spec, bytes| {
                Sum::new(spec)
                    .decode(spec, bytes)
                    .map(|s| Box::new(SumList(s)) as Box<dyn AggregateState>)
            },
        ),
        AggregateFunction::new(
            FunctionMeta::aggregate(
                "AVG",
                "The average of the non-null values, as a DOUBLE (0.0 when there are none).",
                &[
                    "AVG(INTEGER val)",
                    "AVG(BIGINT val)",
                    "AVG(DOUBLE val)",
                    "AVG(DECIMAL val)",
                ],
            ),
            true,
            |args, params| match args {
                [t] if t.is_numeric() && params.is_empty() => Some(SqlType::Double),
                _ => None,
            },
            |spec| {
                Ok(Box::new(Avg {
                    sum: Sum::new(spec),
                    count: 0,
                }))
            },
            |spec, bytes| {
                let mut reader = StateReader::new(bytes).map_err(|e| spec.corrupt(e))?;
                let count = reader.i64().map_err(|e| spec.corrupt(e))?;
                let mut sum = Sum::new(spec);
                sum.read_total(&mut reader).map_err(|e| spec.corrupt(e))?;
                reader.finish().map_err(|e| spec.corrupt(e))?;
                Ok(Box::new(Avg { sum, count }))
            },
        ),
    ]
}

#[derive(Debug, Clone)]
struct Count {
    all_rows: bool,
    count: i64,
}

impl Count {
    fn counts(&self, args: &[ScalarValue]) -> bool {
        self.all_rows || args.first().is_none_or(|v| !v.is_null())
    }
}

impl AggregateState for Count {
    fn add(&mut self, args: &[ScalarValue]) -> Result<()> {
        if self.counts(args) {
            self.count += 1;
        }
        Ok(())
    }

    fn retract(&mut self, args: &[ScalarValue]) -> Result<()> {
        if self.counts(args) {
            self.count -= 1;
        }
        Ok(())
    }

    fn merge(&mut self, other: &dyn AggregateState) -> Result<()> {
        self.count += same_state::<Count>("COUNT", other)?.count;
        Ok(())
    }

    fn result(&self) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(self.count)))
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut writer = StateWriter::new();
        writer.i64(self.count);
        Ok(writer.finish())
    }

    fn write_to(&self, out: &mut StateWriter) -> Result<()> {
        out.nested(|w| {
            w.i64(self.count);
            Ok(())
        })
        .map_err(|e| FunctionError::evaluation("COUNT", e))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn add_rows(&mut self, args: &[ArrayRef], rows: &[usize]) -> Result<()> {
        let counted = match args.first() {
            Some(array) if !self.all_rows => {
                if let Some(bad) = rows.iter().find(|&&i| i >= array.len()) {
                    return Err(FunctionError::evaluation(
                        "COUNT",
                        format!(
                            "row {bad} is outside a batch of {} rows (a bug)",
                            array.len()
                        ),
                    ));
                }
                rows.iter().filter(|&&i| array.is_valid(i)).count()
            }
            _ => rows.len(),
        };
        self.count += counted as i64;
        Ok(())
    }
}

/// The running total of a SUM, exact for integers and decimals.
#[derive(Debug, Clone, PartialEq)]
enum Total {
    /// INT and BIGINT, kept wide: the result wraps like Java's `int`/`long` addition.
    Integer(i128),
    Double(f64),
    /// A decimal mantissa at the argument's scale.
    Decimal(i128),
}

#[derive(Debug, Clone)]
struct Sum {
    return_type: SqlType,
    total: Total,
}

impl Sum {
    fn new(spec: &AggregateSpec) -> Self {
        let arg = match spec.arg_types.first() {
            // SUM_LIST sums the elements of its array argument.
            Some(SqlType::Array(item)) => (**item).clone(),
            Some(other) => other.clone(),
            None => SqlType::BigInt,
        };
        let total = match arg {
            SqlType::Double => Total::Double(0.0),
            SqlType::Decimal { .. } => Total::Decimal(0),
            _ => Total::Integer(0),
        };
        Sum {
            return_type: arg,
            total,
        }
    }

    fn apply(&mut self, value: &ScalarValue, sign: i128) -> Result<()> {
        if value.is_null() {
            return Ok(());
        }
        match (&mut self.total, value) {
            (Total::Decimal(total), ScalarValue::Decimal128(Some(m), _, _)) => {
                // Checked before storing, so a failed add leaves the state unchanged.
                let updated = total
                    .checked_add(sign * m)
                    .ok_or_else(|| FunctionError::evaluation("SUM", "Numeric field overflow"))?;
                if let SqlType::Decimal { precision, .. } = self.return_type {
                    let limit = 10i128
                        .checked_pow(u32::from(precision))
                        .unwrap_or(i128::MAX);
                    if updated.abs() >= limit {
                        return Err(FunctionError::evaluation("SUM", "Numeric field overflow"));
                    }
                }
                *total = updated;
            }
            (Total::Double(total), v) => {
                *total += sign as f64 * as_f64(v).unwrap_or(0.0);
            }
            (Total::Integer(total), v) => {
                let v = crate::functions::values::as_i64(v).unwrap_or(0);
                *total = total.wrapping_add(sign * i128::from(v));
            }
            (_, other) => {
                return Err(FunctionError::evaluation(
                    "SUM",
                    format!("unexpected value {other}"),
                ));
            }
        }
        Ok(())
    }

    fn value(&self) -> ScalarValue {
        match (&self.total, &self.return_type) {
            (Total::Integer(t), SqlType::Int) => ScalarValue::Int32(Some(*t as i32)),
            (Total::Integer(t), _) => ScalarValue::Int64(Some(*t as i64)),
            (Total::Double(t), _) => ScalarValue::Float64(Some(*t)),
            (Total::Decimal(t), SqlType::Decimal { precision, scale }) => {
                ScalarValue::Decimal128(Some(*t), *precision, *scale as i8)
            }
            (Total::Decimal(t), _) => ScalarValue::Decimal128(Some(*t), 38, 0),
        }
    }

    fn as_double(&self) -> f64 {
        match (&self.total, &self.return_type) {
            (Total::Integer(t), _) => *t as f64,
            (Total::Double(t), _) => *t,
            (Total::Decimal(t), SqlType::Decimal { scale, .. }) => decimal_to_f64(*t, *scale as i8),
            (Total::Decimal(t), _) => *t as f64,
        }
    }

    fn write_total(&self, writer: &mut StateWriter) {
        match self.total {
            Total::Integer(t) | Total::Decimal(t) => writer.i128(t),
            Total::Double(t) => writer.f64(t),
        }
    }

    fn read_total(&mut self, reader: &mut StateReader<'_>) -> Result<(), String> {
        self.total = match self.total {
            Total::Integer(_) => Total::Integer(reader.i128()?),
            Total::Decimal(_) => Total::Decimal(reader.i128()?),
            Total::Double(_) => Total::Double(reader.f64()?),
        };
        Ok(())
    }

    fn decode(mut self, spec: &AggregateSpec, bytes: &[u8]) -> Result<Self> {
        let mut reader = StateReader::new(bytes).map_err(|e| spec.corrupt(e))?;
        self.read_total(&mut reader).map_err(|e| spec.corrupt(e))?;
        reader.finish().map_err(|e| spec.corrupt(e))?;
        Ok(self)
    }

    /// Adds the listed rows of an INT, BIGINT or DOUBLE column straight from the Arrow
    /// array; returns how many non-null values it added, or `None` for other types.
    fn add_array_rows(&mut self, array: &ArrayRef, rows: &[usize]) -> Result<Option<i64>> {
        if let Some(bad) = rows.iter().find(|&&i| i >= array.len()) {
            return Err(FunctionError::evaluation(
                "SUM",
                format!(
                    "row {bad} is outside a batch of {} rows (a bug)",
                    array.len()
                ),
            ));
        }
        let mut added = 0i64;
        match (&mut self.total, array.data_type()) {
            (Total::Integer(total), DataType::Int32) => {
                let values = array.as_primitive::<Int32Type>();
                for &i in rows.iter().filter(|&&i| values.is_valid(i)) {
                    *total = total.wrapping_add(i128::from(values.value(i)));
                    added += 1;
                }
            }
            (Total::Integer(total), DataType::Int64) => {
                let values = array.as_primitive::<Int64Type>();
                for &i in rows.iter().filter(|&&i| values.is_valid(i)) {
                    *total = total.wrapping_add(i128::from(values.value(i)));
                    added += 1;
                }
            }
            (Total::Double(total), DataType::Float64) => {
                let values = array.as_primitive::<Float64Type>();
                for &i in rows.iter().filter(|&&i| values.is_valid(i)) {
                    *total += values.value(i);
                    added += 1;
                }
            }
            _ => return Ok(None),
        }
        Ok(Some(added))
    }

    fn merge_total(&mut self, other: &Sum) -> Result<()> {
        match (&mut self.total, &other.total) {
            (Total::Integer(a), Total::Integer(b)) => *a = a.wrapping_add(*b),
            (Total::Double(a), Total::Double(b)) => *a += b,
            (Total::Decimal(a), Total::Decimal(b)) => {
                *a = a
                    .checked_add(*b)
                    .ok_or_else(|| FunctionError::evaluation("SUM", "Numeric field overflow"))?;
            }
            _ => {
                return Err(FunctionError::evaluation(
                    "SUM",
                    "cannot merge sums of different types (a bug)",
                ));
            }
        }
        Ok(())
    }
}

impl AggregateState for Sum {
    fn add(&mut self, args: &[ScalarValue]) -> Result<()> {
        args.first().map_or(Ok(()), |v| self.apply(v, 1))
    }

    fn retract(&mut self, args: &[ScalarValue]) -> Result<()> {
        args.first().map_or(Ok(()), |v| self.apply(v, -1))
    }

    fn merge(&mut self, other: &dyn AggregateState) -> Result<()> {
        let other = same_state::<Sum>("SUM", other)?;
        self.merge_total(other)
    }

    fn add_rows(&mut self, args: &[ArrayRef], rows: &[usize]) -> Result<()> {
        if let Some(array) = args.first()
            && self.add_array_rows(array, rows)?.is_some()
        {
            return Ok(());
        }
        for_each_row(args, rows, |row| self.add(row))
    }

    fn result(&self) -> Result<ScalarValue> {
        Ok(self.value())
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut writer = StateWriter::new();
        self.write_total(&mut writer);
        Ok(writer.finish())
    }

    fn write_to(&self, out: &mut StateWriter) -> Result<()> {
        out.nested(|w| {
            self.write_total(w);
            Ok(())
        })
        .map_err(|e| FunctionError::evaluation("SUM", e))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug, Clone)]
struct Avg {
    sum: Sum,
    count: i64,
}

impl AggregateState for Avg {
    fn add(&mut self, args: &[ScalarValue]) -> Result<()> {
        if let Some(v) = args.first().filter(|v| !v.is_null()) {
            self.sum.apply(v, 1)?;
            self.count += 1;
        }
        Ok(())
    }

    fn retract(&mut self, args: &[ScalarValue]) -> Result<()> {
        if let Some(v) = args.first().filter(|v| !v.is_null()) {
            self.sum.apply(v, -1)?;
            self.count -= 1;
        }
        Ok(())
    }

    fn add_rows(&mut self, args: &[ArrayRef], rows: &[usize]) -> Result<()> {
        if let Some(array) = args.first()
            && let Some(added) = self.sum.add_array_rows(array, rows)?
        {
            self.count += added;
            return Ok(());
        }
        for_each_row(args, rows, |row| self.add(row))
    }

    fn merge(&mut self, other: &dyn AggregateState) -> Result<()> {
        let other = same_state::<Avg>("AVG", other)?;
        self.sum.merge_total(&other.sum)?;
        self.count += other.count;
        Ok(())
    }

    fn result(&self) -> Result<ScalarValue> {
        if self.count == 0 {
            return Ok(ScalarValue::Float64(Some(0.0)));
        }
        Ok(ScalarValue::Float64(Some(
            self.sum.as_double() / self.count as f64,
        )))
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut writer = StateWriter::new();
        writer.i64(self.count);
        self.sum.write_total(&mut writer);
        Ok(writer.finish())
    }

    fn write_to(&self, out: &mut StateWriter) -> Result<()> {
        out.nested(|w| {
            w.i64(self.count);
            self.sum.write_total(w);
            Ok(())
        })
        .map_err(|e| FunctionError::evaluation("AVG", e))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// SUM_LIST: a SUM fed with every element of each array.
#[derive(Debug, Clone)]
struct SumList(Sum);

impl SumList {
    fn apply_all(&mut self, args: &[ScalarValue], sign: i128) -> Result<()> {
        let Some(list) = args.first() else {
            return Ok(());
        };
        for item in list_elements(list)?.unwrap_or_default() {
            self.0.apply(&item, sign)?;
        }
        Ok(())
    }
}

impl AggregateState for SumList {
    fn add(&mut self, args: &[ScalarValue]) -> Result<()> {
        self.apply_all(args, 1)
    }

    fn retract(&mut self, args: &[ScalarValue]) -> Result<()> {
        self.apply_all(args, -1)
    }

    fn merge(&mut self, other: &dyn AggregateState) -> Result<()> {
        let other = same_state::<SumList>("SUM_LIST", other)?;
        self.0.merge_total(&other.0)
    }

    fn result(&self) -> Result<ScalarValue> {
        Ok(self.0.value())
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        self.0.to_bytes()
    }

    fn write_to(&self, out: &mut StateWriter) -> Result<()> {
        self.0.write_to(out)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::registry::FunctionRegistry;

    /// The in-place `write_to` of the hot-path states must write what the generic
    /// length-prefixed `to_bytes` did, so existing changelogs still restore.
    #[test]
    fn writing_in_place_matches_the_length_prefixed_bytes() {
        let registry = FunctionRegistry::global();
        let calls = [
            ("COUNT", vec![], ScalarValue::Null),
            (
                "SUM",
                vec![SqlType::Double],
                ScalarValue::Float64(Some(2.5)),
            ),
            ("SUM", vec![SqlType::BigInt], ScalarValue::Int64(Some(-9))),
            ("AVG", vec![SqlType::Int], ScalarValue::Int32(Some(4))),
        ];
        for (name, arg_types, value) in calls {
            let function = registry.aggregate(name).expect("builtin");
            let spec = function.spec(&arg_types, &[]).expect("valid call");
            let mut state = function.create(&spec).expect("state");
            state.add(std::slice::from_ref(&value)).expect("adds");
            state.add(std::slice::from_ref(&value)).expect("adds");
            let mut generic = StateWriter::new();
            generic
                .bytes(&state.to_bytes().expect("bytes"))
                .expect("fits");
            let mut in_place = StateWriter::new();
            state.write_to(&mut in_place).expect("writes");
            assert_eq!(in_place.finish(), generic.finish(), "{name}");
        }
    }
}
