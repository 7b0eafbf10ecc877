//! Plans a GROUP BY query (aggregates, HAVING, windows) into an [`AggregatePlan`].
//!
//! Aggregate calls and GROUP BY terms are lifted out of the projection and HAVING: the
//! aggregate operator produces rows over the *aggregate scope* (grouping keys, one column
//! per aggregate, ROWTIME, WINDOWSTART, WINDOWEND), and the rewritten projection and
//! HAVING are compiled over that scope like any stateless expression.

use std::sync::Arc;

use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr as DfExpr;

use super::error::{PlanError, Result};
use super::expr::{ExprCompiler, FunctionResolver, Typed};
use super::naming::ColumnNamer;
use super::rewrite::{rewrite, unqualified};
use super::scope::{Scope, ScopeColumn};
use super::select::{
    EMIT_FINAL_NEEDS_WINDOW, OutputColumn, ROWTIME, SourceInput, WINDOWEND, WINDOWSTART,
    missing_from_projection, output_schema, plan_where,
};
use super::window::WindowPlan;
use crate::catalog::{Catalog, LogicalSchema};
use crate::functions::aggregate::{AggregateFunction, AggregateSpec};
use crate::functions::registry::FunctionRegistry;
use crate::sql::SqlType;
use crate::sql::ast::{Emit, Expr, FunctionArgs, Query, SelectItem};

/// The aggregate scope's name for grouping key `i`.
fn group_column(i: usize) -> String {
    format!("KSQL_GROUP_{i}")
}

/// The aggregate scope's name for aggregate `i`, as ksqlDB names its internal columns.
fn aggregate_column(i: usize) -> String {
    format!("KSQL_AGG_VARIABLE_{i}")
}

/// One aggregate call: the function, its resolved spec and its column arguments.
#[derive(Debug, Clone)]
pub struct AggregateCall {
    pub function: Arc<AggregateFunction>,
    pub spec: AggregateSpec,
    /// Evaluated per input row, over the source scope.
    pub args: Vec<Typed>,
}

/// A continuous GROUP BY query: read one source, filter, group, aggregate, project.
#[derive(Debug, Clone)]
pub struct AggregatePlan {
    pub input: SourceInput,
    pub filter: Option<Typed>,
    /// The grouping expressions over the source scope.
    pub group_by: Vec<Typed>,
    pub aggregates: Vec<AggregateCall>,
    pub window: Option<WindowPlan>,
    /// What the aggregate operator emits: keys, aggregates, ROWTIME, WINDOWSTART/END.
    pub aggregate_scope: Scope,
    /// Over the aggregate scope; a group that fails it is emitted as a tombstone.
    pub having: Option<Typed>,
    /// Over the aggregate scope; key columns first.
    pub output: Vec<OutputColumn>,
    /// EMIT FINAL: one result per window, when it closes.
    pub emit_final: bool,
    /// A non-windowed table's RETENTION: a group untouched (by stream time) for longer
    /// is expired and deleted downstream. Set by the engine from the sink's WITH.
    pub retention_ms: Option<i64>,
}

impl AggregatePlan {
    /// The logical schema of what the query produces.
    pub fn schema(&self) -> LogicalSchema {
        output_schema(&self.output)
    }
}

/// Whether a query needs the aggregate planner.
pub fn is_aggregate_query(query: &Query, registry: &FunctionRegistry) -> bool {
    if query.window.is_some() || !query.group_by.is_empty() || query.having.is_some() {
        return true;
    }
    query.select.iter().any(|item| match item {
        SelectItem::Expr { expr, .. } => contains_aggregate(expr, registry),
        _ => false,
    })
}

fn contains_aggregate(expr: &Expr, registry: &FunctionRegistry) -> bool {
    let mut found = false;
    let _ = rewrite::<()>(expr, &mut |e| {
        if let Expr::Function { name, .. } = e {
            if registry.aggregate(name.as_str()).is_some() {
                found = true;
            }
        }
        Ok(None)
    });
    found
}

/// Lifts aggregate calls and grouping terms out of one expression.
struct Lifter<'a> {
    registry: &'a FunctionRegistry,
    compiler: &'a ExprCompiler<'a>,
    group_by: &'a [Expr],
    aggregates: Vec<(Expr, AggregateCall)>,
}

