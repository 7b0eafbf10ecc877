//! PARTITION BY on a stream: the new key columns, their names and ksqlDB's key rules.
//!
//! The partitioning expressions are evaluated over the source row (PARTITION BY applies
//! to the input). A select item that is exactly partitioning expression `i` becomes key
//! column `i`; `SELECT *` expands to the new key columns, then the source's value
//! columns and its old key columns, each minus the columns that became keys.
//! `PARTITION BY NULL` produces a stream without key columns.

use super::error::{PlanError, Result};
use super::expr::{ExprCompiler, Typed};
use super::naming::ColumnNamer;
use super::rewrite::{rewrite, unqualified};
use super::select::{OutputColumn, SourceInput, in_clause, join_and, missing_from_projection};
use crate::sql::SqlType;
use crate::sql::ast::{Expr, Literal, Query, SelectItem};

/// How a PARTITION BY query keys its output, beyond the output columns themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionPlan {
    /// Per output key column, in order: whether its expression reads only the source's
    /// key columns. A record without a value still gets such a key; the others are
    /// NULL for it (ksqlDB evaluates them over the missing value).
    pub key_only: Vec<bool>,
}

impl PartitionPlan {
    /// `PARTITION BY NULL`: the output has no key columns.
    pub fn is_unkeyed(&self) -> bool {
        self.key_only.is_empty()
    }
}

/// The output columns (key columns first, in PARTITION BY order) of a query that
/// repartitions its stream, and how to key records without a value.
pub fn plan_partition_by(
    query: &Query,
    input: &SourceInput,
    compiler: &ExprCompiler<'_>,
    sink: &str,
) -> Result<(Vec<OutputColumn>, PartitionPlan)> {
    if input.source.is_table() {
        return Err(PlanError::Type(format!(
            "PARTITION BY is only supported on streams: `{}` is a table, whose key changes only through GROUP BY.",
            input.source.name
        )));
    }
    let partition_by: Vec<Expr> = query.partition_by.iter().map(unqualified).collect();
    if partition_by.is_empty() {
        return Err(PlanError::Type(
            "PARTITION BY requires at least one expression".into(),
        ));
    }
    let is_null = |e: &Expr| matches!(e, Expr::Literal(Literal::Null));
    if partition_by.iter().any(is_null) {
        if partition_by.len() > 1 {
            return Err(PlanError::Type(
                "Cannot PARTITION BY multiple columns including NULL".into(),
            ));
        }
        let output = project(query, input, compiler, sink, &[])?;
        return Ok((output, PartitionPlan { key_only: vec![] }));
    }
    let mut key_only = Vec::with_capacity(partition_by.len());
    for expr in &partition_by {
        let typed = compile_partitioning(compiler, expr)?;
        if contains_map(&typed.ty) {
            let name = ColumnNamer::default().name_for(expr, &|_| false);
            return Err(PlanError::Type(format!(
                "Map keys, including types that contain maps, are not supported as they may lead to unexpected behavior due to inconsistent serialization. Key column name: `{name}`. Column type: {}. See https://github.com/confluentinc/ksql/issues/6621 for more.",
                crate::format::ksql_type_name(&typed.ty)
            )));
        }
        key_only.push(reads_only_keys(expr, input));
    }
    let output = project(query, input, compiler, sink, &partition_by)?;
    Ok((output, PartitionPlan { key_only }))
}

/// Names and types the select items; the items equal to a partitioning expression
/// become the key columns.
fn project(
    query: &Query,
    input: &SourceInput,
    compiler: &ExprCompiler<'_>,
    sink: &str,
    partition_by: &[Expr],
) -> Result<Vec<OutputColumn>> {
    let schema = &input.source.schema;
    let is_key_expr = |e: &Expr| partition_by.contains(e);
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
                items.extend(partition_by.iter().map(|e| (None, e.clone())));
                let rest = schema
                    .value_columns()
                    .chain(schema.key_columns())
                    .map(|c| Expr::column(&c.name))
                    .filter(|e| !is_key_expr(e));
                items.extend(rest.map(|e| (None, e)));
            }
            SelectItem::Expr { expr, alias } => {
                items.push((alias.as_ref().map(|a| a.as_str().to_string()), expr.clone()));
            }
        }
    }

    let mut namer = ColumnNamer::default();
    let explicit: Vec<String> = items.iter().filter_map(|(a, _)| a.clone()).collect();
    let mut columns = PartitionedColumns::new(partition_by.len());
    for (alias, expr) in &items {
        if matches!(expr, Expr::Literal(Literal::Null)) {
            return Err(PlanError::Type(
                "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).".into(),
            ));
        }
        let typed = compiler.compile(expr).map_err(|e| in_clause("SELECT", e))?;
        let name = match alias {
            Some(a) => a.clone(),
            None => namer.name_for(expr, &|n: &str| {
                explicit.iter().any(|e| e == n) || columns.has_value_named(n)
            }),
        };
        let unqualified_expr = unqualified(expr);
        let position = partition_by.iter().position(|p| *p == unqualified_expr);
        columns.place(position, name, typed);
    }
    columns.finish(partition_by, sink, |expr| {
        qualified(expr, &input.alias).to_string()
    })
}

