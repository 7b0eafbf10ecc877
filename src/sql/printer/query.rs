//! Printing SELECT queries, joins and windows.

use std::fmt;

use super::expr::write_operand;
use super::write_list;
use crate::sql::ast::{
    AliasedSource, Emit, Expr, Join, JoinKind, JoinWindow, OrderByItem, Query, Relation,
    SelectItem, WindowKind, WindowSpec,
};

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        write_list(f, &self.select)?;
        write!(f, " FROM {}", self.from)?;
        if let Some(window) = &self.window {
            write!(f, " WINDOW {window}")?;
        }
        if let Some(condition) = &self.where_clause {
            write!(f, " WHERE {condition}")?;
        }
        if !self.group_by.is_empty() {
            f.write_str(" GROUP BY ")?;
            write_grouping(f, &self.group_by)?;
        }
        if !self.partition_by.is_empty() {
            f.write_str(" PARTITION BY ")?;
            write_grouping(f, &self.partition_by)?;
        }
        if let Some(condition) = &self.having {
            write!(f, " HAVING {condition}")?;
        }
        if !self.order_by.is_empty() {
            f.write_str(" ORDER BY ")?;
            write_list(f, &self.order_by)?;
        }
        if let Some(emit) = &self.emit {
            write!(f, " {emit}")?;
        }
        if let Some(limit) = self.limit {
            write!(f, " LIMIT {limit}")?;
        }
        if let Some(offset) = self.offset {
            write!(f, " OFFSET {offset}")?;
        }
        Ok(())
    }
}

impl fmt::Display for OrderByItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if self.descending {
            f.write_str(" DESC")?;
        }
        match self.nulls_first {
            Some(true) => f.write_str(" NULLS FIRST"),
            Some(false) => f.write_str(" NULLS LAST"),
            None => Ok(()),
        }
    }
}

/// GROUP BY and PARTITION BY take value expressions: anything looser is parenthesized.
fn write_grouping(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_operand(f, item, 5)?;
    }
    Ok(())
}

impl fmt::Display for SelectItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Expr { expr, alias } => {
                write!(f, "{expr}")?;
                if let Some(alias) = alias {
                    write!(f, " AS {alias}")?;
                }
                Ok(())
            }
            SelectItem::Wildcard => f.write_str("*"),
            SelectItem::QualifiedWildcard(source) => write!(f, "{source}.*"),
        }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        for join in &self.joins {
            write!(f, " {join}")?;
        }
        Ok(())
    }
}

impl fmt::Display for AliasedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if let Some(alias) = &self.alias {
            write!(f, " {alias}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Join {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            JoinKind::Inner => "JOIN",
            JoinKind::Left => "LEFT JOIN",
            JoinKind::Right => "RIGHT JOIN",
            JoinKind::Full => "FULL OUTER JOIN",
        };
        write!(f, "{kind} {}", self.source)?;
        match &self.within {
            Some(JoinWindow::Symmetric(d)) => write!(f, " WITHIN {d}")?,
            Some(JoinWindow::Asymmetric { before, after }) => {
                write!(f, " WITHIN ({before}, {after})")?
            }
            None => {}
        }
        if let Some(grace) = &self.grace {
            write!(f, " GRACE PERIOD {grace}")?;
        }
        write!(f, " ON {}", self.on)
    }
}

impl fmt::Display for WindowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            WindowKind::Tumbling { size } => write!(f, "TUMBLING (SIZE {size}")?,
            WindowKind::Hopping { size, advance } => {
                write!(f, "HOPPING (SIZE {size}, ADVANCE BY {advance}")?
            }
            WindowKind::Session { gap } => write!(f, "SESSION ({gap}")?,
        }
        if let Some(retention) = &self.retention {
            write!(f, ", RETENTION {retention}")?;
        }
        if let Some(grace) = &self.grace {
            write!(f, ", GRACE PERIOD {grace}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for Emit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Emit::Changes => "EMIT CHANGES",
            Emit::Final => "EMIT FINAL",
        })
    }
}