impl Lifter<'_> {
    fn lift(&mut self, expr: &Expr) -> Result<Expr> {
        let expr = unqualified(expr);
        rewrite(&expr, &mut |e| {
            if let Some(i) = self.group_by.iter().position(|g| g == e) {
                return Ok(Some(Expr::column(&group_column(i))));
            }
            let Expr::Function { name, args } = e else {
                return Ok(None);
            };
            let Some(function) = self.registry.aggregate(name.as_str()) else {
                return Ok(None);
            };
            if let Some(i) = self.aggregates.iter().position(|(seen, _)| seen == e) {
                return Ok(Some(Expr::column(&aggregate_column(i))));
            }
            let args: &[Expr] = match args {
                FunctionArgs::Star => &[],
                FunctionArgs::List { args, .. } => args,
            };
            for arg in args {
                if let Some(bound) = window_bound(arg) {
                    return Err(misplaced_window_bound(bound));
                }
                if contains_aggregate(arg, self.registry) {
                    return Err(PlanError::Type(format!(
                        "Aggregate functions can not be nested: {e}"
                    )));
                }
            }
            let call = self.call(function, args)?;
            self.aggregates.push((e.clone(), call));
            Ok(Some(Expr::column(&aggregate_column(
                self.aggregates.len() - 1,
            ))))
        })
    }

    /// Resolves a call: leading arguments are columns, trailing literals are parameters.
    fn call(&self, function: Arc<AggregateFunction>, args: &[Expr]) -> Result<AggregateCall> {
        let first_param = args
            .iter()
            .enumerate()
            .skip(1)
            .rev()
            .take_while(|(_, a)| matches!(a, Expr::Literal(_)))
            .map(|(i, _)| i)
            .last()
            .unwrap_or(args.len());
        let columns = args[..first_param]
            .iter()
            .map(|a| self.compiler.compile(a))
            .collect::<Result<Vec<_>>>()?;
        let params = args[first_param..]
            .iter()
            .map(|a| match self.compiler.compile(a)?.expr {
                DfExpr::Literal(value, _) => Ok(value),
                _ => Err(PlanError::Internal(
                    "literal did not compile to a value".into(),
                )),
            })
            .collect::<Result<Vec<ScalarValue>>>()?;
        let types: Vec<SqlType> = columns.iter().map(|c| c.ty.clone()).collect();
        let spec = function
            .spec(&types, &params)
            .map_err(|e| PlanError::Type(e.to_string()))?;
        Ok(AggregateCall {
            function,
            spec,
            args: columns,
        })
    }
}

