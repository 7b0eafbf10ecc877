//! Printing statements.

use std::fmt;

use super::{write_list, write_string};
use crate::sql::ast::{
    ColumnConstraint, ConnectorKind, DescribeTarget, ExplainTarget, Ident, Property, QueryTarget,
    ShowTarget, SourceKind, Statement, StatementKind, TableElement, TopicName,
};

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::Stream => "STREAM",
            SourceKind::Table => "TABLE",
        })
    }
}

impl fmt::Display for ConnectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectorKind::Source => "SOURCE",
            ConnectorKind::Sink => "SINK",
        })
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bare = self
            .name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if bare {
            f.write_str(&self.name)?;
        } else {
            write_string(f, &self.name)?;
        }
        write!(f, "={}", self.value)
    }
}

fn write_properties(f: &mut fmt::Formatter<'_>, properties: &[Property]) -> fmt::Result {
    if properties.is_empty() {
        return Ok(());
    }
    f.write_str(" WITH (")?;
    write_list(f, properties)?;
    f.write_str(")")
}

impl fmt::Display for TableElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.ty)?;
        match &self.constraint {
            ColumnConstraint::None => Ok(()),
            ColumnConstraint::Key => f.write_str(" KEY"),
            ColumnConstraint::PrimaryKey => f.write_str(" PRIMARY KEY"),
            ColumnConstraint::Headers => f.write_str(" HEADERS"),
            ColumnConstraint::Header(key) => {
                f.write_str(" HEADER(")?;
                write_string(f, key)?;
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopicName::Ident(name) => write!(f, "{name}"),
            TopicName::Literal(name) => write_string(f, name),
        }
    }
}

impl fmt::Display for QueryTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryTarget::All => f.write_str("ALL"),
            QueryTarget::Query(id) => write_unambiguous(f, id, &["ALL"]),
        }
    }
}

/// Writes a name, quoted when bare it would read as one of `keywords` here
/// (`DESCRIBE \`STREAMS\`` describes a source named STREAMS).
fn write_unambiguous(f: &mut fmt::Formatter<'_>, name: &Ident, keywords: &[&str]) -> fmt::Result {
    if keywords.contains(&name.as_str()) {
        write!(f, "`{}`", name.as_str())
    } else {
        write!(f, "{name}")
    }
}

fn extended(flag: bool) -> &'static str {
    if flag { " EXTENDED" } else { "" }
}

fn if_not_exists(flag: bool) -> &'static str {
    if flag { " IF NOT EXISTS" } else { "" }
}

fn if_exists(flag: bool) -> &'static str {
    if flag { " IF EXISTS" } else { "" }
}

impl fmt::Display for ShowTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShowTarget::Streams { extended: e } => write!(f, "STREAMS{}", extended(*e)),
            ShowTarget::Tables { extended: e } => write!(f, "TABLES{}", extended(*e)),
            ShowTarget::Queries { extended: e } => write!(f, "QUERIES{}", extended(*e)),
            ShowTarget::Topics { all, extended: e } => {
                let all = if *all { "ALL " } else { "" };
                write!(f, "{all}TOPICS{}", extended(*e))
            }
            ShowTarget::Functions => f.write_str("FUNCTIONS"),
            ShowTarget::Types => f.write_str("TYPES"),
            ShowTarget::Properties => f.write_str("PROPERTIES"),
            ShowTarget::Variables => f.write_str("VARIABLES"),
            ShowTarget::Connectors { kind: None } => f.write_str("CONNECTORS"),
            ShowTarget::Connectors { kind: Some(kind) } => write!(f, "{kind} CONNECTORS"),
        }
    }
}

impl fmt::Display for DescribeTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescribeTarget::Source { name, extended } => {
                let e = if *extended { "EXTENDED " } else { "" };
                f.write_str(e)?;
                write_unambiguous(
                    f,
                    name,
                    &["STREAMS", "TABLES", "FUNCTION", "CONNECTOR", "EXTENDED"],
                )
            }
            DescribeTarget::Streams { extended: e } => write!(f, "STREAMS{}", extended(*e)),
            DescribeTarget::Tables { extended: e } => write!(f, "TABLES{}", extended(*e)),
            DescribeTarget::Function { name } => write!(f, "FUNCTION {name}"),
            DescribeTarget::Connector { name } => write!(f, "CONNECTOR {name}"),
        }
    }
}

