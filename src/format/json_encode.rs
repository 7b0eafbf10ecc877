//! Cells to JSON text in ksqlDB's output shape: declared field names, decimals as numbers
//! keeping their scale, BYTES as base64, dates and times as numbers.

use std::fmt::Write as _;

use crate::sql::SqlType;

use super::cell::Cell;
use super::text::{base64_encode, write_decimal, write_java_double};

/// Appends `cell` (a value of `ty`) to `out` as JSON.
pub fn write_json(cell: &Cell<'_>, ty: &SqlType, out: &mut String) {
    match (cell, ty) {
        (Cell::Null, _) => out.push_str("null"),
        (Cell::Bool(b), _) => out.push_str(if *b { "true" } else { "false" }),
        (Cell::Int(v), _) | (Cell::Date(v), _) | (Cell::Time(v), _) => {
            write_integer(i64::from(*v), out);
        }
        (Cell::BigInt(v), _) | (Cell::Timestamp(v), _) => write_integer(*v, out),
        (Cell::Double(v), _) => {
            if v.is_finite() {
                write_java_double(*v, out);
            } else {
                // JSON has no token for NaN or infinities; a string keeps the record valid.
                out.push('"');
                write_java_double(*v, out);
                out.push('"');
            }
        }
        (Cell::Decimal(v), SqlType::Decimal { scale, .. }) => write_decimal(*v, *scale, out),
        (Cell::Decimal(v), _) => write_decimal(*v, 0, out),
        (Cell::Str(s), _) => write_json_string(s, out),
        (Cell::Bytes(b), _) => {
            out.push('"');
            base64_encode(b, out);
            out.push('"');
        }
        (Cell::List(items), _) => {
            let item_ty = match ty {
                SqlType::Array(item) => item.as_ref(),
                other => other,
            };
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, item_ty, out);
            }
            out.push(']');
        }
        (Cell::Map(entries), _) => {
            let value_ty = match ty {
                SqlType::Map(_, v) => v.as_ref(),
                other => other,
            };
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match key {
                    Cell::Str(s) => write_json_string(s, out),
                    other => {
                        let mut text = String::new();
                        write_json(other, &SqlType::String, &mut text);
                        write_json_string(text.trim_matches('"'), out);
                    }
                }
                out.push(':');
                write_json(value, value_ty, out);
            }
            out.push('}');
        }
        (Cell::Struct(values), SqlType::Struct(fields)) => {
            out.push('{');
            for (i, (field, value)) in fields.iter().zip(values).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(&field.name, out);
                out.push(':');
                write_json(value, &field.ty, out);
            }
            out.push('}');
        }
        (Cell::Struct(values), _) => {
            out.push('[');
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(value, &SqlType::String, out);
            }
            out.push(']');
        }
    }
}

/// Appends `value` in decimal: the sink's hottest number path, without the formatting
/// machinery of `write!`.
fn write_integer(value: i64, out: &mut String) {
    let mut digits = [0u8; 20];
    let mut rest = value.unsigned_abs();
    let mut first = digits.len();
    loop {
        first -= 1;
        digits[first] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        out.push('-');
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[first..]).unwrap_or_default());
}

/// Appends `text` as a JSON string literal.
pub fn write_json_string(text: &str, out: &mut String) {
    out.push('"');
    // Most text needs no escape: one pass over its bytes, then one copy.
    if !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(text);
        out.push('"');
        return;
    }
    let mut plain_from = 0;
    for (i, c) in text.char_indices() {
        let escaped = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.push_str(&text[plain_from..i]);
        if escaped.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escaped);
        }
        plain_from = i + c.len_utf8();
    }
    out.push_str(&text[plain_from..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::StructField;
    use std::borrow::Cow;

    #[test]
    fn writes_integers_at_their_extremes() {
        for value in [
            0,
            7,
            -7,
            10,
            1_000_000,
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            let mut out = String::new();
            write_json(&Cell::BigInt(value), &SqlType::BigInt, &mut out);
            assert_eq!(out, value.to_string());
        }
        let mut out = String::new();
        write_json(&Cell::Int(i32::MIN), &SqlType::Int, &mut out);
        assert_eq!(out, i32::MIN.to_string());
    }

    #[test]
    fn writes_declared_names_scaled_decimals_and_escapes() {
        let ty = SqlType::Struct(vec![
            StructField {
                name: "Name".into(),
                ty: SqlType::String,
            },
            StructField {
                name: "D".into(),
                ty: SqlType::decimal(6, 4),
            },
            StructField {
                name: "X".into(),
                ty: SqlType::Double,
            },
            StructField {
                name: "B".into(),
                ty: SqlType::Bytes,
            },
        ]);
        let cell = Cell::Struct(vec![
            Cell::Str(Cow::Borrowed("a\"b\n\u{1}")),
            Cell::Decimal(123650),
            Cell::Double(10.0),
            Cell::Bytes(Cow::Borrowed(b"hi")),
        ]);
        let mut out = String::new();
        write_json(&cell, &ty, &mut out);
        assert_eq!(
            out,
            r#"{"Name":"a\"b\n\u0001","D":12.3650,"X":10.0,"B":"aGk="}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(parsed["Name"], "a\"b\n\u{1}");
    }
}
