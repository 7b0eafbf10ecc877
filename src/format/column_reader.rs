//! Arrow columns read row by row as cells, downcast to their concrete array type once per batch.

use std::borrow::Cow;

use arrow::array::{
    Array, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array,
    Int64Array, StringArray, Time32MillisecondArray, TimestampMillisecondArray,
};

use crate::sql::SqlType;

use super::cell::{Cell, cell_at};

/// One column of a batch, typed once so that reading a row costs no downcast.
///
/// Nested types (ARRAY, MAP, STRUCT) are read through [`cell_at`], which builds their
/// cells recursively anyway.
pub enum ColumnReader<'a> {
    Boolean(&'a BooleanArray),
    Int(&'a Int32Array),
    BigInt(&'a Int64Array),
    Double(&'a Float64Array),
    Decimal(&'a Decimal128Array),
    String(&'a StringArray),
    Bytes(&'a BinaryArray),
    Date(&'a Date32Array),
    Time(&'a Time32MillisecondArray),
    Timestamp(&'a TimestampMillisecondArray),
    Nested(&'a dyn Array, &'a SqlType),
}

fn typed<'a, T: 'static>(array: &'a dyn Array, ty: &SqlType) -> Result<&'a T, String> {
    array.as_any().downcast_ref::<T>().ok_or_else(|| {
        format!(
            "expected an Arrow array for {ty}, got {}",
            array.data_type()
        )
    })
}

impl<'a> ColumnReader<'a> {
    /// A reader of `array`, whose type must be `ty.to_arrow()`.
    pub fn try_new(array: &'a dyn Array, ty: &'a SqlType) -> Result<Self, String> {
        Ok(match ty {
            SqlType::Boolean => ColumnReader::Boolean(typed(array, ty)?),
            SqlType::Int => ColumnReader::Int(typed(array, ty)?),
            SqlType::BigInt => ColumnReader::BigInt(typed(array, ty)?),
            SqlType::Double => ColumnReader::Double(typed(array, ty)?),
            SqlType::Decimal { .. } => ColumnReader::Decimal(typed(array, ty)?),
            SqlType::String => ColumnReader::String(typed(array, ty)?),
            SqlType::Bytes => ColumnReader::Bytes(typed(array, ty)?),
            SqlType::Date => ColumnReader::Date(typed(array, ty)?),
            SqlType::Time => ColumnReader::Time(typed(array, ty)?),
            SqlType::Timestamp => ColumnReader::Timestamp(typed(array, ty)?),
            SqlType::Array(_) | SqlType::Map(..) | SqlType::Struct(_) | SqlType::Custom(_) => {
                ColumnReader::Nested(array, ty)
            }
        })
    }

    fn array(&self) -> &dyn Array {
        match self {
            ColumnReader::Boolean(a) => *a,
            ColumnReader::Int(a) => *a,
            ColumnReader::BigInt(a) => *a,
            ColumnReader::Double(a) => *a,
            ColumnReader::Decimal(a) => *a,
            ColumnReader::String(a) => *a,
            ColumnReader::Bytes(a) => *a,
            ColumnReader::Date(a) => *a,
            ColumnReader::Time(a) => *a,
            ColumnReader::Timestamp(a) => *a,
            ColumnReader::Nested(a, _) => *a,
        }
    }

    /// The value at `row` (which must be below the array's length).
    pub fn cell(&self, row: usize) -> Result<Cell<'a>, String> {
        let array = self.array();
        if row >= array.len() {
            return Err(format!(
                "row {row} is beyond an array of {} rows",
                array.len()
            ));
        }
        if array.is_null(row) {
            return Ok(Cell::Null);
        }
        Ok(match self {
            ColumnReader::Boolean(a) => Cell::Bool(a.value(row)),
            ColumnReader::Int(a) => Cell::Int(a.value(row)),
            ColumnReader::BigInt(a) => Cell::BigInt(a.value(row)),
            ColumnReader::Double(a) => Cell::Double(a.value(row)),
            ColumnReader::Decimal(a) => Cell::Decimal(a.value(row)),
            ColumnReader::String(a) => Cell::Str(Cow::Borrowed(a.value(row))),
            ColumnReader::Bytes(a) => Cell::Bytes(Cow::Borrowed(a.value(row))),
            ColumnReader::Date(a) => Cell::Date(a.value(row)),
            ColumnReader::Time(a) => Cell::Time(a.value(row)),
            ColumnReader::Timestamp(a) => Cell::Timestamp(a.value(row)),
            ColumnReader::Nested(a, ty) => cell_at(*a, ty, row)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::ArrayRef;

    use super::*;
    use crate::format::build_array;

    #[test]
    fn reads_every_type_as_cell_at_does() {
        let types = [
            SqlType::Boolean,
            SqlType::Int,
            SqlType::BigInt,
            SqlType::Double,
            SqlType::decimal(5, 2),
            SqlType::String,
            SqlType::Bytes,
            SqlType::Date,
            SqlType::Time,
            SqlType::Timestamp,
            SqlType::Array(Box::new(SqlType::Int)),
        ];
        let values = [
            Cell::Bool(true),
            Cell::Int(-4),
            Cell::BigInt(1 << 40),
            Cell::Double(2.5),
            Cell::Decimal(12345),
            Cell::Str(Cow::Borrowed("é")),
            Cell::Bytes(Cow::Borrowed(b"\x00\x01")),
            Cell::Date(19000),
            Cell::Time(1000),
            Cell::Timestamp(1_700_000_000_000),
            Cell::List(vec![Cell::Int(1), Cell::Null]),
        ];
        for (ty, value) in types.iter().zip(&values) {
            let array: ArrayRef = build_array(ty, &[value, &Cell::Null]).expect("builds");
            let reader = ColumnReader::try_new(array.as_ref(), ty).expect("typed");
            for row in 0..2 {
                assert_eq!(
                    reader.cell(row),
                    cell_at(array.as_ref(), ty, row),
                    "{ty} row {row}"
                );
            }
            assert!(reader.cell(2).is_err(), "{ty}: beyond the end");
        }
        let wrong: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        assert!(ColumnReader::try_new(wrong.as_ref(), &SqlType::String).is_err());
    }
}
