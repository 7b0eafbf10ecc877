//! Statements: DDL, DML, queries and the administrative commands.

use super::{Duration, Expr, Ident, Literal, Query};
use crate::sql::types::SqlType;

/// One parsed statement with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    pub span: SourceSpan,
}

/// Where a statement sits in the parsed text.
///
/// `start..end` are byte offsets of its first and last token (without the `;`);
/// `line` and `column` (1-based, in characters) locate its start.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SourceSpan {
    pub start: usize,
    pub end: usize,
    pub line: u64,
    pub column: u64,
}

impl SourceSpan {
    /// The statement's own text within the text it was parsed from.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        source.get(self.start..self.end).unwrap_or("")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StatementKind {
    /// `CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] name (elements) WITH (...)`.
    CreateSource(CreateSource),
    /// `CREATE [OR REPLACE] STREAM|TABLE [IF NOT EXISTS] name [WITH (...)] AS SELECT ...`.
    CreateAsSelect(CreateAsSelect),
    /// `INSERT INTO name [WITH (...)] SELECT ...`.
    InsertInto(InsertInto),
    /// `INSERT INTO name [(columns)] VALUES (values)`.
    InsertValues(InsertValues),
    /// A push (`EMIT ...`) or pull query.
    Query(Box<Query>),
    /// `SHOW ...` or `LIST ...`.
    Show(ShowTarget),
    Describe(DescribeTarget),
    Explain(ExplainTarget),
    /// `EXPLAIN ... FORMAT DOT`: the same dataflow as a Graphviz digraph.
    ExplainGraph(ExplainTarget),
    Terminate(QueryTarget),
    Pause(QueryTarget),
    Resume(QueryTarget),
    DropSource(DropSource),
    CreateType(CreateType),
    /// `DROP TYPE [IF EXISTS] name`.
    DropType {
        if_exists: bool,
        name: Ident,
    },
    AlterSource(AlterSource),
    /// `PRINT topic [FROM BEGINNING] [INTERVAL n] [LIMIT n]`.
    Print {
        topic: TopicName,
        from_beginning: bool,
        interval: Option<u64>,
        limit: Option<u64>,
    },
    /// `SET 'name' = 'value'`.
    SetProperty {
        name: String,
        value: String,
    },
    /// `UNSET 'name'`.
    UnsetProperty {
        name: String,
    },
    /// `DEFINE name = 'value'`.
    Define {
        name: Ident,
        value: String,
    },
    /// `UNDEFINE name`.
    Undefine {
        name: Ident,
    },
    /// `RUN SCRIPT 'path'`.
    RunScript {
        path: String,
    },
    CreateConnector(CreateConnector),
    /// `DROP CONNECTOR [IF EXISTS] name`.
    DropConnector {
        if_exists: bool,
        name: Ident,
    },
    AssertTopic(AssertTopic),
}

/// `STREAM` or `TABLE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Stream,
    Table,
}

/// One `WITH (name = value)` entry. The name is upper-cased, except in a connector's
/// configuration where a quoted name is case-sensitive and kept verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub name: String,
    pub value: Literal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateSource {
    pub or_replace: bool,
    /// `CREATE SOURCE STREAM|TABLE`: a read-only source.
    pub is_source: bool,
    pub kind: SourceKind,
    pub if_not_exists: bool,
    pub name: Ident,
    pub elements: Vec<TableElement>,
    pub properties: Vec<Property>,
}

/// A column declaration `name type [KEY | PRIMARY KEY | HEADERS | HEADER('key')]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableElement {
    pub name: Ident,
    pub ty: SqlType,
    pub constraint: ColumnConstraint,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ColumnConstraint {
    /// A value column.
    None,
    /// `KEY` (streams).
    Key,
    /// `PRIMARY KEY` (tables).
    PrimaryKey,
    /// `HEADERS`: all headers as `ARRAY<STRUCT<KEY STRING, VALUE BYTES>>`.
    Headers,
    /// `HEADER('key')`: the last header with this key, as BYTES.
    Header(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateAsSelect {
    pub or_replace: bool,
    pub kind: SourceKind,
    pub if_not_exists: bool,
    pub name: Ident,
    pub properties: Vec<Property>,
    pub query: Box<Query>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InsertInto {
    pub target: Ident,
    pub properties: Vec<Property>,
    pub query: Box<Query>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InsertValues {
    pub target: Ident,
    /// Empty when the statement names no columns (all columns in order).
    pub columns: Vec<Ident>,
    pub values: Vec<Expr>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ShowTarget {
    Streams {
        extended: bool,
    },
    Tables {
        extended: bool,
    },
    Queries {
        extended: bool,
    },
    /// `SHOW [ALL] TOPICS [EXTENDED]`.
    Topics {
        all: bool,
        extended: bool,
    },
    Functions,
    Types,
    Properties,
    Variables,
    /// `SHOW [SOURCE|SINK] CONNECTORS`; `None` lists both.
    Connectors {
        kind: Option<ConnectorKind>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DescribeTarget {
    /// `DESCRIBE [EXTENDED] name`.
    Source {
        name: Ident,
        extended: bool,
    },
    Streams {
        extended: bool,
    },
    Tables {
        extended: bool,
    },
    /// `DESCRIBE FUNCTION name`.
    Function {
        name: Ident,
    },
    /// `DESCRIBE CONNECTOR name`.
    Connector {
        name: Ident,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExplainTarget {
    Statement(Box<StatementKind>),
    QueryId(Ident),
}

/// The query a TERMINATE, PAUSE or RESUME applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QueryTarget {
    All,
    Query(Ident),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DropSource {
    pub kind: SourceKind,
    pub if_exists: bool,
    pub name: Ident,
    pub delete_topic: bool,
}

/// `CREATE TYPE [IF NOT EXISTS] name AS type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreateType {
    pub if_not_exists: bool,
    pub name: Ident,
    pub ty: SqlType,
}

/// `ALTER STREAM|TABLE name ADD [COLUMN] c type [, ADD [COLUMN] c type]...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlterSource {
    pub kind: SourceKind,
    pub name: Ident,
    pub add_columns: Vec<(Ident, SqlType)>,
}

/// PRINT's topic: an identifier (normalized like any name) or a quoted string
/// (kept verbatim, for topic names with characters identifiers cannot hold).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TopicName {
    Ident(Ident),
    Literal(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectorKind {
    Source,
    Sink,
}

/// `CREATE SOURCE|SINK CONNECTOR [IF NOT EXISTS] name WITH (...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateConnector {
    pub kind: ConnectorKind,
    pub if_not_exists: bool,
    pub name: Ident,
    pub properties: Vec<Property>,
}

/// `ASSERT [NOT EXISTS] TOPIC name [WITH (...)] [TIMEOUT n unit]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertTopic {
    pub not_exists: bool,
    pub topic: TopicName,
    pub properties: Vec<Property>,
    pub timeout: Option<Duration>,
}
