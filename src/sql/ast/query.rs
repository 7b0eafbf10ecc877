//! SELECT queries: projection, sources and joins, windows, clauses, emit and limit.

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
    pub emit: Option<Emit>,
    pub limit: Option<u64>,
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
