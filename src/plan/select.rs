//! Plans a stateless SELECT (one source, WHERE, projection) into a [`SelectPlan`].

use std::sync::Arc;

use super::error::{PlanError, Result};
use super::expr::{ExprCompiler, FunctionResolver, Typed};
use super::naming::ColumnNamer;
use super::partition::{PartitionPlan, plan_partition_by};
use super::scope::{Scope, ScopeColumn};
use super::table_function::{TableFunctionLifter, TableFunctionPlan};
use crate::catalog::{Catalog, Column, LogicalSchema, Namespace, Source};
use crate::sql::SqlType;
use crate::sql::ast::{Emit, Expr, Query, SelectItem};

/// ksqlDB's refusal of EMIT FINAL outside a windowed aggregation.
pub const EMIT_FINAL_NEEDS_WINDOW: &str = "EMIT FINAL is only supported for windowed aggregations.";

/// The pseudo-columns every source offers, after its own columns.
pub const ROWTIME: &str = "ROWTIME";
pub const ROWPARTITION: &str = "ROWPARTITION";
pub const ROWOFFSET: &str = "ROWOFFSET";
pub const WINDOWSTART: &str = "WINDOWSTART";
pub const WINDOWEND: &str = "WINDOWEND";

/// A source as a query reads it: its alias and the columns of its decoded batches.
#[derive(Debug, Clone)]
pub struct SourceInput {
    pub source: Arc<Source>,
    pub alias: String,
    pub scope: Scope,
}

impl SourceInput {
    /// The one source a query reads FROM, looked up in `catalog`.
    pub fn from_query(query: &Query, catalog: &Catalog) -> Result<Self> {
        let from = &query.from.source;
        let source = catalog
            .source(from.name.as_str())
            .ok_or_else(|| PlanError::Type(format!("{} does not exist.", from.name.as_str())))?;
        Ok(SourceInput::new(
            Arc::clone(source),
            from.visible_name().as_str(),
        ))
    }

    /// The scope of a source's decoded batches: key columns, value and header columns
    /// in declaration order, then ROWTIME, ROWPARTITION, ROWOFFSET and, for a windowed
    /// source, WINDOWSTART and WINDOWEND.
    pub fn new(source: Arc<Source>, alias: &str) -> Self {
        let qualifier = Some(alias.to_string());
        let column = |name: &str, ty: SqlType| ScopeColumn {
            qualifier: qualifier.clone(),
            name: name.to_string(),
            ty,
        };
        let mut columns: Vec<ScopeColumn> = source
            .schema
            .key_columns()
            .chain(
                source
                    .schema
                    .columns
                    .iter()
                    .filter(|c| c.namespace != Namespace::Key),
            )
            .map(|c| column(&c.name, c.ty.clone()))
            .collect();
        columns.push(column(ROWTIME, SqlType::BigInt));
        columns.push(column(ROWPARTITION, SqlType::Int));
        columns.push(column(ROWOFFSET, SqlType::BigInt));
        if source.window.is_some() {
            columns.push(column(WINDOWSTART, SqlType::BigInt));
            columns.push(column(WINDOWEND, SqlType::BigInt));
        }
        SourceInput {
            source,
            alias: alias.to_string(),
            scope: Scope::new(columns),
        }
    }

    /// How many of the scope's columns are the source's own (before pseudo-columns).
    pub fn own_columns(&self) -> usize {
        self.source.schema.columns.len()
    }
}

/// One output column of a projection.
#[derive(Debug, Clone)]
pub struct OutputColumn {
    pub name: String,
    pub expr: Typed,
    pub is_key: bool,
}

/// A stateless continuous query: read one source, filter, project.
#[derive(Debug, Clone)]
pub struct SelectPlan {
    pub input: SourceInput,
    pub filter: Option<Typed>,
    /// Key columns first, then value columns, in select order.
    pub output: Vec<OutputColumn>,
    /// With PARTITION BY: the output is re-keyed by the partitioning expressions.
    pub partition: Option<PartitionPlan>,
    /// With table functions: the output is over their expanded scope, not the source's.
    pub table_functions: Option<TableFunctionPlan>,
}

impl SelectPlan {
    /// The logical schema of what the query produces.
    pub fn schema(&self) -> LogicalSchema {
        output_schema(&self.output)
    }
}