/// Plans a GROUP BY query reading one source; `sink` names the output in errors.
pub fn plan_aggregate(
    query: &Query,
    catalog: &Catalog,
    functions: &dyn FunctionResolver,
    registry: &FunctionRegistry,
    sink: &str,
) -> Result<AggregatePlan> {
    if !query.from.joins.is_empty() {
        return Err(PlanError::Unsupported(
            "JOIN is not supported by Runnel yet".into(),
        ));
    }
    let emit_final = query.emit == Some(Emit::Final);
    if emit_final && query.window.is_none() {
        return Err(PlanError::Type(EMIT_FINAL_NEEDS_WINDOW.into()));
    }
    let input = SourceInput::from_query(query, catalog)?;
    let compiler = ExprCompiler {
        scope: &input.scope,
        functions,
    };
    let filter = plan_where(query, &compiler)?;

    let group_exprs: Vec<Expr> = query.group_by.iter().map(unqualified).collect();
    for (i, g) in group_exprs.iter().enumerate() {
        if let Some(bound) = window_bound(g) {
            return Err(misplaced_window_bound(bound));
        }
        if contains_aggregate(g, registry) {
            let name = first_aggregate_name(g, registry);
            return Err(PlanError::Type(format!(
                "GROUP BY does not support aggregate functions: {name} is an aggregate function."
            )));
        }
        if group_exprs[..i].contains(g) {
            return Err(PlanError::Type(format!(
                "Duplicate GROUP BY expression: {}",
                query.group_by[i]
            )));
        }
    }
    let group_by = group_exprs
        .iter()
        .map(|g| compiler.compile(g))
        .collect::<Result<Vec<_>>>()?;

    // The select items, wildcards expanded.
    let schema = &input.source.schema;
    let mut items: Vec<(Option<String>, Expr)> = Vec::new();
    for item in &query.select {
        match item {
            SelectItem::Wildcard | SelectItem::QualifiedWildcard(_) => {
                for c in schema.key_columns().chain(schema.value_columns()) {
                    items.push((None, Expr::column(&c.name)));
                }
            }
            SelectItem::Expr { expr, alias } => {
                items.push((alias.as_ref().map(|a| a.as_str().to_string()), expr.clone()));
            }
        }
    }

    let mut lifter = Lifter {
        registry,
        compiler: &compiler,
        group_by: &group_exprs,
        aggregates: Vec::new(),
    };
    let lifted_items = items
        .iter()
        .map(|(_, e)| lifter.lift(e))
        .collect::<Result<Vec<_>>>()?;
    if let Some(bound) = query.having.as_ref().and_then(window_bound) {
        return Err(misplaced_window_bound(bound));
    }
    let lifted_having = query.having.as_ref().map(|h| lifter.lift(h)).transpose()?;
    let (calls, aggregates): (Vec<Expr>, Vec<AggregateCall>) =
        lifter.aggregates.into_iter().unzip();
    if aggregates.is_empty() {
        // An unknown function is the better message than a missing aggregate.
        for (_, e) in &items {
            if let Err(PlanError::UnknownFunction(name)) = compiler.compile(e) {
                return Err(PlanError::UnknownFunction(name));
            }
        }
        return Err(PlanError::Type(
            "GROUP BY requires aggregate functions in either the SELECT or HAVING clause.".into(),
        ));
    }
    if query.group_by.is_empty() {
        let non_aggregate: Vec<String> = items
            .iter()
            .zip(&lifted_items)
            .filter(|(_, lifted)| references_source(lifted))
            .map(|((_, e), _)| shown(e))
            .collect();
        if !non_aggregate.is_empty() {
            return Err(PlanError::Type(format!(
                "Non-aggregate SELECT expression(s) not part of GROUP BY: {}",
                non_aggregate.join(", ")
            )));
        }
        // ksqlDB shows COUNT(*) as the count of ROWTIME.
        let shown_calls: Vec<String> = calls
            .iter()
            .map(|call| match call {
                Expr::Function {
                    name,
                    args: FunctionArgs::Star,
                } => format!("{}(ROWTIME)", name.as_str().to_uppercase()),
                other => unqualified(other).to_string(),
            })
            .collect();
        return Err(PlanError::Type(format!(
            "CREATE TABLE AS SELECT statement does not support aggregate function [{}] without a GROUP BY clause.",
            shown_calls.join(", ")
        )));
    }

    let window = query.window.as_ref().map(|spec| {
        let plan = WindowPlan::from_spec(spec);
        if emit_final {
            plan.for_emit_final(spec)
        } else {
            plan
        }
    });
    let mut scope_columns: Vec<ScopeColumn> = Vec::new();
    let column = |name: String, ty: SqlType| ScopeColumn {
        qualifier: None,
        name,
        ty,
    };
    for (i, g) in group_by.iter().enumerate() {
        scope_columns.push(column(group_column(i), g.ty.clone()));
    }
    for (i, a) in aggregates.iter().enumerate() {
        scope_columns.push(column(aggregate_column(i), a.spec.return_type.clone()));
    }
    scope_columns.push(column(ROWTIME.into(), SqlType::BigInt));
    if window.is_some() {
        scope_columns.push(column(WINDOWSTART.into(), SqlType::BigInt));
        scope_columns.push(column(WINDOWEND.into(), SqlType::BigInt));
    }
    let aggregate_scope = Scope::new(scope_columns);
    let post = ExprCompiler {
        scope: &aggregate_scope,
        functions,
    };

    let offending: Vec<String> = items
        .iter()
        .zip(&lifted_items)
        .filter(|(_, lifted)| references_source(lifted))
        .map(|((_, e), _)| shown(e))
        .collect();
    if !offending.is_empty() {
        return Err(PlanError::Type(format!(
            "Non-aggregate SELECT expression(s) not part of GROUP BY: {}\nEither add the column(s) to the GROUP BY or remove them from the SELECT.",
            offending.join(", ")
        )));
    }
    let having = match (&query.having, &lifted_having) {
        (Some(original), Some(lifted)) => {
            if let Some(column) = first_source_column(lifted) {
                return Err(PlanError::Type(format!(
                    "Non-aggregate HAVING expression not part of GROUP BY: {column}"
                )));
            }
            let typed = post.compile(lifted)?;
            if typed.ty != SqlType::Boolean {
                return Err(PlanError::Type(format!(
                    "Type error in HAVING expression: Should evaluate to boolean but is {original} ({}) instead.",
                    typed.ty
                )));
            }
            Some(typed)
        }
        _ => None,
    };

    let output = project(&items, &lifted_items, &group_exprs, &post, sink)?;
    Ok(AggregatePlan {
        input,
        filter,
        group_by,
        aggregates,
        window,
        aggregate_scope,
        having,
        output,
        emit_final,
        retention_ms: None,
    })
}