/// Compiles a partitioning expression over the input, with ksqlDB's message for a
/// column the input does not have.
pub(super) fn compile_partitioning(compiler: &ExprCompiler<'_>, expr: &Expr) -> Result<Typed> {
    compiler.compile(expr).map_err(|e| match e {
        PlanError::UnknownColumn(name) => PlanError::Type(format!(
            "PARTITION BY column '{name}' cannot be resolved. '{name}' must be a column in the source schema since PARTITION BY is applied on the input."
        )),
        other => other,
    })
}

/// A PARTITION BY projection's columns: the select items that are partitioning
/// expressions become key columns (one list per expression), the rest values.
pub(super) struct PartitionedColumns {
    keys: Vec<Vec<OutputColumn>>,
    values: Vec<OutputColumn>,
}

impl PartitionedColumns {
    pub(super) fn new(partitioning_expressions: usize) -> Self {
        PartitionedColumns {
            keys: vec![Vec::new(); partitioning_expressions],
            values: Vec::new(),
        }
    }

    /// Whether a value column already has this name (generated names skip taken ones).
    pub(super) fn has_value_named(&self, name: &str) -> bool {
        self.values.iter().any(|v| v.name == name)
    }

    /// Places a select item: a key when `position` names its partitioning expression.
    pub(super) fn place(&mut self, position: Option<usize>, name: String, expr: Typed) {
        match position {
            Some(index) => self.keys[index].push(OutputColumn {
                name,
                expr,
                is_key: true,
            }),
            None => self.values.push(OutputColumn {
                name,
                expr,
                is_key: false,
            }),
        }
    }

    /// The output, keys first, refused with ksqlDB's messages when a partitioning
    /// expression is selected twice or not at all, when no value is left, or when two
    /// columns share a name; `describe` prints a partitioning expression as ksqlDB does.
    pub(super) fn finish(
        self,
        partition_by: &[Expr],
        sink: &str,
        describe: impl Fn(&Expr) -> String,
    ) -> Result<Vec<OutputColumn>> {
        let PartitionedColumns { keys, values } = self;
        if let Some((expr, aliases)) = partition_by
            .iter()
            .zip(&keys)
            .find(|(_, aliases)| aliases.len() > 1)
        {
            let names: Vec<&str> = aliases.iter().map(|c| c.name.as_str()).collect();
            return Err(PlanError::Type(format!(
                "The projection contains a key column (`{expr}`) more than once, aliased as: {}.",
                join_and(&names)
            )));
        }
        // ksqlDB names every partitioning expression when any one is missing.
        if keys.iter().any(Vec::is_empty) {
            let missing: Vec<String> = partition_by.iter().map(describe).collect();
            return Err(missing_from_projection(
                sink,
                "partitioning expression",
                &missing,
            ));
        }
        if values.is_empty() {
            return Err(PlanError::Type(
                "The projection contains no value columns.".into(),
            ));
        }
        let output: Vec<OutputColumn> = keys.into_iter().flatten().chain(values).collect();
        let mut seen: Vec<&str> = Vec::new();
        for column in &output {
            if seen.contains(&column.name.as_str()) {
                return Err(PlanError::Type(format!(
                    "Duplicate value columns found in schema: `{}` {}",
                    column.name, column.expr.ty
                )));
            }
            seen.push(&column.name);
        }
        Ok(output)
    }
}

/// Whether `expr` reads no column but the source's key columns.
fn reads_only_keys(expr: &Expr, input: &SourceInput) -> bool {
    let mut only_keys = true;
    let _ = rewrite::<()>(expr, &mut |e| {
        if let Expr::Column { name, .. } = e {
            let is_key = input
                .source
                .schema
                .key_columns()
                .any(|k| k.name == name.as_str());
            only_keys &= is_key;
        }
        Ok(None)
    });
    only_keys
}

/// Whether a key of type `ty` would hold a MAP, which ksqlDB refuses as a key.
pub(super) fn contains_map(ty: &SqlType) -> bool {
    match ty {
        SqlType::Map(..) => true,
        SqlType::Array(element) => contains_map(element),
        SqlType::Struct(fields) => fields.iter().any(|f| contains_map(&f.ty)),
        _ => false,
    }
}

/// `expr` with every column qualified by `alias`, as ksqlDB shows expressions in errors.
fn qualified(expr: &Expr, alias: &str) -> Expr {
    rewrite::<()>(expr, &mut |e| {
        Ok(match e {
            Expr::Column { source: None, name } => Some(Expr::Column {
                source: Some(crate::sql::ast::Ident::new(alias)),
                name: name.clone(),
            }),
            _ => None,
        })
    })
    .unwrap_or_else(|()| expr.clone())
}
