//! Group keys: a GROUP BY key as its [`ScalarsCodec`] bytes, encoded straight from the
//! evaluated columns, then hashed and compared as bytes.
//!
//! An aggregate looks every row's group up in its store. As a `Vec<ScalarValue>` the
//! key cost an allocation per text value and a pointer chase per comparison; as bytes
//! kept inline ([`KeyBytes`]) it costs neither. The bytes are exactly what
//! [`ScalarsCodec`] writes (without the version byte), so the changelog records them
//! as they are, and the scalars are rebuilt only for the rows that are emitted.

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
};
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use crate::state::codec::{PLAIN_SCALAR, ScalarsCodec, StateReader, StateWriter};
use crate::state::key_bytes::KeyBytes;
use crate::state::{StateCodec, codec::write_scalar_entry};

/// The [`StateWriter::data_type`] tags of the types encoded without a scalar.
const BOOLEAN_TAG: u8 = 1;
const INT32_TAG: u8 = 2;
const INT64_TAG: u8 = 3;
const FLOAT64_TAG: u8 = 4;
const UTF8_TAG: u8 = 6;
/// [`StateWriter::scalar`]'s flag of a present value.
const PRESENT: u8 = 1;

/// The grouping columns of one batch, each downcast once to its array type for the
/// types written without a scalar: a row's group is then written with no type dispatch.
pub struct GroupColumns<'a> {
    columns: Vec<GroupColumn<'a>>,
    count: [u8; 4],
}