/// The logical schema of a projection's output columns.
pub fn output_schema(output: &[OutputColumn]) -> LogicalSchema {
    LogicalSchema::new(
        output
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                ty: c.expr.ty.clone(),
                namespace: if c.is_key {
                    Namespace::Key
                } else {
                    Namespace::Value
                },
            })
            .collect(),
    )
}

/// Renames "column cannot be resolved" for the clause it came from, as ksqlDB words it.
/// The query's WHERE clause compiled, checked to be a BOOLEAN.
pub fn plan_where(query: &Query, compiler: &ExprCompiler) -> Result<Option<Typed>> {
    let Some(predicate) = &query.where_clause else {
        return Ok(None);
    };
    let typed = compiler
        .compile(predicate)
        .map_err(|e| in_clause("WHERE", e))?;
    if typed.ty != SqlType::Boolean {
        return Err(PlanError::Type(format!(
            "Type error in WHERE expression: Should evaluate to boolean but is {predicate} ({}) instead.",
            typed.ty
        )));
    }
    Ok(Some(typed))
}

/// An error compiling an expression of `clause`, in ksqlDB's words for an unknown column.
pub fn in_clause(clause: &str, err: PlanError) -> PlanError {
    match err {
        PlanError::UnknownColumn(name) => {
            PlanError::Type(format!("{clause} column '{name}' cannot be resolved."))
        }
        other => other,
    }
}

/// Plans `query` reading one source; `sink` names the output in error messages.
pub fn plan_select(
    query: &Query,
    catalog: &Catalog,
    functions: &dyn FunctionResolver,
    sink: &str,
) -> Result<SelectPlan> {
    if !query.from.joins.is_empty() {
        return Err(PlanError::Unsupported(
            "JOIN is not supported by Runnel yet".into(),
        ));
    }
    if query.window.is_some() || !query.group_by.is_empty() || query.having.is_some() {
        return Err(PlanError::Unsupported(
            "Aggregations (WINDOW, GROUP BY, HAVING) are not supported by Runnel yet".into(),
        ));
    }
    if query.emit == Some(Emit::Final) {
        return Err(PlanError::Type(EMIT_FINAL_NEEDS_WINDOW.into()));
    }
    let input = SourceInput::from_query(query, catalog)?;
    let compiler = ExprCompiler {
        scope: &input.scope,
        functions,
    };

    let filter = plan_where(query, &compiler)?;

    let mut table_functions = None;
    let (output, partition) = if TableFunctionLifter::has_table_functions(query, &compiler) {
        if !query.partition_by.is_empty() {
            return Err(PlanError::Unsupported(
                "PARTITION BY together with table functions is not supported by Runnel yet".into(),
            ));
        }
        let mut lifter = TableFunctionLifter::new(&compiler);
        for item in &query.select {
            if let SelectItem::Expr { expr, .. } = item {
                lifter.lift(expr).map_err(|e| in_clause("SELECT", e))?;
            }
        }
        let scope = lifter.expanded_scope(&input.scope);
        let expanded = ExprCompiler {
            scope: &scope,
            functions,
        };
        let output = project(
            query,
            &input,
            &mut |e: &Expr| expanded.compile(&lifter.lift(e)?),
            sink,
        )?;
        table_functions = Some(TableFunctionPlan {
            calls: lifter.into_calls(),
            scope,
        });
        (output, None)
    } else if query.partition_by.is_empty() {
        let output = project(query, &input, &mut |e: &Expr| compiler.compile(e), sink)?;
        (output, None)
    } else {
        let (output, partition) = plan_partition_by(query, &input, &compiler, sink)?;
        (output, Some(partition))
    };
    Ok(SelectPlan {
        input,
        filter,
        output,
        partition,
        table_functions,
    })
}

