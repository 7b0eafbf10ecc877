//! JSON bytes to cells: serde visitors that coerce each JSON value straight to its column type.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::sql::SqlType;

use super::cell::Cell;
use super::coerce::{conversion_error, text_to_cell};
use super::text::{decimal_from_f64, write_java_double};

/// Decodes one JSON document as a value of `ty`; `Cell::Null` for the literal `null`.
pub fn decode_json<'a>(bytes: &'a [u8], ty: &SqlType) -> Result<Cell<'a>, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let cell = CellSeed { ty }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(cell)
}

/// Decodes one JSON object into `row` (one cell per field of `row_type`, all null on
/// entry), a scratch row the caller reuses for every record, which spares a vector per
/// record. Returns `Ok(false)` for the literal `null`. On error the row holds leftovers
/// that the caller must discard.
pub fn decode_json_row_into<'a>(
    bytes: &'a [u8],
    row_type: &SqlType,
    row: &mut [Cell<'a>],
) -> Result<bool, String> {
    let SqlType::Struct(fields) = row_type else {
        return Err(format!(
            "row type {row_type} is not a STRUCT: this is a bug"
        ));
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let present = de::Deserializer::deserialize_any(
        &mut de,
        RowVisitor {
            row_type,
            fields,
            row,
        },
    )
    .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(present)
}

struct RowVisitor<'s, 'a, 't> {
    row_type: &'t SqlType,
    fields: &'t [crate::sql::StructField],
    row: &'s mut [Cell<'a>],
}

impl RowVisitor<'_, '_, '_> {
    fn refuse<E: de::Error>(&self, node: &str) -> Result<bool, E> {
        Err(E::custom(conversion_error(node, self.row_type)))
    }
}

impl<'de> Visitor<'de> for RowVisitor<'_, 'de, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object for {}", self.row_type)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        self.refuse("BooleanNode")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        self.refuse(integer_node(i128::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        self.refuse(integer_node(i128::from(v)))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        self.refuse("DoubleNode")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        self.refuse("TextNode")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<bool, A::Error> {
        self.refuse("ArrayNode")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        // Records of one stream list their fields in one order: guessing the field
        // after the last one found makes the usual lookup one comparison.
        let mut next_guess = 0;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match field_index_from(self.fields, &key, next_guess) {
                Some(i) => {
                    let cell = map.next_value_seed(CellSeed {
                        ty: &self.fields[i].ty,
                    })?;
                    if let Some(slot) = self.row.get_mut(i) {
                        *slot = cell;
                    }
                    next_guess = i + 1;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(true)
    }
}

/// [`field_index`], trying the field at `guess` first.
fn field_index_from(fields: &[crate::sql::StructField], key: &str, guess: usize) -> Option<usize> {
    match fields.get(guess) {
        Some(field) if field.name == key => Some(guess),
        _ => field_index(fields, key),
    }
}

/// The field a JSON key names: the exact name first, else ignoring ASCII case.
pub(super) fn field_index(fields: &[crate::sql::StructField], key: &str) -> Option<usize> {
    fields
        .iter()
        .position(|f| f.name == key)
        .or_else(|| fields.iter().position(|f| f.name.eq_ignore_ascii_case(key)))
}

/// Deserializes a value of `ty`, applying ksqlDB's coercions.
struct CellSeed<'t> {
    ty: &'t SqlType,
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_> {
    type Value = Cell<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Cell<'de>, D::Error> {
        deserializer.deserialize_any(CellVisitor { ty: self.ty })
    }
}

struct CellVisitor<'t> {
    ty: &'t SqlType,
}

impl CellVisitor<'_> {
    fn refuse<E: de::Error>(&self, node: &str) -> E {
        E::custom(conversion_error(node, self.ty))
    }

    fn integer<'de, E: de::Error>(&self, value: i128) -> Result<Cell<'de>, E> {
        integer_to_cell(value, self.ty).map_err(E::custom)
    }
}