impl fmt::Display for StatementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatementKind::CreateSource(c) => {
                f.write_str("CREATE ")?;
                if c.or_replace {
                    f.write_str("OR REPLACE ")?;
                }
                if c.is_source {
                    f.write_str("SOURCE ")?;
                }
                write!(f, "{}{} {}", c.kind, if_not_exists(c.if_not_exists), c.name)?;
                if !c.elements.is_empty() {
                    f.write_str(" (")?;
                    write_list(f, &c.elements)?;
                    f.write_str(")")?;
                }
                write_properties(f, &c.properties)
            }
            StatementKind::CreateAsSelect(c) => {
                f.write_str("CREATE ")?;
                if c.or_replace {
                    f.write_str("OR REPLACE ")?;
                }
                write!(f, "{}{} {}", c.kind, if_not_exists(c.if_not_exists), c.name)?;
                write_properties(f, &c.properties)?;
                write!(f, " AS {}", c.query)
            }
            StatementKind::InsertInto(i) => {
                write!(f, "INSERT INTO {}", i.target)?;
                write_properties(f, &i.properties)?;
                write!(f, " {}", i.query)
            }
            StatementKind::InsertValues(i) => {
                write!(f, "INSERT INTO {}", i.target)?;
                if !i.columns.is_empty() {
                    f.write_str(" (")?;
                    write_list(f, &i.columns)?;
                    f.write_str(")")?;
                }
                f.write_str(" VALUES (")?;
                write_list(f, &i.values)?;
                f.write_str(")")
            }
            StatementKind::Query(q) => write!(f, "{q}"),
            StatementKind::Show(target) => write!(f, "SHOW {target}"),
            StatementKind::Describe(target) => write!(f, "DESCRIBE {target}"),
            StatementKind::Explain(ExplainTarget::Statement(s)) => write!(f, "EXPLAIN {s}"),
            StatementKind::Explain(ExplainTarget::QueryId(id)) => write!(f, "EXPLAIN {id}"),
            StatementKind::ExplainGraph(ExplainTarget::Statement(s)) => {
                write!(f, "EXPLAIN {s} FORMAT DOT")
            }
            StatementKind::ExplainGraph(ExplainTarget::QueryId(id)) => {
                write!(f, "EXPLAIN {id} FORMAT DOT")
            }
            StatementKind::Terminate(target) => write!(f, "TERMINATE {target}"),
            StatementKind::Pause(target) => write!(f, "PAUSE {target}"),
            StatementKind::Resume(target) => write!(f, "RESUME {target}"),
            StatementKind::DropSource(d) => {
                write!(f, "DROP {}{} {}", d.kind, if_exists(d.if_exists), d.name)?;
                if d.delete_topic {
                    f.write_str(" DELETE TOPIC")?;
                }
                Ok(())
            }
            StatementKind::CreateType(t) => write!(
                f,
                "CREATE TYPE{} {} AS {}",
                if_not_exists(t.if_not_exists),
                t.name,
                t.ty
            ),
            StatementKind::DropType { if_exists: e, name } => {
                write!(f, "DROP TYPE{} {name}", if_exists(*e))
            }
            StatementKind::AlterSource(a) => {
                write!(f, "ALTER {} {}", a.kind, a.name)?;
                for (i, (column, ty)) in a.add_columns.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}ADD COLUMN {column} {ty}")?;
                }
                Ok(())
            }
            StatementKind::Print {
                topic,
                from_beginning,
                interval,
                limit,
            } => {
                write!(f, "PRINT {topic}")?;
                if *from_beginning {
                    f.write_str(" FROM BEGINNING")?;
                }
                if let Some(interval) = interval {
                    write!(f, " INTERVAL {interval}")?;
                }
                if let Some(limit) = limit {
                    write!(f, " LIMIT {limit}")?;
                }
                Ok(())
            }
            StatementKind::SetProperty { name, value } => {
                f.write_str("SET ")?;
                write_string(f, name)?;
                f.write_str(" = ")?;
                write_string(f, value)
            }
            StatementKind::UnsetProperty { name } => {
                f.write_str("UNSET ")?;
                write_string(f, name)
            }
            StatementKind::Define { name, value } => {
                write!(f, "DEFINE {name} = ")?;
                write_string(f, value)
            }
            StatementKind::Undefine { name } => write!(f, "UNDEFINE {name}"),
            StatementKind::RunScript { path } => {
                f.write_str("RUN SCRIPT ")?;
                write_string(f, path)
            }
            StatementKind::CreateConnector(c) => {
                write!(
                    f,
                    "CREATE {} CONNECTOR{} {}",
                    c.kind,
                    if_not_exists(c.if_not_exists),
                    c.name
                )?;
                write_properties(f, &c.properties)
            }
            StatementKind::DropConnector { if_exists: e, name } => {
                write!(f, "DROP CONNECTOR{} {name}", if_exists(*e))
            }
            StatementKind::AssertTopic(a) => {
                f.write_str("ASSERT ")?;
                if a.not_exists {
                    f.write_str("NOT EXISTS ")?;
                }
                write!(f, "TOPIC {}", a.topic)?;
                write_properties(f, &a.properties)?;
                if let Some(timeout) = &a.timeout {
                    write!(f, " TIMEOUT {timeout}")?;
                }
                Ok(())
            }
        }
    }
}
