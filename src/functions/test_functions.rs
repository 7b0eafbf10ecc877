//! Functions that only ksqlDB's test corpus declares: BAD_UDF (always fails) and
//! WHENCONDITION/WHENRESULT (fail when evaluated with a false second argument, proving
//! CASE evaluates branches lazily).

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::logical_expr::Volatility;

use crate::sql::SqlType;

use super::error::exec_error;
use super::metadata::{FunctionKind, FunctionMeta};
use super::scalar::ScalarFunction;

fn meta(
    name: &'static str,
    description: &'static str,
    signatures: &'static [&'static str],
) -> FunctionMeta {
    FunctionMeta {
        name,
        kind: FunctionKind::Scalar,
        category: "TEST",
        description,
        signatures,
    }
}

/// The corpus' test functions. Volatile, so the planner never folds them into constants.
pub fn functions() -> Vec<ScalarFunction> {
    vec![
        ScalarFunction::with_volatility(
            meta(
                "BAD_UDF",
                "Fails for every row (tests the processing log).",
                &["BAD_UDF(T arg)"],
            ),
            |args| matches!(args, [_]).then_some(SqlType::Int),
            |_, ret, rows| {
                if rows == 0 {
                    return Ok(arrow::array::new_empty_array(ret));
                }
                Err(exec_error("BAD_UDF", "This UDF always fails"))
            },
            Volatility::Volatile,
        ),
        ScalarFunction::with_volatility(
            meta(
                "WHENCONDITION",
                "Returns its first argument; fails when the second is false.",
                &["WHENCONDITION(BOOLEAN value, BOOLEAN allowed)"],
            ),
            |args| matches!(args, [SqlType::Boolean, SqlType::Boolean]).then_some(SqlType::Boolean),
            |args, ret, _| checked_identity("WHENCONDITION", args, ret),
            Volatility::Volatile,
        ),
        ScalarFunction::with_volatility(
            meta(
                "WHENRESULT",
                "Returns its first argument; fails when the second is false.",
                &["WHENRESULT(INTEGER value, BOOLEAN allowed)"],
            ),
            |args| matches!(args, [SqlType::Int, SqlType::Boolean]).then_some(SqlType::Int),
            |args, ret, _| checked_identity("WHENRESULT", args, ret),
            Volatility::Volatile,
        ),
    ]
}

fn checked_identity(
    name: &str,
    args: &[ArrayRef],
    ret: &DataType,
) -> datafusion::error::Result<ArrayRef> {
    let [value, allowed] = args else {
        return Err(exec_error(name, "expects two arguments"));
    };
    let allowed = cast(allowed, &DataType::Boolean)?;
    let allowed = allowed.as_boolean();
    if (0..allowed.len()).any(|i| allowed.is_valid(i) && !allowed.value(i)) {
        return Err(exec_error(
            name,
            "evaluated although its branch was not taken",
        ));
    }
    Ok(cast(value, ret)?)
}
