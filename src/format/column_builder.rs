//! One Arrow builder per decoded column, appended a cell at a time as records decode.
//!
//! Flat types go straight into their Arrow builder; nested types (ARRAY, MAP, STRUCT)
//! keep their cells and are built once at the end by [`build_array`].

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder,
    Int32Builder, Int64Builder, StringBuilder, Time32MillisecondBuilder,
    TimestampMillisecondBuilder,
};

use crate::sql::SqlType;

use super::cell::{Cell, build_array};
use super::scalar::Scalar;

/// The builder of one column of SQL type `ty`.
pub enum ColumnBuilder<'a> {
    Boolean(BooleanBuilder),
    Int(Int32Builder),
    BigInt(Int64Builder),
    Double(Float64Builder),
    Decimal(Decimal128Builder),
    String(StringBuilder),
    Bytes(BinaryBuilder),
    Date(Date32Builder),
    Time(Time32MillisecondBuilder),
    Timestamp(TimestampMillisecondBuilder),
    Nested(Vec<Cell<'a>>),
}

impl<'a> ColumnBuilder<'a> {
    /// A builder for `rows` values of `ty`.
    pub fn new(ty: &SqlType, rows: usize) -> Self {
        match ty {
            SqlType::Boolean => ColumnBuilder::Boolean(BooleanBuilder::with_capacity(rows)),
            SqlType::Int => ColumnBuilder::Int(Int32Builder::with_capacity(rows)),
            SqlType::BigInt => ColumnBuilder::BigInt(Int64Builder::with_capacity(rows)),
            SqlType::Double => ColumnBuilder::Double(Float64Builder::with_capacity(rows)),
            SqlType::Decimal { .. } => {
                ColumnBuilder::Decimal(Decimal128Builder::with_capacity(rows))
            }
            // A guess of 16 bytes a string spares most regrowth of the value buffer.
            SqlType::String => ColumnBuilder::String(StringBuilder::with_capacity(rows, rows * 16)),
            SqlType::Bytes => ColumnBuilder::Bytes(BinaryBuilder::with_capacity(rows, rows * 16)),
            SqlType::Date => ColumnBuilder::Date(Date32Builder::with_capacity(rows)),
            SqlType::Time => ColumnBuilder::Time(Time32MillisecondBuilder::with_capacity(rows)),
            SqlType::Timestamp => {
                ColumnBuilder::Timestamp(TimestampMillisecondBuilder::with_capacity(rows))
            }
            SqlType::Array(_) | SqlType::Map(..) | SqlType::Struct(_) | SqlType::Custom(_) => {
                ColumnBuilder::Nested(Vec::with_capacity(rows))
            }
        }
    }

    /// Appends `cell`; a cell of another variant than the column's type is appended as
    /// null (decoders never produce one).
    pub fn append(&mut self, cell: Cell<'a>) {
        match (self, cell) {
            (ColumnBuilder::Nested(cells), cell) => cells.push(cell),
            (ColumnBuilder::Boolean(b), Cell::Bool(v)) => b.append_value(v),
            (ColumnBuilder::Int(b), Cell::Int(v)) => b.append_value(v),
            (ColumnBuilder::BigInt(b), Cell::BigInt(v)) => b.append_value(v),
            (ColumnBuilder::Double(b), Cell::Double(v)) => b.append_value(v),
            (ColumnBuilder::Decimal(b), Cell::Decimal(v)) => b.append_value(v),
            (ColumnBuilder::String(b), Cell::Str(v)) => b.append_value(v),
            (ColumnBuilder::Bytes(b), Cell::Bytes(v)) => b.append_value(v),
            (ColumnBuilder::Date(b), Cell::Date(v)) => b.append_value(v),
            (ColumnBuilder::Time(b), Cell::Time(v)) => b.append_value(v),
            (ColumnBuilder::Timestamp(b), Cell::Timestamp(v)) => b.append_value(v),
            (builder, _) => builder.append_null(),
        }
    }

    /// Appends `scalar` as [`ColumnBuilder::append`] appends the same cell, without
    /// building one: the scanner's path.
    pub fn append_scalar(&mut self, scalar: Scalar<'a>) {
        match (self, scalar) {
            (ColumnBuilder::Nested(cells), scalar) => cells.push(scalar.into_cell()),
            (ColumnBuilder::Boolean(b), Scalar::Bool(v)) => b.append_value(v),
            (ColumnBuilder::Int(b), Scalar::Int(v)) => b.append_value(v),
            (ColumnBuilder::BigInt(b), Scalar::BigInt(v)) => b.append_value(v),
            (ColumnBuilder::Double(b), Scalar::Double(v)) => b.append_value(v),
            (ColumnBuilder::Decimal(b), Scalar::Decimal(v)) => b.append_value(v),
            (ColumnBuilder::String(b), Scalar::Str(v)) => b.append_value(v),
            (ColumnBuilder::Date(b), Scalar::Date(v)) => b.append_value(v),
            (ColumnBuilder::Time(b), Scalar::Time(v)) => b.append_value(v),
            (ColumnBuilder::Timestamp(b), Scalar::Timestamp(v)) => b.append_value(v),
            (builder, _) => builder.append_null(),
        }
    }

