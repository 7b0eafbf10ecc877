//! RowPipeline: a one-source SELECT (WHERE and projection) applied to log records, for
//! pull queries and transient push queries that deliver rows instead of writing a sink.

use std::sync::Arc;

use datafusion::execution::SessionState;
use serde_json::Value;

use super::rows::{ResultColumn, append_rows};
use super::{EngineError, Result};
use crate::catalog::{Catalog, Source};
use crate::exec::eval::{Evaluator, predicate_mask};
use crate::exec::source::SourceExec;
use crate::exec::{ChangeBatch, RowKind};
use crate::log::ConsumedRecord;
use crate::plan::naming::ColumnNamer;
use crate::plan::select::{WINDOWEND, WINDOWSTART, in_clause, plan_where};
use crate::plan::{ExprCompiler, FunctionResolver, SourceInput, Typed};
use crate::sql::ast::{Expr, Query, SelectItem};

/// A compiled one-source query that turns records into result rows.
pub struct RowPipeline {
    pub source: Arc<Source>,
    decoder: SourceExec,
    filter: Option<Evaluator>,
    project: Evaluator,
    pub columns: Vec<ResultColumn>,
}

/// "column cannot be resolved" as ksqlDB words it for the clause it came from.
impl RowPipeline {
    /// Plans `query` (one source, no aggregation) against `catalog`.
    pub fn try_new(
        query: &Query,
        catalog: &Catalog,
        functions: &dyn FunctionResolver,
        session: &SessionState,
    ) -> Result<Self> {
        let from = &query.from.source;
        let source = catalog.source(from.name.as_str()).ok_or_else(|| {
            EngineError::Statement(format!("{} does not exist.", from.name.as_str()))
        })?;
        let input = SourceInput::new(Arc::clone(source), from.visible_name().as_str());
        let compiler = ExprCompiler {
            scope: &input.scope,
            functions,
        };
        let filter = plan_where(query, &compiler)?;
        let (columns, exprs) = project(query, &input, &compiler)?;
        let filter = filter
            .map(|f| Evaluator::try_new(session, &input.scope, std::slice::from_ref(&f)))
            .transpose()?;
        let project = Evaluator::try_new(session, &input.scope, &exprs)?;
        Ok(RowPipeline {
            source: Arc::clone(source),
            decoder: SourceExec::try_new(&input)?,
            filter,
            project,
            columns,
        })
    }

    /// Decodes `records` of `partition`, keeps the rows that pass WHERE and appends their
    /// projection to `out`. Records without a value and rows whose WHERE fails are left
    /// out; a record that cannot be decoded is skipped (the persistent query that wrote
    /// it has already reported it).
    pub fn run(
        &self,
        partition: u32,
        records: &[ConsumedRecord],
        out: &mut Vec<Vec<Value>>,
    ) -> Result<()> {
        match self.run_arrays(partition, records)? {
            Some(arrays) => append_rows(&self.columns, &arrays, out),
            None => Ok(()),
        }
    }

    /// Like [`RowPipeline::run`], with the result as one array per column (`None` when
    /// no row passed).
    pub fn run_arrays(
        &self,
        partition: u32,
        records: &[ConsumedRecord],
    ) -> Result<Option<Vec<arrow::array::ArrayRef>>> {
        if records.is_empty() {
            return Ok(None);
        }
        let (batch, _errors) = self.decoder.decode(partition, records)?;
        self.filter_project(&batch)
    }

    /// The WHERE and projection of [`RowPipeline::run_arrays`] over a batch already
    /// decoded (by a shared source read, see `shared_source`).
    pub fn filter_project(
        &self,
        batch: &ChangeBatch,
    ) -> Result<Option<Vec<arrow::array::ArrayRef>>> {
        if batch.is_empty() {
            return Ok(None);
        }
        let kinds: Vec<RowKind> = batch.kinds().collect();
        let mut keep: Vec<bool> = kinds.iter().map(|k| *k != RowKind::Delete).collect();
        if let Some(filter) = &self.filter {
            let evaluated = filter.evaluate(&batch.rows)?;
            let mask = predicate_mask(&evaluated.arrays[0])?;
            for (row, keep) in keep.iter_mut().enumerate() {
                *keep = *keep && mask.value(row);
            }
            for (row, _) in &evaluated.failures {
                if let Some(k) = keep.get_mut(*row) {
                    *k = false;
                }
            }
        }
        if !keep.iter().any(|k| *k) {
            return Ok(None);
        }
        let mask = arrow::array::BooleanArray::from(keep);
        let batch = batch
            .filter(&mask)
            .map_err(|e| EngineError::Exec(e.into()))?;
        Ok(Some(self.project.evaluate(&batch.rows)?.arrays))
    }
}

/// The projection of a pull or push query: select order, wildcards expanded (a windowed
/// source's window bounds after its key), key columns and window bounds marked as keys.
fn project(
    query: &Query,
    input: &SourceInput,
    compiler: &ExprCompiler<'_>,
) -> Result<(Vec<ResultColumn>, Vec<Typed>)> {
    let source = &input.source;
    let windowed = source.window.is_some();
    let mut items: Vec<(Option<String>, Expr)> = Vec::new();
    for item in &query.select {
        match item {
            SelectItem::Wildcard | SelectItem::QualifiedWildcard(_) => {
                if let SelectItem::QualifiedWildcard(q) = item {
                    if q.as_str() != input.alias {
                        return Err(EngineError::Statement(format!(
                            "'{}' is not a valid stream/table name or alias.",
                            q.as_str()
                        )));
                    }
                }
                for c in source.schema.key_columns() {
                    items.push((None, Expr::column(&c.name)));
                }
                if windowed {
                    items.push((None, Expr::column(WINDOWSTART)));
                    items.push((None, Expr::column(WINDOWEND)));
                }
                for c in source.schema.value_columns() {
                    items.push((None, Expr::column(&c.name)));
                }
            }
            SelectItem::Expr { expr, alias } => {
                items.push((alias.as_ref().map(|a| a.as_str().to_string()), expr.clone()));
            }
        }
    }
    let explicit: Vec<String> = items.iter().filter_map(|(a, _)| a.clone()).collect();
    let mut namer = ColumnNamer::default();
    let mut columns: Vec<ResultColumn> = Vec::new();
    let mut exprs = Vec::new();
    for (alias, expr) in &items {
        let typed = compiler
            .compile(expr)
            .map_err(|e| EngineError::Plan(in_clause("SELECT", e)))?;
        let name = match alias {
            Some(a) => a.clone(),
            None => namer.name_for(expr, &|n: &str| {
                explicit.iter().any(|e| e == n) || columns.iter().any(|c| c.name == n)
            }),
        };
        let is_key = match expr {
            Expr::Column { name, source: q }
                if q.as_ref().is_none_or(|q| q.as_str() == input.alias) =>
            {
                let name = name.as_str();
                source.schema.key_columns().any(|k| k.name == name)
                    || (windowed && (name == WINDOWSTART || name == WINDOWEND))
            }
            _ => false,
        };
        if let Some(existing) = columns.iter().find(|c| c.name == name) {
            return Err(EngineError::Statement(format!(
                "Duplicate value columns found in schema: `{}` {}",
                existing.name,
                crate::format::ksql_type_name(&existing.ty)
            )));
        }
        columns.push(ResultColumn::new(name, typed.ty.clone(), is_key));
        exprs.push(typed);
    }
    Ok((columns, exprs))
}
