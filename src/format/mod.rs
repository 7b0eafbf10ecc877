//! Record formats (JSON, DELIMITED, KAFKA, NONE) decoded to and encoded from Arrow.
//!
//! A [`FormatSpec`] comes from a statement's WITH clause; [`validate`] checks it against
//! the key or value columns with ksqlDB's messages; a [`RecordDecoder`] turns payloads into
//! one Arrow array per column (bad records become [`RowError`]s, never dropped); a
//! [`RecordEncoder`] turns arrays back into payloads. [`test_value_to_bytes`] and
//! [`bytes_to_test_value`] translate QTT test values.
//!
//! Arrow types are exactly those of [`crate::sql::SqlType::to_arrow`].

mod cell;
mod coerce;
mod column_builder;
mod column_reader;
mod decoder;
mod delimited;
mod encoder;
mod error;
mod flat_encode;
mod json_decode;
mod json_encode;
mod json_scan;
mod kafka;
mod scalar;
mod schema;
mod shape;
mod spec;
mod test_values;
mod text;

pub use cell::{Cell, build_array, cell_at};
pub use decoder::{DecodedColumns, RecordDecoder};
pub use encoder::{EncodedBatch, RecordEncoder};
pub use error::{FormatError, Result, RowError};
pub use schema::{Column, ksql_type_name, validate};
pub use spec::{DEFAULT_DELIMITER, FormatKind, FormatSpec, SerdePart, parse_delimiter};
pub use test_values::{bytes_to_test_value, test_value_to_bytes};
pub use text::{base64_encode, write_decimal, write_java_double};
