//! `CREATE STREAM|TABLE` with explicit columns: validated into a [`Source`].

use std::collections::BTreeMap;

use crate::format::{self, FormatSpec, SerdePart};
use crate::sql::SqlType;
use crate::sql::ast::{ColumnConstraint, CreateSource, Literal, Property, SourceKind};

use super::error::{CatalogError, Result};
use super::schema::{Column, LogicalSchema, Namespace};
use super::source::{Source, TimestampColumn, WindowInfo, WindowType};
use super::types::TypeRegistry;

/// The WITH properties `CREATE STREAM|TABLE` accepts.
const SOURCE_PROPERTIES: &[&str] = &[
    "KAFKA_TOPIC",
    "PARTITIONS",
    "REPLICAS",
    "RETENTION_MS",
    "FORMAT",
    "KEY_FORMAT",
    "VALUE_FORMAT",
    "KEY_DELIMITER",
    "VALUE_DELIMITER",
    "WRAP_SINGLE_VALUE",
    "TIMESTAMP",
    "TIMESTAMP_FORMAT",
    "WINDOW_TYPE",
    "WINDOW_SIZE",
    "KEY_SCHEMA_ID",
    "VALUE_SCHEMA_ID",
    "KEY_SCHEMA_FULL_NAME",
    "VALUE_SCHEMA_FULL_NAME",
    "VALUE_AVRO_SCHEMA_FULL_NAME",
];

/// Pseudo-columns no source may declare.
pub const RESERVED_COLUMNS: &[&str] = &[
    "ROWTIME",
    "ROWPARTITION",
    "ROWOFFSET",
    "WINDOWSTART",
    "WINDOWEND",
];

/// WITH properties as upper-cased names and unquoted text values.
pub fn property_map(properties: &[Property]) -> BTreeMap<String, String> {
    properties
        .iter()
        .map(|p| {
            let value = match &p.value {
                Literal::String(s) => s.clone(),
                Literal::Int(i) => i.to_string(),
                Literal::BigInt(i) => i.to_string(),
                Literal::Boolean(b) => b.to_string(),
                Literal::Decimal(d) => d.clone(),
                Literal::Double(d) => d.to_string(),
                Literal::Null => String::new(),
            };
            (p.name.clone(), value)
        })
        .collect()
}

/// Refuses properties a statement does not know.
pub fn check_known_properties(props: &BTreeMap<String, String>, known: &[&str]) -> Result<()> {
    let unknown: Vec<&str> = props
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(CatalogError::Invalid(format!(
            "Invalid config variable(s) in the WITH clause: {}",
            unknown.join(",")
        )))
    }
}

