//! Runnel's typed syntax tree for the ksqlDB dialect: statements, queries, expressions.
//!
//! Identifiers are normalized when parsed: an unquoted name is upper-cased, a quoted
//! one (backticks or double quotes) is kept verbatim. Every node prints back to SQL
//! through `Display` (see `sql::printer`), and parsing the printed text gives the same
//! tree.

mod expr;
mod literal;
mod query;
mod statement;

pub use expr::{BinaryOp, Expr, FunctionArgs, UnaryOp, WhenThen};
pub use literal::{Duration, Literal, TimeUnit};
pub use query::{
    AliasedSource, Emit, Join, JoinKind, JoinWindow, OrderByItem, Query, Relation, SelectItem,
    WindowKind, WindowSpec,
};
pub use statement::{
    AlterSource, AssertTopic, ColumnConstraint, ConnectorKind, CreateAsSelect, CreateConnector,
    CreateSource, CreateType, DescribeTarget, DropSource, ExplainTarget, InsertInto, InsertValues,
    Property, QueryTarget, ShowTarget, SourceKind, SourceSpan, Statement, StatementKind,
    TableElement, TopicName,
};

use std::fmt;

use super::types::write_ident;

/// A name: a source, column, field, function, type, query id or variable.
///
/// Holds the normalized spelling (see the module doc), so two names are the same
/// identifier exactly when they compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident(pub String);

impl Ident {
    pub fn new(name: impl Into<String>) -> Self {
        Ident(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_ident(f, &self.0)
    }
}