/// The projection: expands wildcards, names columns, and checks ksqlDB's key rules.
fn project(
    query: &Query,
    input: &SourceInput,
    compile: &mut dyn FnMut(&Expr) -> Result<Typed>,
    sink: &str,
) -> Result<Vec<OutputColumn>> {
    let schema = &input.source.schema;
    let mut items: Vec<(Option<String>, Expr)> = Vec::new();
    for item in &query.select {
        match item {
            SelectItem::Wildcard | SelectItem::QualifiedWildcard(_) => {
                if let SelectItem::QualifiedWildcard(q) = item {
                    if q.as_str() != input.alias {
                        return Err(PlanError::Type(format!(
                            "'{}' is not a valid stream/table name or alias.",
                            q.as_str()
                        )));
                    }
                }
                for c in schema.key_columns().chain(schema.value_columns()) {
                    items.push((None, Expr::column(&c.name)));
                }
            }
            SelectItem::Expr { expr, alias } => {
                items.push((alias.as_ref().map(|a| a.as_str().to_string()), expr.clone()));
            }
        }
    }

    let key_names: Vec<&str> = schema.key_columns().map(|c| c.name.as_str()).collect();
    let mut namer = ColumnNamer::default();
    let explicit: Vec<String> = items.iter().filter_map(|(a, _)| a.clone()).collect();
    let mut keys: Vec<(usize, OutputColumn)> = Vec::new();
    let mut values: Vec<OutputColumn> = Vec::new();
    let mut key_aliases: Vec<(String, Vec<String>)> = Vec::new();
    for (alias, expr) in &items {
        if matches!(expr, Expr::Literal(crate::sql::ast::Literal::Null)) {
            return Err(PlanError::Type(
                "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).".into(),
            ));
        }
        let typed = compile(expr).map_err(|e| in_clause("SELECT", e))?;
        let name = match alias {
            Some(a) => a.clone(),
            None => namer.name_for(expr, &|n: &str| {
                explicit.iter().any(|e| e == n) || values.iter().any(|v| v.name == n)
            }),
        };
        let key_index = match expr {
            Expr::Column {
                name: column,
                source,
            } if source.as_ref().is_none_or(|s| s.as_str() == input.alias) => {
                key_names.iter().position(|k| *k == column.as_str())
            }
            _ => None,
        };
        match key_index {
            Some(index) => {
                let key = key_names[index].to_string();
                match key_aliases.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, names)) => names.push(name.clone()),
                    None => key_aliases.push((key, vec![name.clone()])),
                }
                keys.push((
                    index,
                    OutputColumn {
                        name,
                        expr: typed,
                        is_key: true,
                    },
                ));
            }
            None => values.push(OutputColumn {
                name,
                expr: typed,
                is_key: false,
            }),
        }
    }

    if let Some((key, names)) = key_aliases.iter().find(|(_, names)| names.len() > 1) {
        return Err(PlanError::Type(format!(
            "The projection contains a key column (`{key}`) more than once, aliased as: {}.",
            join_and(names)
        )));
    }
    let missing: Vec<&str> = key_names
        .iter()
        .filter(|k| !key_aliases.iter().any(|(key, _)| key == *k))
        .copied()
        .collect();
    if !missing.is_empty() {
        let (noun, list) = if missing.len() == 1 {
            ("key column", missing[0].to_string())
        } else {
            ("key columns", join_and(&missing))
        };
        return Err(PlanError::Type(format!(
            "The query used to build `{sink}` must include the {noun} {list} in its projection (eg, SELECT {}...).",
            missing.join(", ")
        )));
    }
    if values.is_empty() {
        return Err(PlanError::Type(
            "The projection contains no value columns.".into(),
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for column in keys.iter().map(|(_, c)| c).chain(&values) {
        if seen.contains(&column.name.as_str()) {
            return Err(PlanError::Type(format!(
                "Duplicate value columns found in schema: `{}` {}",
                column.name, column.expr.ty
            )));
        }
        seen.push(&column.name);
    }
    keys.sort_by_key(|(index, _)| *index);
    Ok(keys.into_iter().map(|(_, c)| c).chain(values).collect())
}

/// ksqlDB's error for key expressions (GROUP BY, PARTITION BY) that the projection of
/// the query building `sink` leaves out; `what` names one such expression.
pub fn missing_from_projection(sink: &str, what: &str, missing: &[String]) -> PlanError {
    let plural = if missing.len() == 1 { "" } else { "s" };
    PlanError::Type(format!(
        "The query used to build `{sink}` must include the {what}{plural} {} in its projection (eg, SELECT {}...).",
        join_and(missing),
        missing.join(", ")
    ))
}

/// `A`, `A and B`, `A, B and C`.
pub fn join_and<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(|s| s.as_ref())
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}