enum GroupColumn<'a> {
    Utf8(&'a StringArray),
    Int64(&'a Int64Array),
    Int32(&'a Int32Array),
    Float64(&'a Float64Array),
    Boolean(&'a BooleanArray),
    /// Any other type, written through its scalar.
    Other(&'a ArrayRef),
}

impl<'a> GroupColumns<'a> {
    pub fn new(columns: &'a [ArrayRef]) -> Result<Self, String> {
        let count = u32::try_from(columns.len()).map_err(|_| "too many GROUP BY columns")?;
        let columns = columns
            .iter()
            .map(|column| {
                let any = column.as_any();
                let typed = match column.data_type() {
                    DataType::Utf8 => any.downcast_ref().map(GroupColumn::Utf8),
                    DataType::Int64 => any.downcast_ref().map(GroupColumn::Int64),
                    DataType::Int32 => any.downcast_ref().map(GroupColumn::Int32),
                    DataType::Float64 => any.downcast_ref().map(GroupColumn::Float64),
                    DataType::Boolean => any.downcast_ref().map(GroupColumn::Boolean),
                    _ => None,
                };
                typed.unwrap_or(GroupColumn::Other(column))
            })
            .collect();
        Ok(GroupColumns {
            columns,
            count: count.to_le_bytes(),
        })
    }

    /// The group of `row`, written into `out` (cleared first); whether a value of it is
    /// NULL.
    pub fn encode(&self, row: usize, out: &mut Vec<u8>) -> Result<bool, String> {
        out.clear();
        out.extend_from_slice(&self.count);
        let mut has_null = false;
        let header =
            |out: &mut Vec<u8>, tag: u8| out.extend_from_slice(&[PLAIN_SCALAR, tag, PRESENT]);
        for column in &self.columns {
            match column {
                GroupColumn::Utf8(strings) if strings.is_valid(row) => {
                    let value = strings.value(row).as_bytes();
                    // Arrow's offsets are i32: a value always fits a u32 length.
                    let len = value.len() as u32;
                    header(out, UTF8_TAG);
                    out.extend_from_slice(&len.to_le_bytes());
                    out.extend_from_slice(value);
                }
                GroupColumn::Int64(ints) if ints.is_valid(row) => {
                    header(out, INT64_TAG);
                    out.extend_from_slice(&ints.value(row).to_le_bytes());
                }
                GroupColumn::Int32(ints) if ints.is_valid(row) => {
                    header(out, INT32_TAG);
                    out.extend_from_slice(&i64::from(ints.value(row)).to_le_bytes());
                }
                GroupColumn::Float64(floats) if floats.is_valid(row) => {
                    header(out, FLOAT64_TAG);
                    out.extend_from_slice(&floats.value(row).to_le_bytes());
                }
                GroupColumn::Boolean(booleans) if booleans.is_valid(row) => {
                    header(out, BOOLEAN_TAG);
                    out.push(u8::from(booleans.value(row)));
                }
                _ => {
                    let array = match column {
                        GroupColumn::Utf8(a) => *a as &dyn Array,
                        GroupColumn::Int64(a) => *a as &dyn Array,
                        GroupColumn::Int32(a) => *a as &dyn Array,
                        GroupColumn::Float64(a) => *a as &dyn Array,
                        GroupColumn::Boolean(a) => *a as &dyn Array,
                        GroupColumn::Other(a) => a.as_ref(),
                    };
                    has_null |= array.is_null(row);
                    let scalar =
                        ScalarValue::try_from_array(array, row).map_err(|e| e.to_string())?;
                    let mut writer = StateWriter::bare(std::mem::take(out));
                    let written = write_scalar_entry(&scalar, &mut writer);
                    *out = writer.finish();
                    written?;
                }
            }
        }
        Ok(has_null)
    }
}

/// The group of `values` (a group routed through a repartition topic), written into
/// `out` (cleared first).
pub fn encode_group_scalars(values: &Vec<ScalarValue>, out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    let mut writer = StateWriter::bare(std::mem::take(out));
    let written = ScalarsCodec.encode(values, &mut writer);
    *out = writer.finish();
    written
}

/// The group key of `values`: what tests build their keys from.
#[cfg(test)]
pub fn group_from_scalars(values: &Vec<ScalarValue>) -> Result<KeyBytes, String> {
    let mut bytes = Vec::new();
    encode_group_scalars(values, &mut bytes)?;
    Ok(KeyBytes::new(&bytes))
}

/// The values of a group key.
pub fn group_scalars(key: &KeyBytes) -> Result<Vec<ScalarValue>, String> {
    if let Some(values) = plain_group_scalars(key.as_bytes()) {
        return Ok(values);
    }
    let mut reader = StateReader::bare(key.as_bytes());
    let values = ScalarsCodec.decode(&mut reader)?;
    reader.finish()?;
    Ok(values)
}

/// The values of a group whose values are all present and of the types
/// [`GroupColumns::encode`] writes without a scalar, read without the codec's general
/// dispatch (every emitted row rebuilds its group); `None` for any other, which the
/// codec then reads and words any error of.
fn plain_group_scalars(bytes: &[u8]) -> Option<Vec<ScalarValue>> {
    let (count, mut rest) = bytes.split_first_chunk::<4>()?;
    let count = u32::from_le_bytes(*count) as usize;
    let mut values = Vec::with_capacity(count.min(rest.len()));
    for _ in 0..count {
        let ([PLAIN_SCALAR, tag, PRESENT], after) = rest.split_first_chunk::<3>()? else {
            return None;
        };
        let (value, after) = match *tag {
            UTF8_TAG => {
                let (len, after) = after.split_first_chunk::<4>()?;
                let len = u32::from_le_bytes(*len) as usize;
                let text = std::str::from_utf8(after.get(..len)?).ok()?;
                (ScalarValue::Utf8(Some(text.to_owned())), &after[len..])
            }
            INT64_TAG => {
                let (value, after) = after.split_first_chunk::<8>()?;
                (ScalarValue::Int64(Some(i64::from_le_bytes(*value))), after)
            }
            INT32_TAG => {
                let (value, after) = after.split_first_chunk::<8>()?;
                let value = i32::try_from(i64::from_le_bytes(*value)).ok()?;
                (ScalarValue::Int32(Some(value)), after)
            }
            FLOAT64_TAG => {
                let (value, after) = after.split_first_chunk::<8>()?;
                (
                    ScalarValue::Float64(Some(f64::from_le_bytes(*value))),
                    after,
                )
            }
            BOOLEAN_TAG => match after.split_first()? {
                (0, after) => (ScalarValue::Boolean(Some(false)), after),
                (1, after) => (ScalarValue::Boolean(Some(true)), after),
                _ => return None,
            },
            _ => return None,
        };
        values.push(value);
        rest = after;
    }
    rest.is_empty().then_some(values)
}

/// Reads a group key embedded in a store key: the bytes [`ScalarsCodec`] consumes.
pub fn read_group(input: &mut StateReader<'_>) -> Result<KeyBytes, String> {
    let before = input.remaining();
    ScalarsCodec.decode(input)?;
    let consumed = before.len() - input.remaining().len();
    Ok(KeyBytes::new(&before[..consumed]))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Date32Array, Decimal128Array};

    use super::*;

    fn columns() -> Vec<ArrayRef> {
        vec![
            Arc::new(StringArray::from(vec![
                Some("k-1"),
                None,
                Some(""),
                Some("é"),
            ])),
            Arc::new(Int64Array::from(vec![
                Some(-3),
                Some(0),
                None,
                Some(i64::MAX),
            ])),
            Arc::new(Int32Array::from(vec![
                Some(7),
                None,
                Some(0),
                Some(i32::MIN),
            ])),
            Arc::new(Float64Array::from(vec![
                Some(1.5),
                Some(-0.0),
                None,
                Some(f64::NAN),
            ])),
            Arc::new(BooleanArray::from(vec![
                Some(true),
                None,
                Some(false),
                Some(true),
            ])),
            Arc::new(Date32Array::from(vec![Some(1), None, Some(3), Some(4)])),
            Arc::new(
                Decimal128Array::from(vec![Some(12), None, Some(-5), Some(0)])
                    .with_precision_and_scale(4, 1)
                    .expect("valid decimal"),
            ),
        ]
    }

    #[test]
    fn encoding_from_columns_is_the_scalars_codec_encoding() {
        let columns = columns();
        let mut bytes = Vec::new();
        for row in 0..4 {
            let has_null = GroupColumns::new(&columns)
                .and_then(|group| group.encode(row, &mut bytes))
                .expect("encodes");
            assert_eq!(
                has_null,
                columns.iter().any(|c| c.is_null(row)),
                "row {row}"
            );
            let scalars: Vec<ScalarValue> = columns
                .iter()
                .map(|c| ScalarValue::try_from_array(c, row).expect("scalar"))
                .collect();
            let expected = group_from_scalars(&scalars).expect("encodes");
            assert_eq!(bytes, expected.as_bytes(), "row {row}");
            let decoded = group_scalars(&KeyBytes::new(&bytes)).expect("decodes");
            assert_eq!(format!("{decoded:?}"), format!("{scalars:?}"), "row {row}");
        }
    }

    #[test]
    fn plain_groups_are_read_as_the_codec_reads_them_and_others_are_left_to_it() {
        let columns = columns();
        let mut bytes = Vec::new();
        for row in 0..4 {
            let plain = &columns[..5];
            GroupColumns::new(plain)
                .and_then(|group| group.encode(row, &mut bytes))
                .expect("encodes");
            let by_codec = ScalarsCodec
                .decode(&mut StateReader::bare(&bytes))
                .expect("decodes");
            let all_present = plain.iter().all(|c| c.is_valid(row));
            match plain_group_scalars(&bytes) {
                Some(fast) => {
                    assert!(all_present, "row {row}");
                    assert_eq!(format!("{fast:?}"), format!("{by_codec:?}"), "row {row}");
                }
                None => assert!(!all_present, "row {row} has only plain values"),
            }
            assert_eq!(plain_group_scalars(&bytes[..bytes.len() - 1]), None);
        }
    }

    #[test]
    fn a_group_embedded_in_a_store_key_is_read_back_exactly() {
        let key = group_from_scalars(&vec![
            ScalarValue::Utf8(Some("a".into())),
            ScalarValue::Int64(Some(4)),
        ])
        .expect("encodes");
        let mut buffer = key.as_bytes().to_vec();
        buffer.extend_from_slice(&9_i64.to_le_bytes());
        let mut reader = StateReader::bare(&buffer);
        assert_eq!(read_group(&mut reader).expect("reads"), key);
        assert_eq!(reader.i64().expect("the rest"), 9);
        assert!(read_group(&mut StateReader::bare(&buffer[..5])).is_err());
    }
}
