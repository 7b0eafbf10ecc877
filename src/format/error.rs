//! The error type of the format layer: configuration, schema validation and record serde.

use super::spec::SerdePart;

/// Everything that can go wrong while configuring a format or (de)serializing a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// A format that exists in ksqlDB but that Runnel declares out of scope (AVRO, PROTOBUF,
    /// JSON_SR, ...). A distinct variant so the test runner can count such cases as skipped.
    #[error(
        "The '{0}' format is not supported by Runnel (only JSON, DELIMITED, KAFKA and NONE are)"
    )]
    UnsupportedFormat(String),

    /// A format name nobody knows.
    #[error("Unknown format: {0}")]
    UnknownFormat(String),

    /// A format property has an invalid value or does not apply to the format.
    #[error("{0}")]
    InvalidConfig(String),

    /// The columns of the key or value cannot be carried by the format.
    #[error("{}", schema_message(*part, format, columns, reason))]
    UnsupportedSchema {
        part: SerdePart,
        format: String,
        /// The columns as ksqlDB prints them, e.g. "`K` INTEGER KEY".
        columns: Vec<String>,
        reason: String,
    },

    /// A statement-level rule on key or value columns that ksqlDB reports verbatim.
    #[error("{0}")]
    InvalidSchema(String),

    /// A record (or a value inside it) that could not be encoded.
    #[error("Failed to serialize {part} record: {message}")]
    Serialize { part: SerdePart, message: String },

    /// Decoded values that do not fit the column's Arrow array: a bug, never bad input.
    #[error("Internal error decoding {part} columns (this is a bug): {message}")]
    Internal { part: SerdePart, message: String },

    /// A QTT test value that cannot be turned into bytes of the format.
    #[error("Cannot write test {part} {value} as {format}: {reason}")]
    TestValue {
        part: SerdePart,
        format: String,
        value: String,
        reason: String,
    },
}

fn schema_message(part: SerdePart, format: &str, columns: &[String], reason: &str) -> String {
    let which = match part {
        SerdePart::Key => "Key",
        SerdePart::Value => "Value",
    };
    format!(
        "{which} format does not support schema.\nformat: {format}\nschema: Persistence{{columns=[{}], features=[]}}\nreason: {reason}",
        columns.join(", ")
    )
}

/// The result type of the format layer.
pub type Result<T, E = FormatError> = std::result::Result<T, E>;

/// Why one record failed to decode; the engine routes it to the processing log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Index of the record in the batch handed to `decode`.
    pub row: usize,
    pub message: String,
}
