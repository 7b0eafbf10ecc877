//! Vectorised evaluation of compiled expressions, falling back to rows on error.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use datafusion::execution::SessionState;
use datafusion::physical_plan::PhysicalExpr;

use super::error::{ExecError, Result};
use crate::plan::{Scope, Typed};

/// Compiled physical expressions over batches of one scope.
pub struct Evaluator {
    exprs: Vec<Arc<dyn PhysicalExpr>>,
}

/// The outcome of evaluating a batch: one array per expression over the rows that
/// evaluated, and the rows that failed (indexes into the input) with their errors.
pub struct Evaluated {
    pub arrays: Vec<ArrayRef>,
    /// `None` when every row evaluated.
    pub kept: Option<BooleanArray>,
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

    fn evaluate_all(&self, batch: &RecordBatch) -> datafusion::error::Result<Vec<ArrayRef>> {
        self.exprs
            .iter()
            .map(|e| {
                e.evaluate(batch)
                    .and_then(|v| v.into_array(batch.num_rows()))
            })
            .collect()
    }

    /// Evaluates every expression over `batch`. When the batch fails as a whole (a
    /// failed CAST, a division by zero), rows are evaluated one by one so that only the
    /// failing rows are left out, each with its error.
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<Evaluated> {
        match self.evaluate_all(batch) {
            Ok(arrays) => Ok(Evaluated {
                arrays,
                kept: None,
                failures: Vec::new(),
            }),
            Err(_) => {
                let mut keep = vec![true; batch.num_rows()];
                let mut failures = Vec::new();
                for (row, slot) in keep.iter_mut().enumerate() {
                    if let Err(err) = self.evaluate_all(&batch.slice(row, 1)) {
                        *slot = false;
                        failures.push((row, err.to_string()));
                    }
                }
                let kept = BooleanArray::from(keep);
                let good = arrow::compute::filter_record_batch(batch, &kept)?;
                let arrays = self.evaluate_all(&good)?;
                Ok(Evaluated {
                    arrays,
                    kept: Some(kept),
                    failures,
                })
            }
        }
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
