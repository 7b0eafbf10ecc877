//! The logical schema of a stream or table: key, value and header columns.

use std::fmt;

use crate::sql::types::{SqlType, write_ident};

/// Where a column's value lives in a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// Part of the record key (`KEY` / `PRIMARY KEY`).
    Key,
    /// Part of the record value.
    Value,
    /// Taken from the record headers: all of them (`HEADERS`, an
    /// `ARRAY<STRUCT<KEY STRING, VALUE BYTES>>`) or the one named (`HEADER('k')`, BYTES).
    Headers(Option<String>),
}

/// One column of a source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    pub name: String,
    pub ty: SqlType,
    pub namespace: Namespace,
}

/// The columns of a source in declaration order.
///
/// Pseudo-columns (ROWTIME, ROWPARTITION, ROWOFFSET, WINDOWSTART, WINDOWEND) are not
/// part of it: the planner adds them where a query may reference them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogicalSchema {
    pub columns: Vec<Column>,
}

impl LogicalSchema {
    pub fn new(columns: Vec<Column>) -> Self {
        Self { columns }
    }

    pub fn key_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns
            .iter()
            .filter(|c| c.namespace == Namespace::Key)
    }

    pub fn value_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns
            .iter()
            .filter(|c| c.namespace == Namespace::Value)
    }

    pub fn header_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns
            .iter()
            .filter(|c| matches!(c.namespace, Namespace::Headers(_)))
    }

    /// Looks a column up by its exact (already normalised) name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_ident(f, &self.name)?;
        write!(f, " {}", self.ty)?;
        match &self.namespace {
            Namespace::Key => f.write_str(" KEY"),
            Namespace::Value => Ok(()),
            Namespace::Headers(None) => f.write_str(" HEADERS"),
            Namespace::Headers(Some(key)) => {
                write!(f, " HEADER('{}')", key.replace('\'', "''"))
            }
        }
    }
}

/// Prints `ID INTEGER KEY, COUNT BIGINT`, the shape ksqlDB's test files expect.
impl fmt::Display for LogicalSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{column}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: SqlType, namespace: Namespace) -> Column {
        Column {
            name: name.into(),
            ty,
            namespace,
        }
    }

    #[test]
    fn partitions_columns_by_namespace_in_declaration_order() {
        let schema = LogicalSchema::new(vec![
            col("V1", SqlType::Int, Namespace::Value),
            col("K", SqlType::String, Namespace::Key),
            col("H", SqlType::Bytes, Namespace::Headers(Some("h'1".into()))),
            col("V2", SqlType::Double, Namespace::Value),
        ]);
        let names =
            |it: &mut dyn Iterator<Item = &Column>| it.map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&mut schema.key_columns()), ["K"]);
        assert_eq!(names(&mut schema.value_columns()), ["V1", "V2"]);
        assert_eq!(names(&mut schema.header_columns()), ["H"]);
        assert_eq!(
            schema.to_string(),
            "V1 INTEGER, K STRING KEY, H BYTES HEADER('h''1'), V2 DOUBLE"
        );
        assert_eq!(schema.column("V2").map(|c| &c.ty), Some(&SqlType::Double));
        assert!(schema.column("v2").is_none());
    }
}