/// A JSON integer as a cell of `ty`, with ksqlDB's coercions.
pub(super) fn integer_to_cell<'a>(value: i128, ty: &SqlType) -> Result<Cell<'a>, String> {
    let out_of_range = || format!("Value {value} is out of range for {ty}");
    Ok(match ty {
        SqlType::Int => Cell::Int(i32::try_from(value).map_err(|_| out_of_range())?),
        SqlType::BigInt => Cell::BigInt(i64::try_from(value).map_err(|_| out_of_range())?),
        SqlType::Double => Cell::Double(value as f64),
        SqlType::Decimal { precision, scale } => Cell::Decimal(super::text::parse_decimal(
            &value.to_string(),
            *precision,
            *scale,
        )?),
        SqlType::String => Cell::Str(Cow::Owned(value.to_string())),
        SqlType::Timestamp => Cell::Timestamp(i64::try_from(value).map_err(|_| out_of_range())?),
        SqlType::Date => Cell::Date(i32::try_from(value).map_err(|_| out_of_range())?),
        SqlType::Time => Cell::Time(i32::try_from(value).map_err(|_| out_of_range())?),
        _ => return Err(conversion_error(integer_node(value), ty)),
    })
}

/// A JSON number with a fraction or exponent as a cell of `ty`.
pub(super) fn float_to_cell<'a>(value: f64, ty: &SqlType) -> Result<Cell<'a>, String> {
    let in_range = |lo: f64, hi: f64| value.is_finite() && value >= lo && value <= hi;
    Ok(match ty {
        SqlType::Double => Cell::Double(value),
        // Java's Number.intValue(): the fraction is dropped.
        SqlType::Int if in_range(i32::MIN as f64, i32::MAX as f64) => Cell::Int(value as i32),
        SqlType::BigInt if in_range(i64::MIN as f64, i64::MAX as f64) => Cell::BigInt(value as i64),
        SqlType::Decimal { precision, scale } => {
            Cell::Decimal(decimal_from_f64(value, *precision, *scale)?)
        }
        SqlType::String => {
            let mut text = String::new();
            write_java_double(value, &mut text);
            Cell::Str(Cow::Owned(text))
        }
        _ => return Err(conversion_error("DoubleNode", ty)),
    })
}

/// A JSON boolean as a cell of `ty`.
pub(super) fn bool_to_cell<'a>(value: bool, ty: &SqlType) -> Result<Cell<'a>, String> {
    match ty {
        SqlType::Boolean => Ok(Cell::Bool(value)),
        SqlType::String => Ok(Cell::Str(Cow::Borrowed(if value {
            "true"
        } else {
            "false"
        }))),
        _ => Err(conversion_error("BooleanNode", ty)),
    }
}

fn integer_node(value: i128) -> &'static str {
    if i32::try_from(value).is_ok() {
        "IntNode"
    } else if i64::try_from(value).is_ok() {
        "LongNode"
    } else {
        "BigIntegerNode"
    }
}

