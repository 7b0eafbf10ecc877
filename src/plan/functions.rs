//! Function calls in expressions, resolved through the function library.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr as DfExpr;

use super::error::{PlanError, Result};
use super::expr::{FunctionResolver, Typed, cast_to};
use crate::functions::registry::{FunctionRef, FunctionRegistry};
use crate::functions::table::TableFunction;
use crate::sql::SqlType;

/// Whether an argument is an untyped `NULL` literal, whose type the call decides.
fn is_untyped_null(t: &Typed) -> bool {
    matches!(&t.expr, DfExpr::Literal(ScalarValue::Utf8(None), _))
}

impl FunctionResolver for FunctionRegistry {
    fn table_function(&self, name: &str) -> Option<std::sync::Arc<TableFunction>> {
        self.table(name)
    }

    fn call(&self, name: &str, args: Vec<Typed>) -> Result<Typed> {
        let function = self
            .lookup(name)
            .ok_or_else(|| PlanError::UnknownFunction(name.to_string()))?;
        let scalar = match function {
            FunctionRef::Scalar(f) => f,
            FunctionRef::Aggregate(_) => {
                return Err(PlanError::Unsupported(format!(
                    "Aggregate function {} is only allowed in the SELECT or HAVING of a GROUP BY query",
                    name.to_ascii_uppercase()
                )));
            }
            FunctionRef::Table(_) => {
                return Err(PlanError::Unsupported(format!(
                    "Table function {} is only allowed in the SELECT list",
                    name.to_ascii_uppercase()
                )));
            }
        };
        let arg_types: Vec<Option<SqlType>> = args
            .iter()
            .map(|a| (!is_untyped_null(a)).then(|| a.ty.clone()))
            .collect();
        let (ty, filled) = scalar
            .return_type_with_nulls(&arg_types)
            .map_err(|e| PlanError::Type(e.to_string()))?;
        let args = args
            .into_iter()
            .zip(&filled)
            .map(|(arg, ty)| {
                if is_untyped_null(&arg) {
                    cast_to(arg, ty)
                } else {
                    Ok(arg)
                }
            })
            .map(|a| a.map(|t| t.expr))
            .collect::<Result<Vec<_>>>()?;
        Ok(Typed {
            expr: scalar.udf().call(args),
            ty,
        })
    }
}
