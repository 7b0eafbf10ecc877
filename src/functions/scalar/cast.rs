//! ksqlDB's explicit CAST where Arrow's differs: narrowing wraps as Java's does,
//! collections cast element by element, and collections print as Java prints them.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, ListArray, MapArray, StringBuilder, StructArray, new_null_array,
};
use arrow::compute::kernels::arity::unary;
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int32Type, Int64Type};
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::format::{write_decimal, write_java_double};

/// The name of the UDF behind [`ksql_cast`].
pub const KSQL_CAST_NAME: &str = "ksql_cast";

/// `CAST(expr AS target)` with ksqlDB's semantics, for the casts [`needs_ksql_cast`] names.
pub fn ksql_cast(expr: Expr, target: DataType) -> Expr {
    ScalarUDF::new_from_impl(KsqlCast::new(target)).call(vec![expr])
}

/// True when casting `from` to `to` differs between ksqlDB and Arrow: integer narrowing
/// (Java wraps or saturates where Arrow fails), collections to STRING, and collections
/// whose elements need either.
pub fn needs_ksql_cast(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    match (from, to) {
        (Int64 | Float64 | Decimal128(..), Int32) | (Float64 | Decimal128(..), Int64) => true,
        (List(_) | Map(..) | Struct(_), Utf8) => true,
        (List(a), List(b)) => needs_ksql_cast(a.data_type(), b.data_type()),
        (Map(a, _), Map(b, _)) => needs_ksql_cast(a.data_type(), b.data_type()),
        (Struct(a), Struct(b)) => {
            a.len() != b.len()
                || a.iter().zip(b.iter()).any(|(a, b)| {
                    !a.name().eq_ignore_ascii_case(b.name())
                        || needs_ksql_cast(a.data_type(), b.data_type())
                })
        }
        _ => false,
    }
}

/// The UDF behind [`ksql_cast`]: one instance per target type.
#[derive(Debug)]
struct KsqlCast {
    target: DataType,
    signature: Signature,
}

