//! A stream or table in the catalog: its topic, schema, formats, time and windowing.

use crate::format::FormatSpec;
use crate::sql::ast::SourceKind;

use super::schema::LogicalSchema;

/// Where a source's event time comes from, when not from the record timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampColumn {
    /// A BIGINT or TIMESTAMP column, or a STRING column parsed with `format`.
    pub column: String,
    /// `TIMESTAMP_FORMAT`, a Java `DateTimeFormatter` pattern.
    pub format: Option<String>,
}

/// The kind of window a windowed source's keys carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowType {
    Tumbling,
    Hopping,
    Session,
}

impl WindowType {
    pub fn name(self) -> &'static str {
        match self {
            WindowType::Tumbling => "TUMBLING",
            WindowType::Hopping => "HOPPING",
            WindowType::Session => "SESSION",
        }
    }
}

/// How a windowed source's key is windowed. Session windows have no fixed size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowInfo {
    pub kind: WindowType,
    pub size_ms: Option<u64>,
}

/// A registered stream or table.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub name: String,
    pub kind: SourceKind,
    pub topic: String,
    pub schema: LogicalSchema,
    pub key_format: FormatSpec,
    pub value_format: FormatSpec,
    pub timestamp: Option<TimestampColumn>,
    pub window: Option<WindowInfo>,
    /// `CREATE SOURCE STREAM|TABLE`: nothing may insert into it.
    pub read_only: bool,
    /// The statement that created it, as written.
    pub sql: String,
}

impl Source {
    pub fn is_table(&self) -> bool {
        self.kind == SourceKind::Table
    }

    /// "stream" or "table", as ksqlDB's messages say it.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            SourceKind::Stream => "stream",
            SourceKind::Table => "table",
        }
    }
}
