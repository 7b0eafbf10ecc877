//! SELECT queries: projection, sources and joins, windows, clauses, ordering, emit,
//! limit and offset.

use super::{Duration, Expr, Ident};

/// A SELECT. `emit` is `None` for a pull query (no `EMIT` clause).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub select: Vec<SelectItem>,
    pub from: Relation,
    pub window: Option<WindowSpec>,
    pub where_clause: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub partition_by: Vec<Expr>,
    pub having: Option<Expr>,
    /// `ORDER BY`: only a pull query may sort (a push query's rows arrive as they change).
    pub order_by: Vec<OrderByItem>,
    pub emit: Option<Emit>,
    pub limit: Option<u64>,
    /// `OFFSET n`: rows skipped before LIMIT counts; pull queries only.
    pub offset: Option<u64>,
}

/// One sort key of ORDER BY: `expr [ASC|DESC] [NULLS FIRST|LAST]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderByItem {
    pub expr: Expr,
    pub descending: bool,
    /// `None` when not written: nulls then sort as the largest value (last when
    /// ascending, first when descending), as in PostgreSQL and DataFusion.
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `expr [[AS] alias]`.
    Expr { expr: Expr, alias: Option<Ident> },
    /// `*`.
    Wildcard,
    /// `source.*`.
    QualifiedWildcard(Ident),
}

/// The FROM clause: a source followed by zero or more joins, left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub source: AliasedSource,
    pub joins: Vec<Join>,
}

/// `name [[AS] alias]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AliasedSource {
    pub name: Ident,
    pub alias: Option<Ident>,
}

impl AliasedSource {
    /// The name other clauses use to qualify columns of this source.
    pub fn visible_name(&self) -> &Ident {
        self.alias.as_ref().unwrap_or(&self.name)
    }
}

/// `[kind] JOIN source [WITHIN ..] [GRACE PERIOD ..] ON condition`.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub kind: JoinKind,
    pub source: AliasedSource,
    pub within: Option<JoinWindow>,
    pub grace: Option<Duration>,
    pub on: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    /// `FULL [OUTER] JOIN` (also written `OUTER JOIN`).
    Full,
}

/// The time bound of a stream-stream join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinWindow {
    /// `WITHIN n unit`: the same bound before and after.
    Symmetric(Duration),
    /// `WITHIN (before, after)`.
    Asymmetric { before: Duration, after: Duration },
}

/// `WINDOW kind (...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowSpec {
    pub kind: WindowKind,
    pub retention: Option<Duration>,
    pub grace: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowKind {
    Tumbling { size: Duration },
    Hopping { size: Duration, advance: Duration },
    Session { gap: Duration },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Emit {
    /// `EMIT CHANGES`: a push query emitting every change.
    Changes,
    /// `EMIT FINAL`: a push query emitting each window once it closes.
    Final,
}
