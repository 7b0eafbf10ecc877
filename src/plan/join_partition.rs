//! PARTITION BY over a join: the result is keyed by the partitioning expressions,
//! evaluated over the joined row, instead of by the join key.
//!
//! A select item that is exactly partitioning expression `i` (after qualifying its
//! columns with their input) becomes key column `i`. `SELECT *` expands to the joined
//! stream as PARTITION BY sees it: each input's columns and its ROWTIME, ROWPARTITION and
//! ROWOFFSET (`L_ROWTIME`...), after the partitioning expressions it does not hold.

use super::error::{PlanError, Result};
use super::expr::ExprCompiler;
use super::join::{KeyPart, qualify};
use super::join_projection::{Item, expand, item_names};
use super::naming::ColumnNamer;
use super::partition::{PartitionedColumns, compile_partitioning, contains_map};
use super::select::{OutputColumn, ROWOFFSET, ROWPARTITION, ROWTIME, SourceInput};
use crate::sql::ast::{Expr, Ident, Literal, Query, SelectItem};

/// The output columns (key columns first, in PARTITION BY order) of a join whose result
/// is re-keyed by `query.partition_by`.
pub fn project_partitioned_join(
    query: &Query,
    inputs: &[SourceInput],
    key_parts: &[KeyPart],
    compiler: &ExprCompiler<'_>,
    sink: &str,
) -> Result<Vec<OutputColumn>> {
    let all: Vec<&SourceInput> = inputs.iter().collect();
    // Columns the inputs cannot resolve (a synthesized ROWKEY) are compared as written.
    let normal = |e: &Expr| qualify(e, &all).unwrap_or_else(|_| e.clone());
    let is_null = |e: &Expr| matches!(e, Expr::Literal(Literal::Null));
    let partition_by: Vec<Expr> = if query.partition_by.iter().any(is_null) {
        if query.partition_by.len() > 1 {
            return Err(PlanError::Type(
                "Cannot PARTITION BY multiple columns including NULL".into(),
            ));
        }
        Vec::new()
    } else {
        query.partition_by.iter().map(normal).collect()
    };
    for expr in &partition_by {
        let typed = compile_partitioning(compiler, expr)?;
        if contains_map(&typed.ty) {
            return Err(PlanError::Type(format!(
                "Map keys, including types that contain maps, are not supported as they may lead to unexpected behavior due to inconsistent serialization. Key column name: `{}`. Column type: {}. See https://github.com/confluentinc/ksql/issues/6621 for more.",
                ColumnNamer::default().name_for(expr, &|_| false),
                crate::format::ksql_type_name(&typed.ty)
            )));
        }
    }

    let mut items = expand(query, inputs, key_parts)?;
    if query.select.contains(&SelectItem::Wildcard) {
        for input in inputs {
            for pseudo in [ROWTIME, ROWPARTITION, ROWOFFSET] {
                if input
                    .scope
                    .resolve(Some(input.alias.as_str()), pseudo)
                    .is_ok()
                {
                    items.push(Item {
                        expr: Expr::Column {
                            source: Some(Ident::new(input.alias.as_str())),
                            name: Ident::new(pseudo),
                        },
                        alias: Some(format!("{}_{pseudo}", input.alias)),
                    });
                }
            }
        }
    }
    let normalized: Vec<Expr> = items.iter().map(|i| normal(&i.expr)).collect();
    if query.select.contains(&SelectItem::Wildcard) {
        let absent: Vec<Item> = partition_by
            .iter()
            .filter(|p| !normalized.contains(p))
            .map(|p| Item {
                expr: p.clone(),
                alias: None,
            })
            .collect();
        if !absent.is_empty() {
            items.splice(0..0, absent);
        }
    }
    let normalized: Vec<Expr> = items.iter().map(|i| normal(&i.expr)).collect();

    let names = item_names(&items, inputs);

    let mut columns = PartitionedColumns::new(partition_by.len());
    for ((item, expr), name) in items.iter().zip(&normalized).zip(names) {
        if is_null(&item.expr) {
            return Err(PlanError::Type(
                "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).".into(),
            ));
        }
        let typed = compiler.compile(&item.expr).map_err(|e| match e {
            PlanError::UnknownColumn(name) => {
                PlanError::Type(format!("SELECT column '{name}' cannot be resolved."))
            }
            other => other,
        })?;
        let position = partition_by.iter().position(|p| p == expr);
        columns.place(position, name, typed);
    }
    columns.finish(&partition_by, sink, ToString::to_string)
}