/// The first window bound (WINDOWSTART/WINDOWEND) `expr` reads, if any.
fn window_bound(expr: &Expr) -> Option<&'static str> {
    let mut found = None;
    let _ = rewrite::<()>(expr, &mut |e| {
        if let Expr::Column { name, .. } = e {
            for bound in [WINDOWSTART, WINDOWEND] {
                if found.is_none() && name.as_str() == bound {
                    found = Some(bound);
                }
            }
        }
        Ok(None)
    });
    found
}

fn misplaced_window_bound(bound: &str) -> PlanError {
    PlanError::Type(format!(
        "Window bounds column {bound} can only be used in the SELECT clause of windowed aggregations"
    ))
}

/// How ksqlDB shows an expression in messages: a top-level binary operation in parentheses.
fn shown(expr: &Expr) -> String {
    let expr = unqualified(expr);
    match expr {
        Expr::Binary { .. } => format!("({expr})"),
        other => other.to_string(),
    }
}

/// Whether a lifted expression still reads a source column (one not grouped by).
fn references_source(lifted: &Expr) -> bool {
    first_source_column(lifted).is_some()
}

fn first_source_column(lifted: &Expr) -> Option<String> {
    let mut found = None;
    let _ = rewrite::<()>(lifted, &mut |e| {
        if let Expr::Column { name, .. } = e {
            let name = name.as_str();
            let internal = name.starts_with("KSQL_GROUP_")
                || name.starts_with("KSQL_AGG_VARIABLE_")
                || [ROWTIME, WINDOWSTART, WINDOWEND].contains(&name);
            if !internal && found.is_none() {
                found = Some(name.to_string());
            }
        }
        Ok(None)
    });
    found
}

fn first_aggregate_name(expr: &Expr, registry: &FunctionRegistry) -> String {
    let mut found = String::new();
    let _ = rewrite::<()>(expr, &mut |e| {
        if let Expr::Function { name, .. } = e {
            if found.is_empty() && registry.aggregate(name.as_str()).is_some() {
                found = name.as_str().to_uppercase();
            }
        }
        Ok(None)
    });
    found
}

/// Names the output columns: a select item that is exactly grouping term `i` becomes
/// key column `i`; everything else is a value column, in select order.
fn project(
    items: &[(Option<String>, Expr)],
    lifted: &[Expr],
    group_exprs: &[Expr],
    post: &ExprCompiler<'_>,
    sink: &str,
) -> Result<Vec<OutputColumn>> {
    let mut namer = ColumnNamer::default();
    let explicit: Vec<String> = items.iter().filter_map(|(a, _)| a.clone()).collect();
    let mut keys: Vec<Option<OutputColumn>> = vec![None; group_exprs.len()];
    let mut values: Vec<OutputColumn> = Vec::new();
    for ((alias, expr), lifted) in items.iter().zip(lifted) {
        let typed = post.compile(lifted)?;
        let name = match alias {
            Some(a) => a.clone(),
            None => namer.name_for(expr, &|n: &str| {
                explicit.iter().any(|e| e == n) || values.iter().any(|v| v.name == n)
            }),
        };
        let key_index = group_exprs.iter().position(|g| *g == unqualified(expr));
        match key_index {
            Some(i) => {
                if let Some(first) = &keys[i] {
                    return Err(PlanError::Type(format!(
                        "The projection contains a key column more than once: `{}` and `{name}`.",
                        first.name
                    )));
                }
                keys[i] = Some(OutputColumn {
                    name,
                    expr: typed,
                    is_key: true,
                });
            }
            None => values.push(OutputColumn {
                name,
                expr: typed,
                is_key: false,
            }),
        }
    }
    let missing: Vec<String> = group_exprs
        .iter()
        .zip(&keys)
        .filter(|(_, k)| k.is_none())
        .map(|(g, _)| g.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(missing_from_projection(
            sink,
            "grouping expression",
            &missing,
        ));
    }
    if values.is_empty() {
        return Err(PlanError::Type(
            "The projection contains no value columns.".into(),
        ));
    }
    let keys: Vec<OutputColumn> = keys.into_iter().flatten().collect();
    let mut seen: Vec<&str> = Vec::new();
    for column in keys.iter().chain(&values) {
        if seen.contains(&column.name.as_str()) {
            return Err(PlanError::Type(format!(
                "Duplicate value columns found in schema: `{}` {}",
                column.name, column.expr.ty
            )));
        }
        seen.push(&column.name);
    }
    Ok(keys.into_iter().chain(values).collect())
}
