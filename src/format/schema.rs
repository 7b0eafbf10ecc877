//! The columns a format carries and the check that a format can carry them.

use std::fmt::Write as _;

use crate::sql::SqlType;

use super::error::{FormatError, Result};
use super::spec::{FormatKind, FormatSpec, SerdePart};

/// One key or value column: its name as declared and its SQL type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    pub name: String,
    pub ty: SqlType,
}

impl Column {
    pub fn new(name: impl Into<String>, ty: SqlType) -> Self {
        Column {
            name: name.into(),
            ty,
        }
    }
}

/// Writes a type the way ksqlDB's schema messages do: struct field names always quoted.
pub fn ksql_type_name(ty: &SqlType) -> String {
    let mut out = String::new();
    write_type(&mut out, ty);
    out
}

fn write_type(out: &mut String, ty: &SqlType) {
    match ty {
        SqlType::Array(item) => {
            out.push_str("ARRAY<");
            write_type(out, item);
            out.push('>');
        }
        SqlType::Map(k, v) => {
            out.push_str("MAP<");
            write_type(out, k);
            out.push_str(", ");
            write_type(out, v);
            out.push('>');
        }
        SqlType::Struct(fields) => {
            out.push_str("STRUCT<");
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "`{}` ", field.name);
                write_type(out, &field.ty);
            }
            out.push('>');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// The base name ksqlDB uses when it refuses a type: `ARRAY`, `DECIMAL`, ...
fn base_type_name(ty: &SqlType) -> &'static str {
    match ty {
        SqlType::Boolean => "BOOLEAN",
        SqlType::Int => "INTEGER",
        SqlType::BigInt => "BIGINT",
        SqlType::Double => "DOUBLE",
        SqlType::Decimal { .. } => "DECIMAL",
        SqlType::String => "STRING",
        SqlType::Bytes => "BYTES",
        SqlType::Date => "DATE",
        SqlType::Time => "TIME",
        SqlType::Timestamp => "TIMESTAMP",
        SqlType::Array(_) => "ARRAY",
        SqlType::Map(_, _) => "MAP",
        SqlType::Struct(_) => "STRUCT",
        SqlType::Custom(_) => "CUSTOM",
    }
}

fn contains(ty: &SqlType, pred: &dyn Fn(&SqlType) -> bool) -> bool {
    pred(ty)
        || match ty {
            SqlType::Array(item) => contains(item, pred),
            SqlType::Map(k, v) => contains(k, pred) || contains(v, pred),
            SqlType::Struct(fields) => fields.iter().any(|f| contains(&f.ty, pred)),
            _ => false,
        }
}

fn describe_columns(columns: &[Column], part: SerdePart) -> Vec<String> {
    let suffix = if part == SerdePart::Key { " KEY" } else { "" };
    columns
        .iter()
        .map(|c| format!("`{}` {}{suffix}", c.name, ksql_type_name(&c.ty)))
        .collect()
}

/// Checks that `spec` can carry `columns` as the key or value, with ksqlDB's messages.
pub fn validate(spec: &FormatSpec, part: SerdePart, columns: &[Column]) -> Result<()> {
    let unsupported = |reason: String| FormatError::UnsupportedSchema {
        part,
        format: spec.kind.name().to_string(),
        columns: describe_columns(columns, part),
        reason,
    };
    for column in columns {
        if let Some(name) = contains_custom(&column.ty) {
            return Err(FormatError::InvalidSchema(format!(
                "Column `{}` has the unresolved type {name}: this is a bug in the catalog",
                column.name
            )));
        }
        if part == SerdePart::Key
            && contains(&column.ty, &|t: &SqlType| matches!(t, SqlType::Map(..)))
        {
            return Err(FormatError::InvalidSchema(format!(
                "Map keys, including types that contain maps, are not supported as they may lead to unexpected behavior due to inconsistent serialization. Key column name: `{}`. Column type: {}. See https://github.com/confluentinc/ksql/issues/6621 for more.",
                column.name,
                ksql_type_name(&column.ty)
            )));
        }
    }
    if part == SerdePart::Value && spec.wrap_single_value.is_some() && columns.len() != 1 {
        return Err(FormatError::InvalidConfig(
            "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas".to_string(),
        ));
    }
    match spec.kind {
        FormatKind::None => {
            if !columns.is_empty() {
                return Err(unsupported(format!(
                    "The 'NONE' format can only be used when no columns are defined. Got: [{}]",
                    describe_columns(columns, part).join(", ")
                )));
            }
        }
        FormatKind::Kafka => {
            if columns.len() > 1 {
                return Err(unsupported(format!(
                    "The 'KAFKA' format only supports a single field. Got: [{}]",
                    describe_columns(columns, part).join(", ")
                )));
            }
            for column in columns {
                if !matches!(
                    column.ty,
                    SqlType::Int
                        | SqlType::BigInt
                        | SqlType::Double
                        | SqlType::String
                        | SqlType::Bytes
                ) {
                    return Err(unsupported(format!(
                        "The 'KAFKA' format does not support type '{}'",
                        base_type_name(&column.ty)
                    )));
                }
            }
        }
        FormatKind::Delimited => {
            for column in columns {
                if matches!(
                    column.ty,
                    SqlType::Array(_) | SqlType::Map(..) | SqlType::Struct(_)
                ) {
                    return Err(unsupported(format!(
                        "The 'DELIMITED' format does not support type '{}', column: `{}`",
                        base_type_name(&column.ty),
                        column.name
                    )));
                }
            }
        }
        FormatKind::Json => {
            let non_string_map_key =
                |t: &SqlType| matches!(t, SqlType::Map(k, _) if **k != SqlType::String);
            if columns.iter().any(|c| contains(&c.ty, &non_string_map_key)) {
                return Err(FormatError::InvalidSchema(
                    "JSON only supports MAP types with STRING keys".to_string(),
                ));
            }
        }
    }
    Ok(())
}

