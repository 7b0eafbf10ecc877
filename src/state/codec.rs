//! StateCodec: how a store's keys and values become changelog bytes and back.
//!
//! Built on the aggregate-state byte layout ([`StateWriter`] / [`StateReader`]): every
//! encoded key or value starts with that layout's version byte, then the codec's fields
//! in order. Codecs are values rather than traits on the stored types because some
//! states (aggregate accumulators) need context to be rebuilt: the function and its spec.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use datafusion::common::ScalarValue;

pub use crate::functions::aggregate::codec::{StateReader, StateWriter};

/// Writes and reads one type of store key or value.
pub trait StateCodec<T>: Send + Sync {
    fn encode(&self, value: &T, out: &mut StateWriter) -> Result<(), String>;
    fn decode(&self, input: &mut StateReader<'_>) -> Result<T, String>;
}

/// Encodes `value` as a complete buffer.
pub fn encode_to_vec<T>(codec: &dyn StateCodec<T>, value: &T) -> Result<Vec<u8>, String> {
    let mut writer = StateWriter::new();
    codec.encode(value, &mut writer)?;
    Ok(writer.finish())
}

/// Decodes a complete buffer, refusing trailing bytes.
pub fn decode_from_slice<T>(codec: &dyn StateCodec<T>, bytes: &[u8]) -> Result<T, String> {
    let mut reader = StateReader::new(bytes)?;
    let value = codec.decode(&mut reader)?;
    reader.finish()?;
    Ok(value)
}

/// A list of scalars: GROUP BY keys, aggregate arguments.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScalarsCodec;

/// How one scalar of a [`ScalarsCodec`] list is written.
pub const PLAIN_SCALAR: u8 = 0;
const IPC_SCALAR: u8 = 1;

/// Whether the aggregate-state layout can hold values of this type.
fn is_plain(data_type: &DataType) -> bool {
    match data_type {
        DataType::Null
        | DataType::Boolean
        | DataType::Int32
        | DataType::Int64
        | DataType::Float64
        | DataType::Decimal128(..)
        | DataType::Utf8
        | DataType::Binary
        | DataType::Date32
        | DataType::Time32(TimeUnit::Millisecond)
        | DataType::Timestamp(TimeUnit::Millisecond, None) => true,
        DataType::List(field) => is_plain(field.data_type()),
        _ => false,
    }
}

/// A value of any type (a STRUCT or MAP key) as a one-row Arrow IPC stream.
fn scalar_to_ipc(value: &ScalarValue) -> Result<Vec<u8>, String> {
    let array = value.to_array().map_err(|e| e.to_string())?;
    let schema = Arc::new(Schema::new(vec![Field::new(
        "v",
        array.data_type().clone(),
        true,
    )]));
    let batch =
        RecordBatch::try_new(Arc::clone(&schema), vec![array]).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    let mut writer = StreamWriter::try_new(&mut bytes, &schema).map_err(|e| e.to_string())?;
    writer.write(&batch).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    drop(writer);
    Ok(bytes)
}

fn scalar_from_ipc(bytes: &[u8]) -> Result<ScalarValue, String> {
    let mut reader =
        StreamReader::try_new(std::io::Cursor::new(bytes), None).map_err(|e| e.to_string())?;
    let batch = reader
        .next()
        .ok_or("an empty IPC stream")?
        .map_err(|e| e.to_string())?;
    if batch.num_columns() != 1 || batch.num_rows() != 1 {
        return Err("an IPC value is not one row of one column".into());
    }
    ScalarValue::try_from_array(batch.column(0), 0).map_err(|e| e.to_string())
}

/// Writes one value of a [`ScalarsCodec`] list: a one-byte encoding tag (plain or
/// Arrow IPC), then the value.
pub fn write_scalar_entry(scalar: &ScalarValue, out: &mut StateWriter) -> Result<(), String> {
    if is_plain(&scalar.data_type()) {
        out.u8(PLAIN_SCALAR);
        out.scalar(scalar)
    } else {
        out.u8(IPC_SCALAR);
        out.bytes(&scalar_to_ipc(scalar)?)
    }
}

impl StateCodec<Vec<ScalarValue>> for ScalarsCodec {
    fn encode(&self, value: &Vec<ScalarValue>, out: &mut StateWriter) -> Result<(), String> {
        let count = u32::try_from(value.len()).map_err(|_| "too many values".to_string())?;
        out.u32(count);
        value
            .iter()
            .try_for_each(|scalar| write_scalar_entry(scalar, out))
    }
    fn decode(&self, input: &mut StateReader<'_>) -> Result<Vec<ScalarValue>, String> {
        let count = input.u32()? as usize;
        let mut values = Vec::new();
        for _ in 0..count {
            values.push(match input.u8()? {
                PLAIN_SCALAR => input.scalar()?,
                IPC_SCALAR => scalar_from_ipc(input.bytes()?)?,
                tag => return Err(format!("unknown scalar encoding {tag}")),
            });
        }
        Ok(values)
    }
}

/// A 64-bit integer (a timestamp, a window start).
#[derive(Debug, Clone, Copy, Default)]
pub struct I64Codec;

impl StateCodec<i64> for I64Codec {
    fn encode(&self, value: &i64, out: &mut StateWriter) -> Result<(), String> {
        out.i64(*value);
        Ok(())
    }
    fn decode(&self, input: &mut StateReader<'_>) -> Result<i64, String> {
        input.i64()
    }
}

/// Optional window bounds `(start, end)`: a flag byte, then both bounds when present.
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowBoundsCodec;

impl StateCodec<Option<(i64, i64)>> for WindowBoundsCodec {
    fn encode(&self, value: &Option<(i64, i64)>, out: &mut StateWriter) -> Result<(), String> {
        match value {
            None => out.u8(0),
            Some((start, end)) => {
                out.u8(1);
                out.i64(*start);
                out.i64(*end);
            }
        }
        Ok(())
    }
    fn decode(&self, input: &mut StateReader<'_>) -> Result<Option<(i64, i64)>, String> {
        match input.u8()? {
            0 => Ok(None),
            1 => Ok(Some((input.i64()?, input.i64()?))),
            flag => Err(format!("window bounds flag {flag} is neither 0 nor 1")),
        }
    }
}

/// The unit value: a store used as a set.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnitCodec;

impl StateCodec<()> for UnitCodec {
    fn encode(&self, _: &(), _: &mut StateWriter) -> Result<(), String> {
        Ok(())
    }
    fn decode(&self, _: &mut StateReader<'_>) -> Result<(), String> {
        Ok(())
    }
}

/// A pair, first then second.
#[derive(Debug, Clone, Copy, Default)]
pub struct PairCodec<A, B>(pub A, pub B);

impl<TA, TB, A: StateCodec<TA>, B: StateCodec<TB>> StateCodec<(TA, TB)> for PairCodec<A, B> {
    fn encode(&self, value: &(TA, TB), out: &mut StateWriter) -> Result<(), String> {
        self.0.encode(&value.0, out)?;
        self.1.encode(&value.1, out)
    }
    fn decode(&self, input: &mut StateReader<'_>) -> Result<(TA, TB), String> {
        Ok((self.0.decode(input)?, self.1.decode(input)?))
    }
}

/// A list of values of one codec: a u32 count, then the items.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListCodec<C>(pub C);

impl<T, C: StateCodec<T>> StateCodec<Vec<T>> for ListCodec<C> {
    fn encode(&self, value: &Vec<T>, out: &mut StateWriter) -> Result<(), String> {
        let count = u32::try_from(value.len()).map_err(|_| "too many items".to_string())?;
        out.u32(count);
        value.iter().try_for_each(|item| self.0.encode(item, out))
    }
    fn decode(&self, input: &mut StateReader<'_>) -> Result<Vec<T>, String> {
        let count = input.u32()? as usize;
        // A corrupt count must not pre-allocate: grow as items actually decode.
        let mut items = Vec::new();
        for _ in 0..count {
            items.push(self.0.decode(input)?);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: PartialEq + std::fmt::Debug>(codec: &dyn StateCodec<T>, value: T) {
        let bytes = encode_to_vec(codec, &value).expect("encodes");
        assert_eq!(decode_from_slice(codec, &bytes).expect("decodes"), value);
        assert!(decode_from_slice(codec, &bytes[..bytes.len() - 1]).is_err() || bytes.len() == 1);
    }

    #[test]
    fn group_keys_window_bounds_and_pairs_round_trip() {
        round_trip(
            &ScalarsCodec,
            vec![
                ScalarValue::Utf8(Some("k".into())),
                ScalarValue::Int64(None),
                ScalarValue::Float64(Some(1.5)),
            ],
        );
        let fields = vec![Field::new("F", DataType::Int64, true)];
        let structure = ScalarValue::Struct(Arc::new(
            arrow::array::StructArray::try_new(
                fields.into(),
                vec![Arc::new(arrow::array::Int64Array::from(vec![Some(4)]))],
                None,
            )
            .expect("struct"),
        ));
        round_trip(&ScalarsCodec, vec![structure, ScalarValue::Int32(Some(1))]);
        round_trip(&WindowBoundsCodec, Some((10, 20)));
        round_trip(&WindowBoundsCodec, None);
        round_trip(
            &PairCodec(ScalarsCodec, WindowBoundsCodec),
            (vec![ScalarValue::Int32(Some(3))], Some((0, 5))),
        );
        round_trip(&ListCodec(I64Codec), vec![1, -2, i64::MAX]);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode_from_slice(&WindowBoundsCodec, &[1, 7]).is_err());
        assert!(decode_from_slice(&ListCodec(I64Codec), &[1, 255, 255, 255, 255]).is_err());
        assert!(decode_from_slice(&ScalarsCodec, &[]).is_err());
    }
}