    pub fn append_null(&mut self) {
        match self {
            ColumnBuilder::Nested(cells) => cells.push(Cell::Null),
            ColumnBuilder::Boolean(b) => b.append_null(),
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::BigInt(b) => b.append_null(),
            ColumnBuilder::Double(b) => b.append_null(),
            ColumnBuilder::Decimal(b) => b.append_null(),
            ColumnBuilder::String(b) => b.append_null(),
            ColumnBuilder::Bytes(b) => b.append_null(),
            ColumnBuilder::Date(b) => b.append_null(),
            ColumnBuilder::Time(b) => b.append_null(),
            ColumnBuilder::Timestamp(b) => b.append_null(),
        }
    }

    /// The array of the appended values, of type `ty.to_arrow()`.
    pub fn finish(self, ty: &SqlType) -> Result<ArrayRef, String> {
        Ok(match self {
            ColumnBuilder::Nested(cells) => {
                let refs: Vec<&Cell<'_>> = cells.iter().collect();
                return build_array(ty, &refs);
            }
            ColumnBuilder::Decimal(mut b) => {
                let SqlType::Decimal { precision, scale } = ty else {
                    return Err(format!("a DECIMAL builder for {ty}: this is a bug"));
                };
                Arc::new(
                    b.finish()
                        .with_precision_and_scale(*precision, *scale as i8)
                        .map_err(|e| format!("invalid decimal type {ty}: {e}"))?,
                )
            }
            ColumnBuilder::Boolean(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Int(mut b) => Arc::new(b.finish()),
            ColumnBuilder::BigInt(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Double(mut b) => Arc::new(b.finish()),
            ColumnBuilder::String(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Bytes(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Date(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Time(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(mut b) => Arc::new(b.finish()),
        })
    }

    /// How many values were appended.
    #[cfg(test)]
    fn len(&self) -> usize {
        use arrow::array::ArrayBuilder as _;
        match self {
            ColumnBuilder::Nested(cells) => cells.len(),
            ColumnBuilder::Boolean(b) => b.len(),
            ColumnBuilder::Int(b) => b.len(),
            ColumnBuilder::BigInt(b) => b.len(),
            ColumnBuilder::Double(b) => b.len(),
            ColumnBuilder::Decimal(b) => b.len(),
            ColumnBuilder::String(b) => b.len(),
            ColumnBuilder::Bytes(b) => b.len(),
            ColumnBuilder::Date(b) => b.len(),
            ColumnBuilder::Time(b) => b.len(),
            ColumnBuilder::Timestamp(b) => b.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    #[test]
    fn builds_the_same_arrays_as_build_array() {
        let cases = [
            (SqlType::Boolean, Cell::Bool(true)),
            (SqlType::Int, Cell::Int(-3)),
            (SqlType::BigInt, Cell::BigInt(1 << 40)),
            (SqlType::Double, Cell::Double(0.5)),
            (SqlType::decimal(4, 2), Cell::Decimal(1234)),
            (SqlType::String, Cell::Str(Cow::Borrowed("x"))),
            (SqlType::Bytes, Cell::Bytes(Cow::Borrowed(b"\x01"))),
            (SqlType::Date, Cell::Date(3)),
            (SqlType::Time, Cell::Time(4)),
            (SqlType::Timestamp, Cell::Timestamp(5)),
            (
                SqlType::Map(Box::new(SqlType::String), Box::new(SqlType::Int)),
                Cell::Map(vec![(Cell::Str(Cow::Borrowed("k")), Cell::Int(1))]),
            ),
        ];
        for (ty, cell) in cases {
            let mut builder = ColumnBuilder::new(&ty, 3);
            builder.append(cell.clone());
            builder.append_null();
            // A cell of another type is a null, as in build_array.
            let mismatched = if ty == SqlType::Boolean {
                Cell::Int(1)
            } else {
                Cell::Bool(false)
            };
            builder.append(mismatched);
            assert_eq!(builder.len(), 3);
            // The scanner's path appends the same values.
            if let Some(scalar) = Scalar::from_cell(cell.clone()) {
                let mut by_scalar = ColumnBuilder::new(&ty, 3);
                by_scalar.append_scalar(scalar);
                by_scalar.append_scalar(Scalar::Null);
                by_scalar.append_scalar(if ty == SqlType::Boolean {
                    Scalar::Int(1)
                } else {
                    Scalar::Bool(false)
                });
                let expected = build_array(&ty, &[&cell, &Cell::Null, &Cell::Null]);
                assert_eq!(
                    by_scalar.finish(&ty).expect("builds").as_ref(),
                    expected.expect("builds").as_ref(),
                    "{ty}"
                );
            }
            let built = builder.finish(&ty).expect("builds");
            let expected = build_array(&ty, &[&cell, &Cell::Null, &Cell::Null]).expect("builds");
            assert_eq!(built.as_ref(), expected.as_ref(), "{ty}");
        }
    }
}
