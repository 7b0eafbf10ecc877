//! The byte encoding of aggregate state, for state stores backed by changelog topics.
//!
//! Little-endian, self-describing per value: a scalar is a one-byte type tag followed by
//! a null flag and its payload (fixed-width numbers; u32 length + bytes for text and
//! binary; for a list, its item type then u32 count and the items). Each state starts
//! with a version byte so the layout can evolve.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, TimeUnit};
use datafusion::common::ScalarValue;

use crate::functions::values::{list_elements, list_item_type, list_scalar};

/// The layout version written at the start of every state.
pub const STATE_VERSION: u8 = 1;

/// Appends values to a state buffer.
#[derive(Debug, Default)]
pub struct StateWriter {
    buf: Vec<u8>,
}

impl StateWriter {
    pub fn new() -> Self {
        let mut writer = StateWriter::default();
        writer.u8(STATE_VERSION);
        writer
    }

    /// A writer that appends to `buf`, reusing its allocation; `finish` gives it back.
    pub fn appending_to(buf: Vec<u8>) -> Self {
        let mut writer = StateWriter { buf };
        writer.u8(STATE_VERSION);
        writer
    }

    /// A writer that appends to `buf` without the version byte: for a value embedded
    /// in a buffer that has its own (a group key inside a store key).
    pub fn bare(buf: Vec<u8>) -> Self {
        StateWriter { buf }
    }

    /// Appends bytes already in this layout (written by a bare writer).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// Writes a nested state exactly as `bytes(&nested_writer.finish())` would (u32
    /// length, version byte, fields), but in place: the length is patched in after
    /// `write`, so the hot path of a changelog commit allocates nothing per state.
    pub fn nested(
        &mut self,
        write: impl FnOnce(&mut StateWriter) -> Result<(), String>,
    ) -> Result<(), String> {
        let at = self.buf.len();
        self.u32(0);
        self.u8(STATE_VERSION);
        write(self)?;
        let len = u32::try_from(self.buf.len() - at - 4)
            .map_err(|_| "value longer than 4 GiB".to_string())?;
        if let Some(slot) = self.buf.get_mut(at..at + 4) {
            slot.copy_from_slice(&len.to_le_bytes());
        }
        Ok(())
    }

    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn i128(&mut self, v: i128) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn bytes(&mut self, v: &[u8]) -> Result<(), String> {
        let len = u32::try_from(v.len()).map_err(|_| "value longer than 4 GiB".to_string())?;
        self.u32(len);
        self.buf.extend_from_slice(v);
        Ok(())
    }

    pub fn data_type(&mut self, dt: &DataType) -> Result<(), String> {
        match dt {
            DataType::Null => self.u8(0),
            DataType::Boolean => self.u8(1),
            DataType::Int32 => self.u8(2),
            DataType::Int64 => self.u8(3),
            DataType::Float64 => self.u8(4),
            DataType::Decimal128(p, s) => {
                self.u8(5);
                self.u8(*p);
                self.u8(*s as u8);
            }
            DataType::Utf8 => self.u8(6),
            DataType::Binary => self.u8(7),
            DataType::Date32 => self.u8(8),
            DataType::Time32(TimeUnit::Millisecond) => self.u8(9),
            DataType::Timestamp(TimeUnit::Millisecond, None) => self.u8(10),
            DataType::List(field) => {
                self.u8(11);
                self.data_type(field.data_type())?;
            }
            other => {
                return Err(format!(
                    "values of type {other} cannot be stored in aggregate state"
                ));
            }
        }
        Ok(())
    }

    pub fn scalar(&mut self, value: &ScalarValue) -> Result<(), String> {
        let data_type = value.data_type();
        self.data_type(&data_type)?;
        if value.is_null() {
            self.u8(0);
            return Ok(());
        }
        self.u8(1);
        match value {
            ScalarValue::Boolean(Some(v)) => self.u8(u8::from(*v)),
            ScalarValue::Int32(Some(v))
            | ScalarValue::Date32(Some(v))
            | ScalarValue::Time32Millisecond(Some(v)) => self.i64(i64::from(*v)),
            ScalarValue::Int64(Some(v)) | ScalarValue::TimestampMillisecond(Some(v), None) => {
                self.i64(*v)
            }
            ScalarValue::Float64(Some(v)) => self.f64(*v),
            ScalarValue::Decimal128(Some(v), _, _) => self.i128(*v),
            ScalarValue::Utf8(Some(v)) => self.bytes(v.as_bytes())?,
            ScalarValue::Binary(Some(v)) => self.bytes(v)?,
            ScalarValue::List(_) => {
                let items = list_elements(value)
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default();
                self.values(&items)?;
            }
            other => return Err(format!("value {other} cannot be stored in aggregate state")),
        }
        Ok(())
    }

    pub fn values(&mut self, values: &[ScalarValue]) -> Result<(), String> {
        let len = u32::try_from(values.len()).map_err(|_| "too many values".to_string())?;
        self.u32(len);
        values.iter().try_for_each(|v| self.scalar(v))
    }
}

/// Reads values back from a state buffer; every read checks the remaining length.
#[derive(Debug)]
pub struct StateReader<'a> {
    buf: &'a [u8],
}

impl<'a> StateReader<'a> {
    pub fn new(buf: &'a [u8]) -> Result<Self, String> {
        let mut reader = StateReader { buf };
        let version = reader.u8()?;
        if version != STATE_VERSION {
            return Err(format!("unknown state version {version}"));
        }
        Ok(reader)
    }

