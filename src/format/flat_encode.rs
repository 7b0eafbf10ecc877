//! Flat columns written to JSON or KAFKA bytes straight from their typed Arrow arrays: the
//! encoder's fast path, which builds no [`Cell`](super::Cell) per value.
//!
//! Only types without nesting take it (ARRAY, MAP and STRUCT go through cells); every
//! value is written byte for byte as [`write_json`](super::json_encode::write_json) and
//! [`encode_kafka_into`](super::kafka::encode_kafka_into) write it.

use arrow::array::{
    Array, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array,
    Int64Array, StringArray, Time32MillisecondArray, TimestampMillisecondArray,
};

use crate::sql::SqlType;

use super::json_encode::write_json_string;
use super::text::{base64_encode, write_decimal, write_java_double_bytes};

/// One column of a batch whose type has no nesting, downcast once per batch.
pub(super) enum FlatColumn<'a> {
    Boolean(&'a BooleanArray),
    Int(&'a Int32Array),
    BigInt(&'a Int64Array),
    Double(&'a Float64Array),
    Decimal(&'a Decimal128Array, u8),
    String(&'a StringArray),
    Bytes(&'a BinaryArray),
    Date(&'a Date32Array),
    Time(&'a Time32MillisecondArray),
    Timestamp(&'a TimestampMillisecondArray),
}

impl<'a> FlatColumn<'a> {
    /// The column of `array` read as `ty`; `None` for a nested type or an array that is
    /// not of `ty`'s Arrow type (the cell path then reports the mismatch).
    pub(super) fn new(array: &'a dyn Array, ty: &SqlType) -> Option<Self> {
        let any = array.as_any();
        Some(match ty {
            SqlType::Boolean => FlatColumn::Boolean(any.downcast_ref()?),
            SqlType::Int => FlatColumn::Int(any.downcast_ref()?),
            SqlType::BigInt => FlatColumn::BigInt(any.downcast_ref()?),
            SqlType::Double => FlatColumn::Double(any.downcast_ref()?),
            SqlType::Decimal { scale, .. } => FlatColumn::Decimal(any.downcast_ref()?, *scale),
            SqlType::String => FlatColumn::String(any.downcast_ref()?),
            SqlType::Bytes => FlatColumn::Bytes(any.downcast_ref()?),
            SqlType::Date => FlatColumn::Date(any.downcast_ref()?),
            SqlType::Time => FlatColumn::Time(any.downcast_ref()?),
            SqlType::Timestamp => FlatColumn::Timestamp(any.downcast_ref()?),
            SqlType::Array(_) | SqlType::Map(..) | SqlType::Struct(_) | SqlType::Custom(_) => {
                return None;
            }
        })
    }

    fn array(&self) -> &dyn Array {
        match self {
            FlatColumn::Boolean(a) => *a,
            FlatColumn::Int(a) => *a,
            FlatColumn::BigInt(a) => *a,
            FlatColumn::Double(a) => *a,
            FlatColumn::Decimal(a, _) => *a,
            FlatColumn::String(a) => *a,
            FlatColumn::Bytes(a) => *a,
            FlatColumn::Date(a) => *a,
            FlatColumn::Time(a) => *a,
            FlatColumn::Timestamp(a) => *a,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.array().len()
    }

    /// Whether the value at `row` (below [`FlatColumn::len`]) is null.
    #[inline]
    pub(super) fn is_null(&self, row: usize) -> bool {
        self.array().is_null(row)
    }

    /// Whether KAFKA can carry the type: the others are refused by the cell path.
    pub(super) fn is_kafka_type(&self) -> bool {
        matches!(
            self,
            FlatColumn::Int(_)
                | FlatColumn::BigInt(_)
                | FlatColumn::Double(_)
                | FlatColumn::String(_)
                | FlatColumn::Bytes(_)
        )
    }

    /// Appends the non-null value at `row` as JSON; `scratch` is reused text space for
    /// the rare values (escaped strings, decimals, bytes) that are built as text first.
    #[inline]
    pub(super) fn write_json(&self, row: usize, out: &mut Vec<u8>, scratch: &mut String) {
        match self {
            FlatColumn::Boolean(a) => {
                out.extend_from_slice(if a.value(row) { b"true" } else { b"false" })
            }
            FlatColumn::Int(a) => write_integer(i64::from(a.value(row)), out),
            FlatColumn::BigInt(a) => write_integer(a.value(row), out),
            FlatColumn::Date(a) => write_integer(i64::from(a.value(row)), out),
            FlatColumn::Time(a) => write_integer(i64::from(a.value(row)), out),
            FlatColumn::Timestamp(a) => write_integer(a.value(row), out),
            FlatColumn::Double(a) => {
                let value = a.value(row);
                if value.is_finite() {
                    write_java_double_bytes(value, out);
                } else {
                    // JSON has no token for NaN or infinities; a string keeps the record valid.
                    out.push(b'"');
                    write_java_double_bytes(value, out);
                    out.push(b'"');
                }
            }
            FlatColumn::String(a) => {
                let text = a.value(row);
                if text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
                    scratch.clear();
                    write_json_string(text, scratch);
                    out.extend_from_slice(scratch.as_bytes());
                } else {
                    out.push(b'"');
                    out.extend_from_slice(text.as_bytes());
                    out.push(b'"');
                }
            }
            FlatColumn::Decimal(a, scale) => {
                scratch.clear();
                write_decimal(a.value(row), *scale, scratch);
                out.extend_from_slice(scratch.as_bytes());
            }
            FlatColumn::Bytes(a) => {
                scratch.clear();
                scratch.push('"');
                base64_encode(a.value(row), scratch);
                scratch.push('"');
                out.extend_from_slice(scratch.as_bytes());
            }
        }
    }

    /// Appends the non-null value at `row` in KAFKA's serialization; nothing for a type
    /// KAFKA cannot carry (see [`FlatColumn::is_kafka_type`]).
    #[inline]
    pub(super) fn write_kafka(&self, row: usize, out: &mut Vec<u8>) {
        match self {
            FlatColumn::Int(a) => out.extend_from_slice(&a.value(row).to_be_bytes()),
            FlatColumn::BigInt(a) => out.extend_from_slice(&a.value(row).to_be_bytes()),
            FlatColumn::Double(a) => out.extend_from_slice(&a.value(row).to_be_bytes()),
            FlatColumn::String(a) => out.extend_from_slice(a.value(row).as_bytes()),
            FlatColumn::Bytes(a) => out.extend_from_slice(a.value(row)),
            FlatColumn::Boolean(_)
            | FlatColumn::Decimal(..)
            | FlatColumn::Date(_)
            | FlatColumn::Time(_)
            | FlatColumn::Timestamp(_) => {}
        }
    }
}

#[inline]
fn write_integer(value: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}
