//! Functions that only ksqlDB's test corpus declares: BAD_UDF (fails, or returns NULL
//! every other call) and
//! WHENCONDITION/WHENRESULT (fail when evaluated with a false second argument, proving
//! CASE evaluates branches lazily).

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{Int32Array, StringArray};
use datafusion::error::Result as DFResult;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::sql::SqlType;

use super::error::exec_error;
use super::metadata::{FunctionKind, FunctionMeta};
use super::scalar::ScalarFunction;

/// The corpus' test functions. Volatile, so the planner never folds them into constants.
pub fn functions() -> Vec<ScalarFunction> {
    vec![
        ScalarFunction::with_udf(
            FunctionMeta::new(
                FunctionKind::Scalar,
                "TEST",
                "BAD_UDF",
                "Fails for an INT, for a true BOOLEAN (0 for false), and returns NULL for \
                 every other STRING it is called with (tests the processing log).",
                &[
                    "BAD_UDF(INT arg)",
                    "BAD_UDF(BOOLEAN arg)",
                    "BAD_UDF(STRING arg)",
                ],
            ),
            |args| match args {
                [SqlType::String] => Some(SqlType::String),
                [_] => Some(SqlType::Int),
                _ => None,
            },
            ScalarUDF::new_from_impl(BadUdf {
                invocations: AtomicU64::new(0),
                signature: Signature::any(1, Volatility::Volatile),
            }),
        ),
        ScalarFunction::with_volatility(
            FunctionMeta::new(
                FunctionKind::Scalar,
                "TEST",
                "WHENCONDITION",
                "Returns its first argument; fails when the second is false.",
                &["WHENCONDITION(BOOLEAN value, BOOLEAN allowed)"],
            ),
            |args| matches!(args, [SqlType::Boolean, SqlType::Boolean]).then_some(SqlType::Boolean),
            |args, ret, _| checked_identity("WHENCONDITION", args, ret),
            Volatility::Volatile,
        ),
        ScalarFunction::with_volatility(
            FunctionMeta::new(
                FunctionKind::Scalar,
                "TEST",
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

/// ksqlDB's test `BAD_UDF`: its STRING form counts its calls (one instance per engine,
/// as in ksqlDB), which is why it is its own UDF rather than a stateless evaluator.
#[derive(Debug)]
struct BadUdf {
    invocations: AtomicU64,
    signature: Signature,
}

impl PartialEq for BadUdf {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for BadUdf {}

impl Hash for BadUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "BAD_UDF".hash(state);
    }
}

impl ScalarUDFImpl for BadUdf {
    fn name(&self) -> &str {
        "bad_udf"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> DFResult<DataType> {
        Ok(match arg_types {
            [DataType::Utf8] => DataType::Utf8,
            _ => DataType::Int32,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DFResult<ColumnarValue> {
        let rows = args.number_rows;
        let [arg] = args.args.as_slice() else {
            return Err(exec_error("BAD_UDF", "expects one argument"));
        };
        let arg = arg.to_array(rows)?;
        if rows == 0 {
            return Ok(ColumnarValue::Array(arrow::array::new_empty_array(
                args.return_field.data_type(),
            )));
        }
        match arg.data_type() {
            DataType::Utf8 => {
                let strings = arg.as_string::<i32>();
                let out: StringArray = (0..rows)
                    .map(|row| {
                        let call = self.invocations.fetch_add(1, Ordering::Relaxed);
                        (call % 2 == 1 && strings.is_valid(row)).then(|| strings.value(row))
                    })
                    .collect();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }
            DataType::Boolean => {
                let flags = arg.as_boolean();
                if (0..rows).any(|row| flags.is_valid(row) && flags.value(row)) {
                    return Err(exec_error("BAD_UDF", "boom: the argument is true"));
                }
                Ok(ColumnarValue::Array(Arc::new(Int32Array::from(vec![
                    0;
                    rows
                ]))))
            }
            _ => Err(exec_error("BAD_UDF", "This UDF always fails")),
        }
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::Field;
    use datafusion::config::ConfigOptions;

    use super::*;

    fn call(udf: &ScalarUDF, arg: ArrayRef, ret: DataType) -> DFResult<ArrayRef> {
        let rows = arg.len();
        udf.invoke_with_args(ScalarFunctionArgs {
            arg_fields: vec![Arc::new(Field::new("arg", arg.data_type().clone(), true))],
            args: vec![ColumnarValue::Array(arg)],
            number_rows: rows,
            return_field: Arc::new(Field::new("out", ret, true)),
            config_options: Arc::new(ConfigOptions::default()),
        })?
        .to_array(rows)
    }

    #[test]
    fn bad_udf_returns_null_every_other_string_call_and_fails_otherwise() {
        let bad = functions()
            .into_iter()
            .find(|f| f.meta.name == "BAD_UDF")
            .expect("BAD_UDF is declared");
        let udf = bad.udf();
        let strings: ArrayRef = Arc::new(StringArray::from(vec!["d1", "d2", "d1"]));
        let out = call(&udf, Arc::clone(&strings), DataType::Utf8).expect("strings");
        assert_eq!(
            out.as_string::<i32>(),
            &StringArray::from(vec![None, Some("d2"), None])
        );
        let out = call(&udf, strings, DataType::Utf8).expect("strings");
        assert_eq!(
            out.as_string::<i32>(),
            &StringArray::from(vec![Some("d1"), None, Some("d1")]),
            "the count carries over between batches"
        );
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        assert!(call(&udf, ints, DataType::Int32).is_err());
        let flags: ArrayRef = Arc::new(arrow::array::BooleanArray::from(vec![false]));
        let out = call(&udf, flags, DataType::Int32).expect("false is fine");
        assert_eq!(
            out.as_primitive::<arrow::datatypes::Int32Type>().value(0),
            0
        );
    }
}