    /// A reader of a value written by a bare writer (no version byte).
    pub fn bare(buf: &'a [u8]) -> Self {
        StateReader { buf }
    }

    /// The bytes not read yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.buf
    }

    /// Fails unless every byte was consumed (a longer buffer is not this state).
    pub fn finish(self) -> Result<(), String> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(format!("{} unexpected trailing bytes", self.buf.len()))
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.buf.len() < n {
            return Err(format!(
                "truncated: needed {n} bytes, {} left",
                self.buf.len()
            ));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }

    pub fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub fn i128(&mut self) -> Result<i128, String> {
        Ok(i128::from_le_bytes(self.array()?))
    }

    pub fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    pub fn data_type(&mut self) -> Result<DataType, String> {
        Ok(match self.u8()? {
            0 => DataType::Null,
            1 => DataType::Boolean,
            2 => DataType::Int32,
            3 => DataType::Int64,
            4 => DataType::Float64,
            5 => {
                let precision = self.u8()?;
                let scale = self.u8()? as i8;
                DataType::Decimal128(precision, scale)
            }
            6 => DataType::Utf8,
            7 => DataType::Binary,
            8 => DataType::Date32,
            9 => DataType::Time32(TimeUnit::Millisecond),
            10 => DataType::Timestamp(TimeUnit::Millisecond, None),
            11 => DataType::List(Arc::new(Field::new("item", self.data_type()?, true))),
            tag => return Err(format!("unknown type tag {tag}")),
        })
    }

    pub fn scalar(&mut self) -> Result<ScalarValue, String> {
        let data_type = self.data_type()?;
        let present = self.u8()? == 1;
        if !present {
            return ScalarValue::try_from(&data_type).map_err(|e| e.to_string());
        }
        let int32 =
            |v: i64| i32::try_from(v).map_err(|_| format!("{v} does not fit a 32-bit value"));
        Ok(match &data_type {
            DataType::Null => ScalarValue::Null,
            DataType::Boolean => ScalarValue::Boolean(Some(self.u8()? != 0)),
            DataType::Int32 => ScalarValue::Int32(Some(int32(self.i64()?)?)),
            DataType::Date32 => ScalarValue::Date32(Some(int32(self.i64()?)?)),
            DataType::Time32(_) => ScalarValue::Time32Millisecond(Some(int32(self.i64()?)?)),
            DataType::Int64 => ScalarValue::Int64(Some(self.i64()?)),
            DataType::Timestamp(..) => ScalarValue::TimestampMillisecond(Some(self.i64()?), None),
            DataType::Float64 => ScalarValue::Float64(Some(self.f64()?)),
            DataType::Decimal128(p, s) => ScalarValue::Decimal128(Some(self.i128()?), *p, *s),
            DataType::Utf8 => {
                let text = std::str::from_utf8(self.bytes()?)
                    .map_err(|e| format!("invalid UTF-8: {e}"))?;
                ScalarValue::Utf8(Some(text.to_string()))
            }
            DataType::Binary => ScalarValue::Binary(Some(self.bytes()?.to_vec())),
            list @ DataType::List(_) => {
                let items = self.values()?;
                let item_type = list_item_type(list).cloned().unwrap_or(DataType::Null);
                list_scalar(items, &item_type).map_err(|e| e.to_string())?
            }
            other => return Err(format!("type {other} cannot be read from aggregate state")),
        })
    }

    pub fn values(&mut self) -> Result<Vec<ScalarValue>, String> {
        let len = self.u32()? as usize;
        // Never trust a length to pre-allocate: a corrupt one would exhaust memory.
        let mut out = Vec::with_capacity(len.min(self.buf.len()));
        for _ in 0..len {
            out.push(self.scalar()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_round_trip() {
        let values = vec![
            ScalarValue::Int32(Some(-7)),
            ScalarValue::Int64(None),
            ScalarValue::Float64(Some(f64::NAN)),
            ScalarValue::Decimal128(Some(-12345), 10, 2),
            ScalarValue::Utf8(Some("héllo".into())),
            ScalarValue::Binary(Some(vec![0, 255])),
            ScalarValue::TimestampMillisecond(Some(1_000), None),
            list_scalar(
                vec![ScalarValue::Int32(Some(1)), ScalarValue::Int32(None)],
                &DataType::Int32,
            )
            .expect("list"),
        ];
        let mut writer = StateWriter::new();
        writer.values(&values).expect("encodes");
        let bytes = writer.finish();
        let mut reader = StateReader::new(&bytes).expect("version");
        let decoded = reader.values().expect("decodes");
        reader.finish().expect("consumed");
        assert_eq!(decoded.len(), values.len());
        for (a, b) in decoded.iter().zip(&values) {
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
    }

    #[test]
    fn corrupt_input_is_an_error_not_a_panic() {
        let mut writer = StateWriter::new();
        writer
            .values(&[ScalarValue::Utf8(Some("abc".into()))])
            .expect("encodes");
        let bytes = writer.finish();
        for cut in 0..bytes.len() {
            let result = StateReader::new(&bytes[..cut]).and_then(|mut r| r.values());
            assert!(result.is_err(), "prefix of {cut} bytes must fail");
        }
        assert!(StateReader::new(&[9]).is_err());
        let huge_count = [STATE_VERSION, 255, 255, 255, 255];
        assert!(
            StateReader::new(&huge_count)
                .and_then(|mut r| r.values())
                .is_err()
        );
    }
}
