//! TableFunctionExec: expands each source row into the rows its table functions produce.
//!
//! Row `r` yields as many rows as its longest table function result (none when every
//! result is empty, e.g. an empty or NULL array); each expanded row repeats the source
//! row's columns and carries the `k`-th value of each function, NULL where a shorter
//! result has run out — ksqlDB's zipping of several table functions.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array, new_empty_array};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::ScalarValue;
use datafusion::execution::SessionState;

use super::change::{ChangeBatch, RowKind};
use super::error::{ExecError, Result};
use super::eval::Evaluator;
use crate::functions::table::TableFunction;
use crate::plan::Scope;
use crate::plan::table_function::TableFunctionPlan;

/// The table functions of a SELECT list, ready to expand batches of its source.
pub struct TableFunctionExec {
    functions: Vec<(Arc<TableFunction>, DataType)>,
    /// Every call's arguments, call after call.
    args: Evaluator,
    arg_counts: Vec<usize>,
    /// The source columns, then one column per call.
    schema: SchemaRef,
}

/// An expanded batch and the expanded rows' failures (with the source row they came from).
pub struct Expanded {
    pub batch: ChangeBatch,
    pub failures: Vec<(usize, String)>,
}

impl TableFunctionExec {
    pub fn try_new(state: &SessionState, source: &Scope, plan: &TableFunctionPlan) -> Result<Self> {
        let args: Vec<_> = plan
            .calls
            .iter()
            .flat_map(|c| c.args.iter().cloned())
            .collect();
        let functions = plan
            .calls
            .iter()
            .map(|c| {
                let dt = c.ty.to_arrow().ok_or_else(|| {
                    ExecError::Internal(format!("unresolved type {} at execution", c.ty))
                })?;
                Ok((Arc::clone(&c.function), dt))
            })
            .collect::<Result<Vec<_>>>()?;
        let fields = plan
            .scope
            .columns
            .iter()
            .map(|c| {
                let dt = c.ty.to_arrow().ok_or_else(|| {
                    ExecError::Internal(format!("unresolved type {} at execution", c.ty))
                })?;
                Ok(Field::new(&c.name, dt, true))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TableFunctionExec {
            functions,
            args: Evaluator::try_new(state, source, &args)?,
            arg_counts: plan.calls.iter().map(|c| c.args.len()).collect(),
            schema: Arc::new(Schema::new(fields)),
        })
    }

    /// One row per produced element of each source row of `batch`, source columns
    /// repeated. A row whose arguments or function fail yields nothing and is reported.
    pub fn expand(&self, batch: &ChangeBatch) -> Result<Expanded> {
        let evaluated = self.args.evaluate(&batch.rows)?;
        let mut failures = evaluated.failures;
        let mut source_rows: Vec<u32> = Vec::new();
        let mut produced: Vec<Vec<ScalarValue>> = vec![Vec::new(); self.functions.len()];
        for row in 0..batch.num_rows() {
            if batch.kind(row) == RowKind::Delete || failures.iter().any(|(r, _)| *r == row) {
                continue;
            }
            match self.rows_of(&evaluated.arrays, row) {
                Ok(results) => {
                    let longest = results.iter().map(Vec::len).max().unwrap_or(0);
                    for (i, (result, (_, dt))) in
                        results.into_iter().zip(&self.functions).enumerate()
                    {
                        let pad = longest - result.len();
                        produced[i].extend(result);
                        for _ in 0..pad {
                            produced[i].push(ScalarValue::try_from(dt)?);
                        }
                    }
                    let index = u32::try_from(row).map_err(|_| {
                        ExecError::Internal("a batch has more rows than u32 counts".into())
                    })?;
                    source_rows.extend(std::iter::repeat_n(index, longest));
                }
                Err(message) => failures.push((row, message)),
            }
        }
        let indices = UInt32Array::from(source_rows);
        let mut columns: Vec<ArrayRef> = batch
            .rows
            .columns()
            .iter()
            .map(|c| take(c.as_ref(), &indices, None))
            .collect::<std::result::Result<_, _>>()?;
        for (values, (_, dt)) in produced.into_iter().zip(&self.functions) {
            let array = if values.is_empty() {
                new_empty_array(dt)
            } else {
                ScalarValue::iter_to_array(values)?
            };
            // Built from scalars, a value may differ from the declared type in details
            // (a list's field name, a decimal's precision): cast to what the plan says.
            let array = if array.data_type() == dt {
                array
            } else {
                arrow::compute::cast(&array, dt)?
            };
            columns.push(array);
        }
        let kinds: Vec<RowKind> = indices
            .values()
            .iter()
            .map(|i| batch.kind(*i as usize))
            .collect();
        let rows = RecordBatch::try_new(Arc::clone(&self.schema), columns)?;
        Ok(Expanded {
            batch: ChangeBatch::try_new(rows, kinds)?,
            failures,
        })
    }

    /// Each function's values for source row `row`.
    fn rows_of(
        &self,
        args: &[ArrayRef],
        row: usize,
    ) -> std::result::Result<Vec<Vec<ScalarValue>>, String> {
        let mut next = 0;
        let mut results = Vec::with_capacity(self.functions.len());
        for ((function, dt), count) in self.functions.iter().zip(&self.arg_counts) {
            let values = (next..next + count)
                .map(|c| ScalarValue::try_from_array(&args[c], row))
                .collect::<datafusion::error::Result<Vec<_>>>()
                .map_err(|e| e.to_string())?;
            next += count;
            results.push(function.rows(&values, dt).map_err(|e| e.to_string())?);
        }
        Ok(results)
    }
}
