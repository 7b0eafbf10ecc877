//! One decoded value of any SQL type, and its conversion to and from Arrow arrays.
//!
//! Decoders first turn a whole record into cells and only then append them, so a record
//! that fails half-way leaves no partial row behind.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float64Array,
    Int32Array, Int64Array, ListArray, MapArray, StringArray, StructArray, Time32MillisecondArray,
    TimestampMillisecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field};

use crate::sql::SqlType;

/// A value of the SQL type it was decoded for; strings and bytes borrow from the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Null,
    Bool(bool),
    Int(i32),
    BigInt(i64),
    Double(f64),
    /// The unscaled value; the scale is the column type's.
    Decimal(i128),
    Str(Cow<'a, str>),
    Bytes(Cow<'a, [u8]>),
    /// Days since the epoch.
    Date(i32),
    /// Milliseconds since midnight.
    Time(i32),
    /// Milliseconds since the epoch.
    Timestamp(i64),
    List(Vec<Cell<'a>>),
    /// Entries in their input order.
    Map(Vec<(Cell<'a>, Cell<'a>)>),
    /// One cell per declared field, in declaration order.
    Struct(Vec<Cell<'a>>),
}

impl Cell<'_> {
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }
}

const NULL_CELL: Cell<'static> = Cell::Null;

fn arrow_type(ty: &SqlType) -> Result<DataType, String> {
    ty.to_arrow()
        .ok_or_else(|| format!("type {ty} is not resolved: this is a bug in the catalog"))
}

/// Builds the Arrow array of `ty` (as `SqlType::to_arrow` fixes it) holding `cells`.
///
/// A cell of another variant than `ty` asks for becomes null: decoders never produce one.
pub fn build_array(ty: &SqlType, cells: &[&Cell<'_>]) -> Result<ArrayRef, String> {
    macro_rules! primitive {
        ($array:ty, $variant:ident) => {
            Arc::new(
                cells
                    .iter()
                    .map(|c| match c {
                        Cell::$variant(v) => Some(*v),
                        _ => None,
                    })
                    .collect::<$array>(),
            ) as ArrayRef
        };
    }
    Ok(match ty {
        SqlType::Boolean => primitive!(BooleanArray, Bool),
        SqlType::Int => primitive!(Int32Array, Int),
        SqlType::BigInt => primitive!(Int64Array, BigInt),
        SqlType::Double => primitive!(Float64Array, Double),
        SqlType::Date => primitive!(Date32Array, Date),
        SqlType::Time => primitive!(Time32MillisecondArray, Time),
        SqlType::Timestamp => primitive!(TimestampMillisecondArray, Timestamp),
        SqlType::Decimal { precision, scale } => Arc::new(
            primitive_decimal(cells)
                .with_precision_and_scale(*precision, *scale as i8)
                .map_err(|e| format!("invalid decimal type {ty}: {e}"))?,
        ),
        SqlType::String => Arc::new(
            cells
                .iter()
                .map(|c| match c {
                    Cell::Str(s) => Some(s.as_ref()),
                    _ => None,
                })
                .collect::<StringArray>(),
        ),
        SqlType::Bytes => Arc::new(
            cells
                .iter()
                .map(|c| match c {
                    Cell::Bytes(b) => Some(b.as_ref()),
                    _ => None,
                })
                .collect::<BinaryArray>(),
        ),
        SqlType::Array(item) => {
            let mut offsets = Vec::with_capacity(cells.len() + 1);
            let mut valid = Vec::with_capacity(cells.len());
            let mut children: Vec<&Cell<'_>> = Vec::new();
            offsets.push(0i32);
            for cell in cells {
                match cell {
                    Cell::List(items) => {
                        children.extend(items.iter());
                        valid.push(true);
                    }
                    _ => valid.push(false),
                }
                offsets.push(offset(children.len())?);
            }
            let values = build_array(item, &children)?;
            let field = Arc::new(Field::new("item", arrow_type(item)?, true));
            Arc::new(
                ListArray::try_new(
                    field,
                    OffsetBuffer::new(offsets.into()),
                    values,
                    Some(NullBuffer::from(valid)),
                )
                .map_err(|e| format!("cannot build {ty}: {e}"))?,
            )
        }
        SqlType::Map(key_ty, value_ty) => {
            let DataType::Map(entries_field, _) = arrow_type(ty)? else {
                return Err(format!("{ty} does not map to an Arrow map: this is a bug"));
            };
            let DataType::Struct(entry_fields) = entries_field.data_type().clone() else {
                return Err(format!("{ty} has no entry struct: this is a bug"));
            };
            let mut offsets = vec![0i32];
            let mut valid = Vec::with_capacity(cells.len());
            let mut keys: Vec<&Cell<'_>> = Vec::new();
            let mut values: Vec<&Cell<'_>> = Vec::new();
            for cell in cells {
                match cell {
                    Cell::Map(entries) => {
                        for (k, v) in entries {
                            keys.push(k);
                            values.push(v);
                        }
                        valid.push(true);
                    }
                    _ => valid.push(false),
                }
                offsets.push(offset(keys.len())?);
            }
            let entries = StructArray::try_new(
                entry_fields,
                vec![build_array(key_ty, &keys)?, build_array(value_ty, &values)?],
                None,
            )
            .map_err(|e| format!("cannot build {ty}: {e}"))?;
            Arc::new(
                MapArray::try_new(
                    entries_field,
                    OffsetBuffer::new(offsets.into()),
                    entries,
                    Some(NullBuffer::from(valid)),
                    false,
                )
                .map_err(|e| format!("cannot build {ty}: {e}"))?,
            )
        }
        SqlType::Struct(fields) => {
            let DataType::Struct(arrow_fields) = arrow_type(ty)? else {
                return Err(format!(
                    "{ty} does not map to an Arrow struct: this is a bug"
                ));
            };
            let valid: Vec<bool> = cells.iter().map(|c| matches!(c, Cell::Struct(_))).collect();
            let mut children = Vec::with_capacity(fields.len());
            for (i, field) in fields.iter().enumerate() {
                let column: Vec<&Cell<'_>> = cells
                    .iter()
                    .map(|c| match c {
                        Cell::Struct(values) => values.get(i).unwrap_or(&NULL_CELL),
                        _ => &NULL_CELL,
                    })
                    .collect();
                children.push(build_array(&field.ty, &column)?);
            }
            if fields.is_empty() {
                Arc::new(StructArray::new_empty_fields(
                    cells.len(),
                    Some(NullBuffer::from(valid)),
                ))
            } else {
                Arc::new(
                    StructArray::try_new(arrow_fields, children, Some(NullBuffer::from(valid)))
                        .map_err(|e| format!("cannot build {ty}: {e}"))?,
                )
            }
        }
        SqlType::Custom(name) => {
            return Err(format!(
                "type {name} is not resolved: this is a bug in the catalog"
            ));
        }
    })
}

fn primitive_decimal(cells: &[&Cell<'_>]) -> Decimal128Array {
    cells
        .iter()
        .map(|c| match c {
            Cell::Decimal(v) => Some(*v),
            _ => None,
        })
        .collect()
}

fn offset(len: usize) -> Result<i32, String> {
    i32::try_from(len).map_err(|_| format!("nested values exceed {} entries", i32::MAX))
}

fn downcast<'a, T: 'static>(array: &'a dyn Array, ty: &SqlType) -> Result<&'a T, String> {
    array.as_any().downcast_ref::<T>().ok_or_else(|| {
        format!(
            "expected an Arrow {} array for {ty}, got {}",
            arrow_type(ty)
                .map(|t| t.to_string())
                .unwrap_or_else(|_| ty.to_string()),
            array.data_type()
        )
    })
}

/// Reads the value at `row` of an array whose type is `ty.to_arrow()`.
pub fn cell_at<'a>(array: &'a dyn Array, ty: &SqlType, row: usize) -> Result<Cell<'a>, String> {
    if row >= array.len() {
        return Err(format!(
            "row {row} is beyond an array of {} rows",
            array.len()
        ));
    }
    if array.is_null(row) {
        return Ok(Cell::Null);
    }
    Ok(match ty {
        SqlType::Boolean => Cell::Bool(downcast::<BooleanArray>(array, ty)?.value(row)),
        SqlType::Int => Cell::Int(downcast::<Int32Array>(array, ty)?.value(row)),
        SqlType::BigInt => Cell::BigInt(downcast::<Int64Array>(array, ty)?.value(row)),
        SqlType::Double => Cell::Double(downcast::<Float64Array>(array, ty)?.value(row)),
        SqlType::Decimal { .. } => {
            Cell::Decimal(downcast::<Decimal128Array>(array, ty)?.value(row))
        }
        SqlType::String => Cell::Str(Cow::Borrowed(
            downcast::<StringArray>(array, ty)?.value(row),
        )),
        SqlType::Bytes => Cell::Bytes(Cow::Borrowed(
            downcast::<BinaryArray>(array, ty)?.value(row),
        )),
        SqlType::Date => Cell::Date(downcast::<Date32Array>(array, ty)?.value(row)),
        SqlType::Time => Cell::Time(downcast::<Time32MillisecondArray>(array, ty)?.value(row)),
        SqlType::Timestamp => {
            Cell::Timestamp(downcast::<TimestampMillisecondArray>(array, ty)?.value(row))
        }
        SqlType::Array(item) => {
            let list = downcast::<ListArray>(array, ty)?;
            let offsets = list.value_offsets();
            let values = list.values().as_ref();
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            Cell::List(
                (start..end)
                    .map(|i| cell_at(values, item, i))
                    .collect::<Result<_, _>>()?,
            )
        }
        SqlType::Map(key_ty, value_ty) => {
            let map = downcast::<MapArray>(array, ty)?;
            let offsets = map.value_offsets();
            let (keys, values) = (map.keys().as_ref(), map.values().as_ref());
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            Cell::Map(
                (start..end)
                    .map(|i| Ok((cell_at(keys, key_ty, i)?, cell_at(values, value_ty, i)?)))
                    .collect::<Result<_, String>>()?,
            )
        }
        SqlType::Struct(fields) => {
            let strukt = downcast::<StructArray>(array, ty)?;
            if strukt.num_columns() != fields.len() {
                return Err(format!(
                    "expected {} struct fields for {ty}, got {}",
                    fields.len(),
                    strukt.num_columns()
                ));
            }
            Cell::Struct(
                fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| cell_at(strukt.column(i).as_ref(), &f.ty, row))
                    .collect::<Result<_, _>>()?,
            )
        }
        SqlType::Custom(name) => {
            return Err(format!(
                "type {name} is not resolved: this is a bug in the catalog"
            ));
        }
    })
}
