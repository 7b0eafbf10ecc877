//! EXPLAIN: a query's dataflow as an indented operator tree, or as a DOT graph.

use crate::sql::ast::{ExplainTarget, Query, StatementKind};

use super::rows::QueryRows;
use super::{Engine, EngineError, Outcome, Result};

/// One operator of an explained dataflow, with its inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanNode {
    pub operator: String,
    pub detail: String,
    pub inputs: Vec<PlanNode>,
}

impl PlanNode {
    fn new(operator: &str, detail: String, inputs: Vec<PlanNode>) -> Self {
        PlanNode {
            operator: operator.to_string(),
            detail,
            inputs,
        }
    }

    /// The tree, one operator a line, inputs indented under their consumer.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.write_lines(0, &mut out);
        out
    }

    fn write_lines(&self, depth: usize, out: &mut Vec<String>) {
        let detail = if self.detail.is_empty() {
            String::new()
        } else {
            format!(" | {}", self.detail)
        };
        out.push(format!(
            "{}> [ {} ]{detail}",
            "  ".repeat(depth),
            self.operator
        ));
        for input in &self.inputs {
            input.write_lines(depth + 1, out);
        }
    }
}

/// The operators a query runs, from its sources up to its output.
pub fn query_tree(query: &Query) -> PlanNode {
    let mut node = PlanNode::new(
        "SOURCE",
        source_detail(&query.from.source.name, query.from.source.alias.as_ref()),
        Vec::new(),
    );
    for join in &query.from.joins {
        let right = PlanNode::new(
            "SOURCE",
            source_detail(&join.source.name, join.source.alias.as_ref()),
            Vec::new(),
        );
        node = PlanNode::new(
            "JOIN",
            format!("{:?} ON {}", join.kind, join.on).to_uppercase(),
            vec![node, right],
        );
    }
    if let Some(predicate) = &query.where_clause {
        node = PlanNode::new("FILTER", predicate.to_string(), vec![node]);
    }
    if !query.partition_by.is_empty() {
        node = PlanNode::new("REPARTITION", list(&query.partition_by), vec![node]);
    }
    if !query.group_by.is_empty() || query.window.is_some() {
        let mut detail = format!("GROUP BY {}", list(&query.group_by));
        if let Some(window) = &query.window {
            detail.push_str(&format!(" WINDOW {:?}", window.kind));
        }
        node = PlanNode::new("AGGREGATE", detail, vec![node]);
    }
    if let Some(having) = &query.having {
        node = PlanNode::new("HAVING", having.to_string(), vec![node]);
    }
    let select: Vec<String> = query
        .select
        .iter()
        .map(|item| match item {
            crate::sql::ast::SelectItem::Wildcard => "*".to_string(),
            crate::sql::ast::SelectItem::QualifiedWildcard(q) => format!("{}.*", q.as_str()),
            crate::sql::ast::SelectItem::Expr { expr, alias } => match alias {
                Some(a) => format!("{expr} AS {}", a.as_str()),
                None => expr.to_string(),
            },
        })
        .collect();
    node = PlanNode::new("PROJECT", select.join(", "), vec![node]);
    if let Some(limit) = query.limit {
        node = PlanNode::new("LIMIT", limit.to_string(), vec![node]);
    }
    node
}

fn source_detail(name: &crate::sql::ast::Ident, alias: Option<&crate::sql::ast::Ident>) -> String {
    match alias {
        Some(alias) => format!("{} AS {}", name.as_str(), alias.as_str()),
        None => name.as_str().to_string(),
    }
}

fn list(exprs: &[crate::sql::ast::Expr]) -> String {
    exprs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Engine {
    /// The dataflow of a running query (by id) or of a statement (not run).
    pub fn explain_tree(&self, target: &ExplainTarget) -> Result<PlanNode> {
        match target {
            ExplainTarget::QueryId(id) => {
                let query = self
                    .queries
                    .values()
                    .find(|q| q.info.id.eq_ignore_ascii_case(id.as_str()))
                    .ok_or_else(|| {
                        EngineError::Statement(format!(
                            "Query with id:{} does not exist",
                            id.as_str()
                        ))
                    })?;
                let statements = crate::sql::parse_statements(&query.info.sql)?;
                let kind = statements
                    .into_iter()
                    .next()
                    .map(|s| s.kind)
                    .ok_or_else(|| {
                        EngineError::Statement(format!(
                            "query {} has no statement: this is a bug",
                            query.info.id
                        ))
                    })?;
                statement_tree(&kind)
            }
            ExplainTarget::Statement(kind) => statement_tree(kind),
        }
    }

    pub(super) fn explain(&self, target: &ExplainTarget) -> Result<Outcome> {
        let tree = self.explain_tree(target)?;
        Ok(Outcome::Rows(QueryRows::text(
            &["Execution plan"],
            tree.lines().into_iter().map(|l| vec![l]).collect(),
        )))
    }
}

/// The tree of a statement that runs a query; a sink on top for persistent ones.
fn statement_tree(kind: &StatementKind) -> Result<PlanNode> {
    let (query, sink) = match kind {
        StatementKind::Query(query) => (query.as_ref(), None),
        StatementKind::CreateAsSelect(create) => (
            create.query.as_ref(),
            Some(create.name.as_str().to_string()),
        ),
        StatementKind::InsertInto(insert) => (
            insert.query.as_ref(),
            Some(insert.target.as_str().to_string()),
        ),
        _ => {
            return Err(EngineError::Statement(
                "EXPLAIN takes a query id or a statement that runs a query".into(),
            ));
        }
    };
    let tree = query_tree(query);
    Ok(match sink {
        Some(sink) => PlanNode::new("SINK", sink, vec![tree]),
        None => tree,
    })
}
