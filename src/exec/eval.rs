//! Vectorised evaluation of compiled expressions, falling back to rows on error.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, new_null_array};
use datafusion::execution::SessionState;
use datafusion::physical_plan::PhysicalExpr;

use super::error::{ExecError, Result};
use crate::plan::{Scope, Typed};

/// Compiled physical expressions over batches of one scope.
pub struct Evaluator {
    exprs: Vec<Arc<dyn PhysicalExpr>>,
}

/// The outcome of evaluating a batch: one array per expression over every input row
/// (NULL where a row failed), and the rows that failed with their first error.
pub struct Evaluated {
    pub arrays: Vec<ArrayRef>,
    pub failures: Vec<(usize, String)>,
}

impl Evaluator {
    pub fn try_new(state: &SessionState, scope: &Scope, exprs: &[Typed]) -> Result<Self> {
        let schema = scope
            .to_df_schema()
            .map_err(|e| ExecError::Internal(e.to_string()))?;
        let exprs = exprs
            .iter()
            .map(|t| state.create_physical_expr(t.expr.clone(), &schema))
            .collect::<datafusion::error::Result<Vec<_>>>()?;
        Ok(Evaluator { exprs })
    }

    /// Evaluates every expression over `batch`. When an expression fails on the batch
    /// as a whole (a failed CAST, a division by zero), it is evaluated row by row and a
    /// failing row gets NULL in that column, as ksqlDB does; each such row is reported
    /// once with its first error. Every input row is kept.
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<Evaluated> {
        let mut first_errors: BTreeMap<usize, String> = BTreeMap::new();
        let mut arrays = Vec::with_capacity(self.exprs.len());
        for expr in &self.exprs {
            let whole = expr
                .evaluate(batch)
                .and_then(|v| v.into_array(batch.num_rows()));
            let array = match whole {
                Ok(array) => array,
                Err(_) => {
                    let data_type = expr.data_type(batch.schema().as_ref())?;
                    let mut rows: Vec<ArrayRef> = Vec::with_capacity(batch.num_rows());
                    for row in 0..batch.num_rows() {
                        let one = expr
                            .evaluate(&batch.slice(row, 1))
                            .and_then(|v| v.into_array(1));
                        rows.push(match one {
                            Ok(array) => array,
                            Err(err) => {
                                first_errors.entry(row).or_insert_with(|| err.to_string());
                                new_null_array(&data_type, 1)
                            }
                        });
                    }
                    let refs: Vec<&dyn Array> = rows.iter().map(|a| a.as_ref()).collect();
                    arrow::compute::concat(&refs)?
                }
            };
            arrays.push(array);
        }
        Ok(Evaluated {
            arrays,
            failures: first_errors.into_iter().collect(),
        })
    }
}

/// A predicate's result as a keep-mask where NULL counts as false.
pub fn predicate_mask(result: &ArrayRef) -> Result<BooleanArray> {
    let booleans = result
        .as_any()
        .downcast_ref::<BooleanArray>()
        .ok_or_else(|| ExecError::Internal("predicate did not evaluate to booleans".into()))?;
    Ok(booleans.iter().map(|v| Some(v.unwrap_or(false))).collect())
}