fn contains_custom(ty: &SqlType) -> Option<String> {
    match ty {
        SqlType::Custom(name) => Some(name.clone()),
        SqlType::Array(item) => contains_custom(item),
        SqlType::Map(k, v) => contains_custom(k).or_else(|| contains_custom(v)),
        SqlType::Struct(fields) => fields.iter().find_map(|f| contains_custom(&f.ty)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::StructField;

    fn check(kind: FormatKind, part: SerdePart, columns: &[Column]) -> String {
        validate(&FormatSpec::new(kind), part, columns)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn kafka_messages_match_ksqldb() {
        let k = [Column::new("K", SqlType::Boolean)];
        assert_eq!(
            check(FormatKind::Kafka, SerdePart::Key, &k),
            "Key format does not support schema.\nformat: KAFKA\nschema: Persistence{columns=[`K` BOOLEAN KEY], features=[]}\nreason: The 'KAFKA' format does not support type 'BOOLEAN'"
        );
        let two = [
            Column::new("ID", SqlType::Int),
            Column::new("AGE", SqlType::Int),
        ];
        assert!(check(FormatKind::Kafka, SerdePart::Key, &two).contains(
            "reason: The 'KAFKA' format only supports a single field. Got: [`ID` INTEGER KEY, `AGE` INTEGER KEY]"
        ));
        let ok = [Column::new("V", SqlType::BigInt)];
        assert_eq!(check(FormatKind::Kafka, SerdePart::Value, &ok), "");
    }

    #[test]
    fn key_maps_are_refused_with_the_struct_fields_quoted() {
        let k = [Column::new(
            "KSQL_COL_0",
            SqlType::Struct(vec![StructField {
                name: "F".into(),
                ty: SqlType::Map(Box::new(SqlType::String), Box::new(SqlType::String)),
            }]),
        )];
        assert!(check(FormatKind::Json, SerdePart::Key, &k).contains(
            "Key column name: `KSQL_COL_0`. Column type: STRUCT<`F` MAP<STRING, STRING>>. See"
        ));
    }

    #[test]
    fn delimited_json_and_none_rules() {
        let array = [Column::new("K", SqlType::Array(Box::new(SqlType::Double)))];
        assert!(
            check(FormatKind::Delimited, SerdePart::Key, &array).ends_with(
                "reason: The 'DELIMITED' format does not support type 'ARRAY', column: `K`"
            )
        );
        let int_map = [Column::new(
            "FOO",
            SqlType::Map(Box::new(SqlType::Int), Box::new(SqlType::Double)),
        )];
        assert_eq!(
            check(FormatKind::Json, SerdePart::Value, &int_map),
            "JSON only supports MAP types with STRING keys"
        );
        assert!(
            check(FormatKind::None, SerdePart::Value, &int_map)
                .contains("The 'NONE' format can only be used when no columns are defined")
        );
        assert_eq!(check(FormatKind::None, SerdePart::Key, &[]), "");
    }
}