impl<'de> Visitor<'de> for CellVisitor<'_> {
    type Value = Cell<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON value for {}", self.ty)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Cell<'de>, E> {
        Ok(Cell::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Cell<'de>, E> {
        Ok(Cell::Null)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Cell<'de>, E> {
        bool_to_cell(value, self.ty).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Cell<'de>, E> {
        self.integer(i128::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Cell<'de>, E> {
        self.integer(i128::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Cell<'de>, E> {
        float_to_cell(value, self.ty).map_err(E::custom)
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Cell<'de>, E> {
        text_to_cell(Cow::Borrowed(value), self.ty).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Cell<'de>, E> {
        text_to_cell(Cow::Owned(value.to_string()), self.ty).map_err(E::custom)
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Cell<'de>, E> {
        text_to_cell(Cow::Owned(value), self.ty).map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cell<'de>, A::Error> {
        match self.ty {
            SqlType::Array(item) => {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(cell) = seq.next_element_seed(CellSeed { ty: item })? {
                    items.push(cell);
                }
                Ok(Cell::List(items))
            }
            // ksqlDB reads a nested JSON value into a STRING column as its JSON text.
            SqlType::String => {
                let value: serde_json::Value =
                    serde::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Cell::Str(Cow::Owned(value.to_string())))
            }
            _ => Err(self.refuse("ArrayNode")),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell<'de>, A::Error> {
        match self.ty {
            SqlType::Struct(fields) => {
                let mut values = vec![Cell::Null; fields.len()];
                while let Some(key) = map.next_key_seed(KeySeed)? {
                    match field_index(fields, &key) {
                        Some(i) => {
                            values[i] = map.next_value_seed(CellSeed { ty: &fields[i].ty })?
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Cell::Struct(values))
            }
            SqlType::Map(key_ty, value_ty) => {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some(key) = map.next_key_seed(KeySeed)? {
                    let key = text_to_cell(key, key_ty).map_err(de::Error::custom)?;
                    let value = map.next_value_seed(CellSeed { ty: value_ty })?;
                    entries.push((key, value));
                }
                Ok(Cell::Map(entries))
            }
            SqlType::String => {
                let value: serde_json::Value =
                    serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Cell::Str(Cow::Owned(value.to_string())))
            }
            _ => Err(self.refuse("ObjectNode")),
        }
    }
}

/// Reads an object key, borrowing it from the input when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(key))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key.to_string()))
    }

    fn visit_string<E: de::Error>(self, key: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::StructField;

    fn row_type() -> SqlType {
        SqlType::Struct(vec![
            StructField {
                name: "ID".into(),
                ty: SqlType::BigInt,
            },
            StructField {
                name: "name".into(),
                ty: SqlType::String,
            },
            StructField {
                name: "D".into(),
                ty: SqlType::decimal(4, 2),
            },
        ])
    }

    #[test]
    fn fields_match_case_insensitively_and_unknown_fields_are_skipped() {
        let cell = decode_json(
            br#"{"id": "12", "NAME": "x", "extra": [1, {"a": 2}], "d": 1.5}"#,
            &row_type(),
        );
        assert_eq!(
            cell,
            Ok(Cell::Struct(vec![
                Cell::BigInt(12),
                Cell::Str(Cow::Borrowed("x")),
                Cell::Decimal(150)
            ]))
        );
    }

    #[test]
    fn wrong_types_and_bad_json_fail_with_a_message() {
        let err = decode_json(br#"{"ID": true}"#, &row_type()).unwrap_err();
        assert!(
            err.contains("Can't convert type. sourceType: BooleanNode, requiredType: BIGINT"),
            "{err}"
        );
        let err = decode_json(br#"{"ID": "abc"}"#, &row_type()).unwrap_err();
        assert!(
            err.contains("Can't coerce string to type. targetType: BIGINT"),
            "{err}"
        );
        assert!(decode_json(br#"{"ID": 1"#, &row_type()).is_err());
        assert!(decode_json(br#"{"ID": 1} x"#, &row_type()).is_err());
        assert!(decode_json(b"\xff", &row_type()).is_err());
        let err = decode_json(b"5", &row_type()).unwrap_err();
        assert!(
            err.contains("sourceType: IntNode, requiredType: STRUCT<`ID` BIGINT"),
            "{err}"
        );
    }

    #[test]
    fn nested_values_become_json_text_in_string_columns() {
        assert_eq!(
            decode_json(br#"{"a": [1, 2]}"#, &SqlType::String),
            Ok(Cell::Str(Cow::Owned(r#"{"a":[1,2]}"#.into())))
        );
        assert_eq!(
            decode_json(b"1.5", &SqlType::String),
            Ok(Cell::Str(Cow::Owned("1.5".into())))
        );
        assert_eq!(decode_json(b"null", &SqlType::Int), Ok(Cell::Null));
    }
}
