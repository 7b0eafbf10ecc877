//! How a format lays out a key's or value's columns in one record.

use crate::sql::{SqlType, StructField};

use super::error::Result;
use super::schema::{Column, validate};
use super::spec::{FormatKind, FormatSpec, SerdePart};

/// The record layout of a validated (format, part, columns) triple.
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    /// No columns: payloads are ignored on read and written as null.
    Empty,
    /// One column whose value is the whole payload (KAFKA, keys, `WRAP_SINGLE_VALUE=false`).
    Single(SqlType),
    /// A JSON object with a field per column; the type is a STRUCT of the columns.
    JsonObject(SqlType),
    /// A DELIMITED line with a field per column.
    Delimited(char),
}

/// Validates the columns against the format and works out the record layout.
pub(crate) fn shape_of(spec: &FormatSpec, part: SerdePart, columns: &[Column]) -> Result<Shape> {
    validate(spec, part, columns)?;
    Ok(match (spec.kind, columns) {
        (_, []) | (FormatKind::None, _) => Shape::Empty,
        (FormatKind::Delimited, _) => Shape::Delimited(spec.delimiter),
        (FormatKind::Kafka, [column]) => Shape::Single(column.ty.clone()),
        (FormatKind::Json, [column]) if spec.unwraps_single(part) => {
            Shape::Single(column.ty.clone())
        }
        (FormatKind::Kafka | FormatKind::Json, _) => Shape::JsonObject(SqlType::Struct(
            columns
                .iter()
                .map(|c| StructField {
                    name: c.name.clone(),
                    ty: c.ty.clone(),
                })
                .collect(),
        )),
    })
}