impl KsqlCast {
    fn new(target: DataType) -> Self {
        KsqlCast {
            target,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl PartialEq for KsqlCast {
    fn eq(&self, other: &Self) -> bool {
        self.target == other.target
    }
}

impl Eq for KsqlCast {}

impl Hash for KsqlCast {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.target.hash(state);
    }
}

impl ScalarUDFImpl for KsqlCast {
    fn name(&self) -> &str {
        KSQL_CAST_NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DFResult<DataType> {
        Ok(self.target.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DFResult<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return Err(DataFusionError::Internal(
                "CAST takes exactly one value (a bug)".into(),
            ));
        };
        let array = value.to_array(args.number_rows)?;
        Ok(ColumnarValue::Array(cast_array(&array, &self.target)?))
    }
}

/// Casts every value of `array` to `target` as ksqlDB does.
pub fn cast_array(array: &ArrayRef, target: &DataType) -> DFResult<ArrayRef> {
    use DataType::*;
    let out: ArrayRef = match (array.data_type(), target) {
        (from, to) if from == to => Arc::clone(array),
        // Java's `(int) long` keeps the low 32 bits.
        (Int64, Int32) => Arc::new(unary::<Int64Type, _, Int32Type>(
            array.as_primitive(),
            |v| v as i32,
        )),
        // Java's `(int) double` saturates and maps NaN to 0, as Rust's `as` does.
        (Float64, Int32) => Arc::new(unary::<Float64Type, _, Int32Type>(
            array.as_primitive(),
            |v| v as i32,
        )),
        (Float64, Int64) => Arc::new(unary::<Float64Type, _, Int64Type>(
            array.as_primitive(),
            |v| v as i64,
        )),
        // BigDecimal.intValue(): drop the fraction, then keep the low bits.
        (Decimal128(_, scale), Int32) => {
            let divisor = 10i128.pow(u32::try_from(*scale).unwrap_or(0));
            Arc::new(unary::<Decimal128Type, _, Int32Type>(
                array.as_primitive(),
                move |v| (v / divisor) as i32,
            ))
        }
        (Decimal128(_, scale), Int64) => {
            let divisor = 10i128.pow(u32::try_from(*scale).unwrap_or(0));
            Arc::new(unary::<Decimal128Type, _, Int64Type>(
                array.as_primitive(),
                move |v| (v / divisor) as i64,
            ))
        }
        (List(_) | Map(..) | Struct(_), Utf8) => {
            let mut out = StringBuilder::with_capacity(array.len(), array.len() * 16);
            let mut text = String::new();
            for row in 0..array.len() {
                if array.is_null(row) {
                    out.append_null();
                } else {
                    text.clear();
                    write_java_value(array.as_ref(), row, &mut text);
                    out.append_value(&text);
                }
            }
            Arc::new(out.finish())
        }
        (List(_), List(field)) => {
            let list = array.as_list::<i32>();
            let values = cast_array(list.values(), field.data_type())?;
            Arc::new(ListArray::try_new(
                Arc::clone(field),
                list.offsets().clone(),
                values,
                list.nulls().cloned(),
            )?)
        }
        (Map(..), Map(entries_field, sorted)) => {
            let map = array.as_map();
            let DataType::Struct(entry_fields) = entries_field.data_type() else {
                return Err(DataFusionError::Internal(format!(
                    "map type {target} has no entries struct (a bug)"
                )));
            };
            let entries = map.entries();
            let columns = entries
                .columns()
                .iter()
                .zip(entry_fields.iter())
                .map(|(column, field)| cast_array(column, field.data_type()))
                .collect::<DFResult<Vec<_>>>()?;
            let entries =
                StructArray::try_new(entry_fields.clone(), columns, entries.nulls().cloned())?;
            Arc::new(MapArray::try_new(
                Arc::clone(entries_field),
                map.offsets().clone(),
                entries,
                map.nulls().cloned(),
                *sorted,
            )?)
        }
        (Struct(from_fields), Struct(to_fields)) => {
            let source = array.as_struct();
            let columns = to_fields
                .iter()
                .map(|field| {
                    let found = from_fields
                        .iter()
                        .position(|f| f.name() == field.name())
                        .or_else(|| {
                            from_fields
                                .iter()
                                .position(|f| f.name().eq_ignore_ascii_case(field.name()))
                        });
                    match found {
                        Some(index) => cast_array(source.column(index), field.data_type()),
                        None => Ok(new_null_array(field.data_type(), array.len())),
                    }
                })
                .collect::<DFResult<Vec<_>>>()?;
            Arc::new(StructArray::try_new(
                to_fields.clone(),
                columns,
                source.nulls().cloned(),
            )?)
        }
        (_, to) => cast_with_options(
            array,
            to,
            &CastOptions {
                safe: false,
                ..CastOptions::default()
            },
        )?,
    };
    Ok(out)
}

/// Writes one value as Java's `toString` prints it, which is what ksqlDB's CAST to
/// STRING gives for collections: `[1, 2]`, `{a=1, b=2}`, `Struct{A=1,B=x}` (a struct
/// leaves out its null fields).
pub fn write_java_value(array: &dyn Array, row: usize, out: &mut String) {
    use std::fmt::Write as _;
    if array.is_null(row) {
        out.push_str("null");
        return;
    }
    match array.data_type() {
        DataType::Utf8 => out.push_str(array.as_string::<i32>().value(row)),
        DataType::Float64 => write_java_double(array.as_primitive::<Float64Type>().value(row), out),
        DataType::Decimal128(_, scale) => write_decimal(
            array.as_primitive::<Decimal128Type>().value(row),
            u8::try_from(*scale).unwrap_or(0),
            out,
        ),
        DataType::List(_) => {
            let items = array.as_list::<i32>().value(row);
            out.push('[');
            for i in 0..items.len() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_java_value(items.as_ref(), i, out);
            }
            out.push(']');
        }
        DataType::Map(..) => {
            let entries = array.as_map().value(row);
            out.push('{');
            for i in 0..entries.len() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_java_value(entries.column(0).as_ref(), i, out);
                out.push('=');
                write_java_value(entries.column(1).as_ref(), i, out);
            }
            out.push('}');
        }
        DataType::Struct(fields) => {
            let record = array.as_struct();
            out.push_str("Struct{");
            let mut first = true;
            for (field, column) in fields.iter().zip(record.columns()) {
                if column.is_null(row) {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(field.name());
                out.push('=');
                write_java_value(column.as_ref(), row, out);
            }
            out.push('}');
        }
        _ => match arrow::util::display::array_value_to_string(array, row) {
            Ok(text) => out.push_str(&text),
            Err(err) => {
                let _ = write!(out, "<{err}>");
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{
        Decimal128Array, Float64Array, Int32Array, Int64Array, ListBuilder, MapBuilder,
        StringArray, StringBuilder,
    };
    use arrow::array::{Int32Builder, Int64Builder};
    use arrow::datatypes::{Field, Fields};

    use super::*;

    #[test]
    fn narrowing_wraps_and_saturates_as_java_does() {
        let longs: ArrayRef = Arc::new(Int64Array::from(vec![Some(2147483648), None, Some(-1)]));
        let ints = cast_array(&longs, &DataType::Int32).expect("cast");
        assert_eq!(
            ints.as_primitive::<Int32Type>(),
            &Int32Array::from(vec![Some(-2147483648), None, Some(-1)])
        );
        let doubles: ArrayRef = Arc::new(Float64Array::from(vec![1e20, -2.9, f64::NAN]));
        let ints = cast_array(&doubles, &DataType::Int32).expect("cast");
        assert_eq!(
            ints.as_primitive::<Int32Type>(),
            &Int32Array::from(vec![i32::MAX, -2, 0])
        );
        let decimals: ArrayRef = Arc::new(
            Decimal128Array::from(vec![-1234567])
                .with_precision_and_scale(10, 2)
                .expect("decimal type"),
        );
        let longs = cast_array(&decimals, &DataType::Int64).expect("cast");
        assert_eq!(longs.as_primitive::<Int64Type>().value(0), -12345);
    }

    #[test]
    fn list_and_map_elements_narrow() {
        let mut list = ListBuilder::new(Int64Builder::new());
        list.values().append_value(1);
        list.values().append_value(2147483648);
        list.append(true);
        list.append(false);
        let list: ArrayRef = Arc::new(list.finish());
        let target = DataType::List(Arc::new(Field::new("item", DataType::Int32, true)));
        assert!(needs_ksql_cast(list.data_type(), &target));
        let cast = cast_array(&list, &target).expect("cast");
        let cast = cast.as_list::<i32>();
        assert!(cast.is_null(1));
        assert_eq!(
            cast.value(0).as_primitive::<Int32Type>(),
            &Int32Array::from(vec![1, -2147483648])
        );

        let mut map = MapBuilder::new(None, StringBuilder::new(), Int64Builder::new());
        map.keys().append_value("this");
        map.values().append_value(2147483648);
        map.append(true).expect("map row");
        let map: ArrayRef = Arc::new(map.finish());
        let DataType::Map(entries, sorted) = map.data_type() else {
            panic!("a map type");
        };
        let DataType::Struct(fields) = entries.data_type() else {
            panic!("map entries are a struct");
        };
        let int_fields: Fields = vec![
            Arc::clone(&fields[0]),
            Arc::new(Field::new(fields[1].name(), DataType::Int32, true)),
        ]
        .into();
        let target = DataType::Map(
            Arc::new(Field::new(
                entries.name(),
                DataType::Struct(int_fields),
                false,
            )),
            *sorted,
        );
        let cast = cast_array(&map, &target).expect("cast");
        let entry = cast.as_map().value(0);
        assert_eq!(
            entry.column(1).as_primitive::<Int32Type>().value(0),
            i32::MIN
        );
    }

    #[test]
    fn collections_print_as_java_prints_them() {
        let mut map = MapBuilder::new(None, StringBuilder::new(), Int32Builder::new());
        map.keys().append_value("this");
        map.values().append_value(1);
        map.keys().append_value("that");
        map.values().append_null();
        map.append(true).expect("map row");
        map.append(false).expect("null row");
        let map: ArrayRef = Arc::new(map.finish());
        let text = cast_array(&map, &DataType::Utf8).expect("cast");
        assert_eq!(
            text.as_string::<i32>(),
            &StringArray::from(vec![Some("{this=1, that=null}"), None])
        );

        let record: ArrayRef = Arc::new(StructArray::from(vec![
            (
                Arc::new(Field::new("F0", DataType::Int32, true)),
                Arc::new(Int32Array::from(vec![Some(1)])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("f1", DataType::Float64, true)),
                Arc::new(Float64Array::from(vec![Some(3.0)])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("NONE", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec![None::<&str>])) as ArrayRef,
            ),
        ]));
        let text = cast_array(&record, &DataType::Utf8).expect("cast");
        assert_eq!(text.as_string::<i32>().value(0), "Struct{F0=1,f1=3.0}");

        let mut list = ListBuilder::new(StringBuilder::new());
        list.values().append_value("a");
        list.values().append_null();
        list.append(true);
        let list: ArrayRef = Arc::new(list.finish());
        let text = cast_array(&list, &DataType::Utf8).expect("cast");
        assert_eq!(text.as_string::<i32>().value(0), "[a, null]");
    }
}