/// Validates a `CREATE [SOURCE] STREAM|TABLE` with its columns into a source.
///
/// The topic is not touched here: the engine creates it (when `PARTITIONS` is given) or
/// checks that it exists.
pub fn source_from_create(
    create: &CreateSource,
    types: &TypeRegistry,
    sql: &str,
) -> Result<Source> {
    let props = property_map(&create.properties);
    check_known_properties(&props, SOURCE_PROPERTIES)?;
    let topic = props.get("KAFKA_TOPIC").cloned().ok_or_else(|| {
        CatalogError::Invalid("Missing required property \"KAFKA_TOPIC\" for statement".to_string())
    })?;
    if create.elements.is_empty() {
        // Inferring columns needs a schema registry: refuse its formats as unsupported.
        FormatSpec::from_properties(&props, SerdePart::Key)?;
        FormatSpec::from_properties(&props, SerdePart::Value)?;
        return Err(CatalogError::Invalid(
            "The statement does not define any columns.".to_string(),
        ));
    }

    let mut columns = Vec::with_capacity(create.elements.len());
    for element in &create.elements {
        let name = element.name.as_str().to_string();
        if RESERVED_COLUMNS.contains(&name.to_ascii_uppercase().as_str()) {
            return Err(CatalogError::Invalid(format!(
                "'{name}' is a reserved column name. You cannot use it as a name for a column."
            )));
        }
        if columns.iter().any(|c: &Column| c.name == name) {
            return Err(CatalogError::Invalid(format!(
                "Duplicate column names: `{name}`"
            )));
        }
        let namespace = match (&element.constraint, create.kind) {
            (ColumnConstraint::None, _) => Namespace::Value,
            (ColumnConstraint::Key, SourceKind::Stream) => Namespace::Key,
            (ColumnConstraint::PrimaryKey, SourceKind::Table) => Namespace::Key,
            (ColumnConstraint::PrimaryKey, SourceKind::Stream) => {
                return Err(CatalogError::Invalid(format!(
                    "Column `{name}` is a 'PRIMARY KEY' column: please use 'KEY' for streams.\n{KEY_HINT}"
                )));
            }
            (ColumnConstraint::Key, SourceKind::Table) => {
                return Err(CatalogError::Invalid(format!(
                    "Column `{name}` is a 'KEY' column: please use 'PRIMARY KEY' for tables.\n{KEY_HINT}"
                )));
            }
            (ColumnConstraint::Headers, _) => Namespace::Headers(None),
            (ColumnConstraint::Header(key), _) => Namespace::Headers(Some(key.clone())),
        };
        let ty = types.resolve(&element.ty)?;
        check_header_type(&name, &namespace, &ty)?;
        columns.push(Column {
            name,
            ty,
            namespace,
        });
    }
    let schema = LogicalSchema::new(columns);
    if create.kind == SourceKind::Table && schema.key_columns().next().is_none() {
        return Err(CatalogError::Invalid(
            "Tables require a PRIMARY KEY. Please define the PRIMARY KEY.".to_string(),
        ));
    }

    let (key_format, value_format) = formats_for(&props, &schema)?;
    let timestamp = timestamp_column(&props, &schema)?;
    let window = window_info(&props)?;

    Ok(Source {
        name: create.name.as_str().to_string(),
        kind: create.kind,
        topic,
        schema,
        key_format,
        value_format,
        timestamp,
        window,
        read_only: create.is_source,
        sql: sql.to_string(),
    })
}

const KEY_HINT: &str = "Tables have PRIMARY KEYs, which are unique and NON NULL.\nStreams have KEYs, which have no uniqueness or NON NULL constraints.";

fn check_header_type(name: &str, namespace: &Namespace, ty: &SqlType) -> Result<()> {
    let expected = match namespace {
        Namespace::Headers(None) => SqlType::Array(Box::new(SqlType::Struct(vec![
            crate::sql::StructField {
                name: "KEY".into(),
                ty: SqlType::String,
            },
            crate::sql::StructField {
                name: "VALUE".into(),
                ty: SqlType::Bytes,
            },
        ]))),
        Namespace::Headers(Some(_)) => SqlType::Bytes,
        _ => return Ok(()),
    };
    if *ty == expected {
        Ok(())
    } else {
        Err(CatalogError::Invalid(format!(
            "Invalid type for HEADERS column `{name}`: expected {expected}, got {ty}."
        )))
    }
}

/// The key and value formats of a schema, validated against its columns.
pub fn formats_for(
    props: &BTreeMap<String, String>,
    schema: &LogicalSchema,
) -> Result<(FormatSpec, FormatSpec)> {
    let key_format = FormatSpec::from_properties(props, SerdePart::Key)?;
    let value_format = FormatSpec::from_properties(props, SerdePart::Value)?;
    let key_columns: Vec<format::Column> = schema
        .key_columns()
        .map(|c| format::Column::new(&c.name, c.ty.clone()))
        .collect();
    let value_columns: Vec<format::Column> = schema
        .value_columns()
        .map(|c| format::Column::new(&c.name, c.ty.clone()))
        .collect();
    format::validate(&key_format, SerdePart::Key, &key_columns)?;
    format::validate(&value_format, SerdePart::Value, &value_columns)?;
    Ok((key_format, value_format))
}

