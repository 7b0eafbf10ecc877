//! ksqlDB's coercion of text (a JSON string or a DELIMITED field) to a column's SQL type.

use std::borrow::Cow;

use crate::sql::SqlType;

use super::cell::Cell;
use super::schema::ksql_type_name;
use super::text::{base64_decode, parse_decimal};

/// The message ksqlDB gives when a JSON node of one kind cannot become the required type.
pub fn conversion_error(source_node: &str, ty: &SqlType) -> String {
    format!(
        "Can't convert type. sourceType: {source_node}, requiredType: {}",
        ksql_type_name(ty)
    )
}

fn coerce_error(text: &str, ty: &SqlType) -> String {
    format!(
        "Can't coerce string to type. targetType: {}, value: '{text}'",
        ksql_type_name(ty)
    )
}

fn parse_number<T: std::str::FromStr>(text: &str, ty: &SqlType) -> Result<T, String> {
    text.trim().parse().map_err(|_| coerce_error(text, ty))
}

/// Converts text to a cell of `ty`: numbers, booleans, decimals and base64 BYTES are parsed;
/// nested types cannot come from text.
pub fn text_to_cell<'a>(text: Cow<'a, str>, ty: &SqlType) -> Result<Cell<'a>, String> {
    Ok(match ty {
        SqlType::String => Cell::Str(text),
        SqlType::Boolean => {
            if text.eq_ignore_ascii_case("true") {
                Cell::Bool(true)
            } else if text.eq_ignore_ascii_case("false") {
                Cell::Bool(false)
            } else {
                return Err(coerce_error(&text, ty));
            }
        }
        SqlType::Int => Cell::Int(parse_number(&text, ty)?),
        SqlType::BigInt => Cell::BigInt(parse_number(&text, ty)?),
        SqlType::Double => Cell::Double(parse_number(&text, ty)?),
        SqlType::Decimal { precision, scale } => {
            Cell::Decimal(parse_decimal(&text, *precision, *scale)?)
        }
        SqlType::Bytes => {
            Cell::Bytes(Cow::Owned(base64_decode(text.trim()).ok_or_else(|| {
                format!("Value is not a valid base64 encoded string: '{text}'")
            })?))
        }
        SqlType::Date => Cell::Date(parse_number(&text, ty)?),
        SqlType::Time => Cell::Time(parse_number(&text, ty)?),
        SqlType::Timestamp => Cell::Timestamp(parse_number(&text, ty)?),
        SqlType::Array(_) | SqlType::Map(..) | SqlType::Struct(_) | SqlType::Custom(_) => {
            return Err(conversion_error("TextNode", ty));
        }
    })
}
