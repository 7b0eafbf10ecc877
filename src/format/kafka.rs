//! KAFKA records: a single primitive in Kafka's own serializations (big-endian INT, BIGINT
//! and DOUBLE, UTF-8 STRING, raw BYTES).

use std::borrow::Cow;

use crate::sql::SqlType;

use super::cell::Cell;

fn fixed<const N: usize>(bytes: &[u8], deserializer: &str) -> Result<[u8; N], String> {
    bytes
        .try_into()
        .map_err(|_| format!("Size of data received by {deserializer} is not {N}"))
}

/// Decodes one KAFKA payload as a value of `ty`.
pub fn decode_kafka<'a>(bytes: &'a [u8], ty: &SqlType) -> Result<Cell<'a>, String> {
    Ok(match ty {
        SqlType::Int => Cell::Int(i32::from_be_bytes(fixed(bytes, "IntegerDeserializer")?)),
        SqlType::BigInt => Cell::BigInt(i64::from_be_bytes(fixed(bytes, "LongDeserializer")?)),
        SqlType::Double => Cell::Double(f64::from_be_bytes(fixed(bytes, "DoubleDeserializer")?)),
        SqlType::String => Cell::Str(Cow::Borrowed(
            std::str::from_utf8(bytes)
                .map_err(|e| format!("STRING value is not valid UTF-8: {e}"))?,
        )),
        SqlType::Bytes => Cell::Bytes(Cow::Borrowed(bytes)),
        other => {
            return Err(format!(
                "The 'KAFKA' format does not support type '{other}'"
            ));
        }
    })
}

/// Encodes one KAFKA value; null stays null.
pub fn encode_kafka(cell: &Cell<'_>, ty: &SqlType) -> Result<Option<Vec<u8>>, String> {
    let mut out = Vec::new();
    Ok(encode_kafka_into(cell, ty, &mut out)?.then_some(out))
}

/// Appends one KAFKA value to `out`; returns false (and appends nothing) for null.
pub fn encode_kafka_into(cell: &Cell<'_>, ty: &SqlType, out: &mut Vec<u8>) -> Result<bool, String> {
    match cell {
        Cell::Null => return Ok(false),
        Cell::Int(v) => out.extend_from_slice(&v.to_be_bytes()),
        Cell::BigInt(v) => out.extend_from_slice(&v.to_be_bytes()),
        Cell::Double(v) => out.extend_from_slice(&v.to_be_bytes()),
        Cell::Str(s) => out.extend_from_slice(s.as_bytes()),
        Cell::Bytes(b) => out.extend_from_slice(b),
        _ => return Err(format!("The 'KAFKA' format does not support type '{ty}'")),
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_types_check_their_length() {
        assert_eq!(decode_kafka(&[0, 0, 0, 7], &SqlType::Int), Ok(Cell::Int(7)));
        assert_eq!(
            decode_kafka(&[0, 7], &SqlType::Int),
            Err("Size of data received by IntegerDeserializer is not 4".to_string())
        );
        assert_eq!(
            decode_kafka(&[0; 4], &SqlType::BigInt),
            Err("Size of data received by LongDeserializer is not 8".to_string())
        );
        assert!(decode_kafka(b"\xc3", &SqlType::String).is_err());
        let bytes = encode_kafka(&Cell::Double(2.5), &SqlType::Double);
        assert_eq!(bytes, Ok(Some(2.5f64.to_be_bytes().to_vec())));
        assert_eq!(
            decode_kafka(&2.5f64.to_be_bytes(), &SqlType::Double),
            Ok(Cell::Double(2.5))
        );
    }
}