/// The event-time column `WITH (TIMESTAMP=..., TIMESTAMP_FORMAT=...)` names, checked
/// against `schema`.
pub fn timestamp_column(
    props: &BTreeMap<String, String>,
    schema: &LogicalSchema,
) -> Result<Option<TimestampColumn>> {
    let Some(raw) = props.get("TIMESTAMP") else {
        if props.contains_key("TIMESTAMP_FORMAT") {
            return Err(CatalogError::Invalid(
                "TIMESTAMP_FORMAT requires a TIMESTAMP column to be set".to_string(),
            ));
        }
        return Ok(None);
    };
    let name = raw.trim().to_ascii_uppercase();
    let column = schema
        .columns
        .iter()
        .find(|c| c.name == name || c.name == raw.trim())
        .ok_or_else(|| {
            CatalogError::Invalid(format!(
                "The TIMESTAMP column set in the WITH clause does not exist in the schema: '{name}'"
            ))
        })?;
    let format = props.get("TIMESTAMP_FORMAT").cloned();
    match (&column.ty, &format) {
        (SqlType::BigInt | SqlType::Timestamp, _) | (SqlType::String, Some(_)) => {}
        (SqlType::String, None) => {
            return Err(CatalogError::Invalid(format!(
                "Timestamp column, `{}`, is a STRING: a TIMESTAMP_FORMAT must be supplied.",
                column.name
            )));
        }
        (other, _) => {
            return Err(CatalogError::Invalid(format!(
                "Timestamp column, `{}`, should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format specified. Got {other}",
                column.name
            )));
        }
    }
    Ok(Some(TimestampColumn {
        column: column.name.clone(),
        format,
    }))
}

fn window_info(props: &BTreeMap<String, String>) -> Result<Option<WindowInfo>> {
    let Some(kind) = props.get("WINDOW_TYPE") else {
        if props.contains_key("WINDOW_SIZE") {
            return Err(CatalogError::Invalid(
                "'WINDOW_SIZE' should not be set for non-windowed sources.".to_string(),
            ));
        }
        return Ok(None);
    };
    let kind = match kind.trim().to_ascii_uppercase().as_str() {
        "TUMBLING" => WindowType::Tumbling,
        "HOPPING" => WindowType::Hopping,
        "SESSION" => WindowType::Session,
        other => {
            return Err(CatalogError::Invalid(format!(
                "Configuration WINDOW_TYPE is invalid: Unknown window type: '{other}'"
            )));
        }
    };
    let size_ms = match (kind, props.get("WINDOW_SIZE")) {
        (WindowType::Session, Some(_)) => {
            return Err(CatalogError::Invalid(
                "'WINDOW_SIZE' should not be set for SESSION windows.".to_string(),
            ));
        }
        (WindowType::Session, None) => None,
        (_, None) => {
            return Err(CatalogError::Invalid(format!(
                "'WINDOW_SIZE' must be set for {} windows.",
                kind.name()
            )));
        }
        (_, Some(text)) => Some(parse_window_size(text)?),
    };
    Ok(Some(WindowInfo { kind, size_ms }))
}

/// Parses a WINDOW_SIZE such as `'30 SECONDS'`.
fn parse_window_size(text: &str) -> Result<u64> {
    let invalid = |detail: String| {
        CatalogError::Invalid(format!(
            "Configuration WINDOW_SIZE is invalid: Invalid duration: '{text}'. {detail}"
        ))
    };
    let mut parts = text.split_whitespace();
    let (Some(amount), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("Expected a number and a time unit".to_string()));
    };
    let amount: u64 = amount
        .parse()
        .map_err(|_| invalid(format!("Not a number: '{amount}'")))?;
    let unit_ms: u64 = match unit.to_ascii_uppercase().trim_end_matches('S') {
        "MILLISECOND" => 1,
        "SECOND" => 1_000,
        "MINUTE" => 60_000,
        "HOUR" => 3_600_000,
        "DAY" => 86_400_000,
        _ => {
            return Err(invalid(format!(
                "Unknown time unit: '{}'",
                unit.to_ascii_uppercase()
            )));
        }
    };
    Ok(amount.saturating_mul(unit_ms))
}
