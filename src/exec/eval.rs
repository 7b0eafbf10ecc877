//! Vectorised evaluation of compiled expressions, falling back to rows on error.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, new_null_array};
use arrow::datatypes::{DataType, Schema};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::execution::SessionState;
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::ScalarFunctionExpr;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_plan::PhysicalExpr;

use super::error::{ExecError, Result};
use crate::functions::scalar::cast::KSQL_CAST_NAME;
use crate::plan::{Scope, Typed};

/// Compiled physical expressions over batches of one scope.
pub struct Evaluator {
    exprs: Vec<Arc<dyn PhysicalExpr>>,
    /// Where function calls that failed and gave NULL leave their errors.
    swallowed: Arc<SwallowedErrors>,
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
        let swallowed = Arc::new(SwallowedErrors::default());
        let exprs = exprs
            .iter()
            .map(|t| {
                let expr = state.create_physical_expr(t.expr.clone(), &schema)?;
                null_on_function_error(expr, &swallowed)
            })
            .collect::<datafusion::error::Result<Vec<_>>>()?;
        Ok(Evaluator { exprs, swallowed })
    }

    /// Which columns of the scope the expressions read (one flag per column of a scope
    /// of `width` columns).
    pub fn used_columns(&self, width: usize) -> Vec<bool> {
        let mut used = vec![false; width];
        self.mark_used_columns(&mut used);
        used
    }

    /// Sets the flag of every column of the scope the expressions read (one flag per
    /// column), leaving the others as they are.
    pub fn mark_used_columns(&self, used: &mut [bool]) {
        for expr in &self.exprs {
            for column in collect_columns(expr) {
                if let Some(slot) = used.get_mut(column.index()) {
                    *slot = true;
                }
            }
        }
    }

    /// Evaluates every expression over `batch`. A function call that fails for a row
    /// gives NULL for that call only (ksqlDB's generated code catches each call), so
    /// `COALESCE(PARSE_DATE(..), ..)` still falls back. When an expression fails on the
    /// batch as a whole (a failed CAST, a division by zero), it is evaluated row by row
    /// and a failing row gets NULL in that column, as ksqlDB does. Each row with an
    /// error is reported once with its first error. Every input row is kept.
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<Evaluated> {
        let mut first_errors: BTreeMap<usize, String> = BTreeMap::new();
        let mut arrays = Vec::with_capacity(self.exprs.len());
        for expr in &self.exprs {
            self.swallowed.take();
            let whole = expr
                .evaluate(batch)
                .and_then(|v| v.into_array(batch.num_rows()));
            let array = match whole {
                Ok(array) if self.swallowed.take().is_empty() => array,
                // Some call failed inside: find the rows it failed for.
                Ok(array) => {
                    for row in 0..batch.num_rows() {
                        let _ = expr.evaluate(&batch.slice(row, 1));
                        if let Some(message) = self.swallowed.take().into_iter().next() {
                            first_errors.entry(row).or_insert(message);
                        }
                    }
                    array
                }
                Err(_) => {
                    let data_type = expr.data_type(batch.schema().as_ref())?;
                    let mut rows: Vec<ArrayRef> = Vec::with_capacity(batch.num_rows());
                    for row in 0..batch.num_rows() {
                        let one = expr
                            .evaluate(&batch.slice(row, 1))
                            .and_then(|v| v.into_array(1));
                        let swallowed = self.swallowed.take().into_iter().next();
                        rows.push(match one {
                            Ok(array) => {
                                if let Some(message) = swallowed {
                                    first_errors.entry(row).or_insert(message);
                                }
                                array
                            }
                            Err(err) => {
                                let message = swallowed.unwrap_or_else(|| err.to_string());
                                first_errors.entry(row).or_insert(message);
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

/// Errors of function calls that gave NULL instead of failing, in the order they failed.
#[derive(Debug, Default)]
struct SwallowedErrors(Mutex<Vec<String>>);

impl SwallowedErrors {
    fn push(&self, message: String) {
        if let Ok(mut errors) = self.0.lock() {
            errors.push(message);
        }
    }

    fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut errors| std::mem::take(&mut *errors))
            .unwrap_or_default()
    }
}

/// Wraps every function call of `expr` (but not CAST, whose failure nulls the whole
/// expression in ksqlDB) so that a call failing for a row gives NULL for that row.
fn null_on_function_error(
    expr: Arc<dyn PhysicalExpr>,
    swallowed: &Arc<SwallowedErrors>,
) -> datafusion::error::Result<Arc<dyn PhysicalExpr>> {
    expr.transform_up(|node| {
        let is_call = node
            .downcast_ref::<ScalarFunctionExpr>()
            .is_some_and(|call| call.name() != KSQL_CAST_NAME);
        Ok(if is_call {
            Transformed::yes(Arc::new(NullOnError {
                call: node,
                swallowed: Arc::clone(swallowed),
            }) as Arc<dyn PhysicalExpr>)
        } else {
            Transformed::no(node)
        })
    })
    .map(|t| t.data)
}

/// A function call that gives NULL, and records its error, for the rows it fails for.
#[derive(Debug)]
struct NullOnError {
    call: Arc<dyn PhysicalExpr>,
    swallowed: Arc<SwallowedErrors>,
}

impl PartialEq for NullOnError {
    fn eq(&self, other: &Self) -> bool {
        self.call.as_ref() == other.call.as_ref()
    }
}

impl Eq for NullOnError {}

impl Hash for NullOnError {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.call.hash(state);
    }
}

impl fmt::Display for NullOnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.call)
    }
}

impl PhysicalExpr for NullOnError {
    fn data_type(&self, input_schema: &Schema) -> datafusion::error::Result<DataType> {
        self.call.data_type(input_schema)
    }

    fn nullable(&self, _input_schema: &Schema) -> datafusion::error::Result<bool> {
        Ok(true)
    }

    fn evaluate(&self, batch: &RecordBatch) -> datafusion::error::Result<ColumnarValue> {
        let whole = self.call.evaluate(batch);
        if whole.is_ok() || batch.num_rows() == 0 {
            return whole;
        }
        let data_type = self.call.data_type(batch.schema().as_ref())?;
        let mut rows: Vec<ArrayRef> = Vec::with_capacity(batch.num_rows());
        for row in 0..batch.num_rows() {
            let one = self
                .call
                .evaluate(&batch.slice(row, 1))
                .and_then(|v| v.into_array(1));
            rows.push(match one {
                Ok(array) => array,
                Err(err) => {
                    self.swallowed.push(err.to_string());
                    new_null_array(&data_type, 1)
                }
            });
        }
        let refs: Vec<&dyn Array> = rows.iter().map(|a| a.as_ref()).collect();
        Ok(ColumnarValue::Array(arrow::compute::concat(&refs)?))
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        vec![&self.call]
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> datafusion::error::Result<Arc<dyn PhysicalExpr>> {
        match children.pop() {
            Some(call) if children.is_empty() => Ok(Arc::new(NullOnError {
                call,
                swallowed: Arc::clone(&self.swallowed),
            })),
            _ => Err(datafusion::error::DataFusionError::Internal(
                "a null-on-error call has exactly one child (a bug)".into(),
            )),
        }
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.call.fmt_sql(f)
    }
}

/// Which rows of `rows` pass `filter` (every row when there is none). A row whose
/// WHERE fails to evaluate does not pass; `failed` gets its index and the message.
pub fn where_passes(
    filter: Option<&Evaluator>,
    rows: &RecordBatch,
    mut failed: impl FnMut(usize, String),
) -> Result<Vec<bool>> {
    let mut passes = vec![true; rows.num_rows()];
    if let Some(filter) = filter {
        let evaluated = filter.evaluate(rows)?;
        let mask = predicate_mask(&evaluated.arrays[0])?;
        for (row, pass) in passes.iter_mut().enumerate() {
            *pass = mask.value(row);
        }
        for (row, message) in evaluated.failures {
            failed(row, format!("Error evaluating WHERE: {message}"));
            passes[row] = false;
        }
    }
    Ok(passes)
}

/// A predicate's result as a keep-mask where NULL counts as false.
pub fn predicate_mask(result: &ArrayRef) -> Result<BooleanArray> {
    let booleans = result
        .as_any()
        .downcast_ref::<BooleanArray>()
        .ok_or_else(|| ExecError::Internal("predicate did not evaluate to booleans".into()))?;
    // Word-wise over the bitmaps rather than row by row.
    let keep = match booleans.nulls() {
        Some(nulls) => booleans.values() & nulls.inner(),
        None => booleans.values().clone(),
    };
    Ok(BooleanArray::new(keep, None))
}

#[cfg(test)]
mod tests {
    use arrow::array::{AsArray, Int32Array};
    use arrow::datatypes::{Field, Int32Type};
    use datafusion::logical_expr::Expr as DfExpr;
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::functions::registry::{FunctionRef, FunctionRegistry};
    use crate::plan::ScopeColumn;
    use crate::sql::SqlType;

    fn scope() -> Scope {
        let col = |name: &str, ty: SqlType| ScopeColumn {
            qualifier: Some("S".into()),
            name: name.into(),
            ty,
        };
        Scope::new(vec![col("A", SqlType::Int), col("OK", SqlType::Boolean)])
    }

    fn batch() -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("A", DataType::Int32, true),
            Field::new("OK", DataType::Boolean, true),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Int32Array::from(vec![1, 2, 3])),
                Arc::new(BooleanArray::from(vec![true, false, true])),
            ],
        )
        .expect("valid batch")
    }

    fn function(name: &str) -> Arc<datafusion::logical_expr::ScalarUDF> {
        let registry = FunctionRegistry::builtin().with_test_functions();
        let Some(FunctionRef::Scalar(f)) = registry.lookup(name) else {
            panic!("the function {name} is registered");
        };
        f.udf()
    }

    /// `WHENRESULT(A, OK)`: A, failing where OK is false.
    fn failing_call(scope: &Scope) -> DfExpr {
        function("WHENRESULT").call(vec![
            DfExpr::Column(scope.df_column(0)),
            DfExpr::Column(scope.df_column(1)),
        ])
    }

    #[test]
    fn a_failing_call_gives_null_for_itself_only_and_reports_its_row() {
        let scope = scope();
        let state = SessionContext::new().state();
        let fallback = function("COALESCE").call(vec![
            failing_call(&scope),
            datafusion::logical_expr::lit(42),
        ]);
        let exprs = [
            Typed {
                expr: fallback,
                ty: SqlType::Int,
            },
            Typed {
                expr: failing_call(&scope),
                ty: SqlType::Int,
            },
        ];
        let evaluator = Evaluator::try_new(&state, &scope, &exprs).expect("compiles");
        let out = evaluator.evaluate(&batch()).expect("evaluates");
        assert_eq!(
            out.arrays[0].as_primitive::<Int32Type>(),
            &Int32Array::from(vec![1, 42, 3])
        );
        assert_eq!(
            out.arrays[1].as_primitive::<Int32Type>(),
            &Int32Array::from(vec![Some(1), None, Some(3)])
        );
        let rows: Vec<usize> = out.failures.iter().map(|(row, _)| *row).collect();
        assert_eq!(rows, vec![1]);
        assert!(
            out.failures[0].1.contains("WHENRESULT"),
            "{:?}",
            out.failures
        );
    }

    #[test]
    fn a_predicate_keeps_true_rows_and_drops_false_and_null_ones() {
        let with_nulls: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            None,
            Some(false),
            Some(true),
        ]));
        let mask = predicate_mask(&with_nulls).expect("booleans");
        assert_eq!(mask, BooleanArray::from(vec![true, false, false, true]));
        assert_eq!(mask.null_count(), 0);
        let without_nulls: ArrayRef = Arc::new(BooleanArray::from(vec![false, true]));
        let mask = predicate_mask(&without_nulls).expect("booleans");
        assert_eq!(mask, BooleanArray::from(vec![false, true]));
        let not_booleans: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        assert!(predicate_mask(&not_booleans).is_err());
    }
}
