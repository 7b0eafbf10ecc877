//! The bridge for the QTT runner: record keys and values as QTT files write them (JSON
//! values) to and from the bytes of a format.
//!
//! QTT writes JSON keys and values as JSON, DELIMITED ones as the line in a string, and
//! KAFKA ones as the JSON number or string of their single primitive.

use std::borrow::Cow;

use serde_json::Value;

use crate::sql::SqlType;

use super::cell::Cell;
use super::error::{FormatError, Result};
use super::kafka::{decode_kafka, encode_kafka};
use super::schema::Column;
use super::spec::{FormatKind, FormatSpec, SerdePart};
use super::text::{base64_decode, base64_encode};

fn kafka_cell<'a>(value: &'a Value, ty: &SqlType) -> Result<Cell<'a>, String> {
    let wrong = || format!("expected a {ty} value");
    Ok(match ty {
        SqlType::Int => Cell::Int(
            value
                .as_i64()
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(wrong)?,
        ),
        SqlType::BigInt => Cell::BigInt(value.as_i64().ok_or_else(wrong)?),
        SqlType::Double => Cell::Double(value.as_f64().ok_or_else(wrong)?),
        SqlType::String => match value {
            Value::String(s) => Cell::Str(Cow::Borrowed(s)),
            other => Cell::Str(Cow::Owned(other.to_string())),
        },
        SqlType::Bytes => Cell::Bytes(Cow::Owned(
            value.as_str().and_then(base64_decode).ok_or_else(wrong)?,
        )),
        other => {
            return Err(format!(
                "The 'KAFKA' format does not support type '{other}'"
            ));
        }
    })
}

/// The payload a QTT input `value` stands for, in `spec` for `columns`; `None` for null.
pub fn test_value_to_bytes(
    spec: &FormatSpec,
    part: SerdePart,
    columns: &[Column],
    value: &Value,
) -> Result<Option<Vec<u8>>> {
    let fail = |reason: String| FormatError::TestValue {
        part,
        format: spec.kind.name().to_string(),
        value: value.to_string(),
        reason,
    };
    if value.is_null() {
        return Ok(None);
    }
    match spec.kind {
        FormatKind::None => Ok(None),
        FormatKind::Json => serde_json::to_vec(value)
            .map(Some)
            .map_err(|e| fail(e.to_string())),
        FormatKind::Delimited => match value {
            Value::String(line) => Ok(Some(line.clone().into_bytes())),
            Value::Number(_) | Value::Bool(_) => Ok(Some(value.to_string().into_bytes())),
            _ => Err(fail("a DELIMITED record is written as a string".into())),
        },
        FormatKind::Kafka => match columns {
            [] => Ok(None),
            [column] => {
                let cell = kafka_cell(value, &column.ty).map_err(&fail)?;
                encode_kafka(&cell, &column.ty).map_err(fail)
            }
            _ => Err(fail("the 'KAFKA' format carries a single column".into())),
        },
    }
}

/// The QTT JSON value of a payload, comparable with a QTT expected output.
pub fn bytes_to_test_value(
    spec: &FormatSpec,
    part: SerdePart,
    columns: &[Column],
    bytes: Option<&[u8]>,
) -> Result<Value> {
    let Some(bytes) = bytes else {
        return Ok(Value::Null);
    };
    let fail = |reason: String| FormatError::TestValue {
        part,
        format: spec.kind.name().to_string(),
        value: String::from_utf8_lossy(bytes).into_owned(),
        reason,
    };
    match spec.kind {
        FormatKind::None => Ok(Value::Null),
        FormatKind::Json => serde_json::from_slice(bytes).map_err(|e| fail(e.to_string())),
        FormatKind::Delimited => std::str::from_utf8(bytes)
            .map(|s| Value::String(s.to_string()))
            .map_err(|e| fail(e.to_string())),
        FormatKind::Kafka => {
            let [column] = columns else {
                return Ok(Value::Null);
            };
            Ok(match decode_kafka(bytes, &column.ty).map_err(fail)? {
                Cell::Int(v) => Value::from(v),
                Cell::BigInt(v) => Value::from(v),
                Cell::Double(v) => {
                    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
                }
                Cell::Str(s) => Value::String(s.into_owned()),
                Cell::Bytes(b) => {
                    let mut text = String::new();
                    base64_encode(&b, &mut text);
                    Value::String(text)
                }
                _ => Value::Null,
            })
        }
    }
}
