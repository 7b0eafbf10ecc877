//! Null handling (COALESCE, IFNULL, NULLIF) and the value pass-through AS_VALUE.

use arrow::array::ArrayRef;
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result as DFResult;

use super::ScalarFunction;
use super::udf::map_rows;
use crate::functions::metadata::{FunctionMeta, common_type, common_type_of};

/// The null-handling functions.
pub fn functions() -> Vec<ScalarFunction> {
    vec![
        ScalarFunction::new(
            FunctionMeta::scalar(
                "CONDITIONAL",
                "COALESCE",
                "The first non-null argument.",
                &["COALESCE(T first, T... others)"],
            ),
            common_type_of,
            eval_coalesce,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                "CONDITIONAL",
                "IFNULL",
                "The first argument, or the second when the first is null.",
                &["IFNULL(T expression, T altValue)"],
            ),
            |args| match args {
                [a, b] => common_type(a, b),
                _ => None,
            },
            eval_coalesce,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                "CONDITIONAL",
                "NULLIF",
                "Null when both arguments are equal, else the first.",
                &["NULLIF(T expr1, T expr2)"],
            ),
            |args| match args {
                [a, b] => common_type(a, b).map(|_| a.clone()),
                _ => None,
            },
            eval_nullif,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                "OTHER",
                "AS_VALUE",
                "Copies a key column into the value of the result.",
                &["AS_VALUE(T keyColumn)"],
            ),
            |args| match args {
                [a] => Some(a.clone()),
                _ => None,
            },
            |args, ret, _| match args {
                [value] => Ok(cast(value, ret)?),
                _ => Err(crate::functions::error::exec_error(
                    "AS_VALUE",
                    "expects one argument",
                )),
            },
        ),
    ]
}

fn eval_coalesce(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    let args = args
        .iter()
        .map(|a| cast(a, ret))
        .collect::<Result<Vec<_>, _>>()?;
    map_rows(&args, ret, rows, |row| {
        Ok(row
            .iter()
            .find(|v| !v.is_null())
            .cloned()
            .unwrap_or(ScalarValue::Null))
    })
}

fn eval_nullif(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    let [first, second] = args else {
        return Err(crate::functions::error::exec_error(
            "NULLIF",
            "expects two arguments",
        ));
    };
    let second = cast(second, first.data_type())?;
    map_rows(&[ArrayRef::clone(first), second], ret, rows, |row| {
        Ok(if !row[0].is_null() && row[0] == row[1] {
            ScalarValue::Null
        } else {
            row[0].clone()
        })
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, AsArray, Int32Array, Int64Array};
    use arrow::datatypes::Int64Type;

    use super::*;
    use crate::functions::scalar::udf::tests_support::{self, invoke};
    use crate::sql::SqlType;

    fn function(name: &str) -> ScalarFunction {
        tests_support::find(functions(), name)
    }

    #[test]
    fn coalesce_takes_the_first_non_null_and_widens() {
        let coalesce = function("COALESCE");
        let ret = coalesce
            .return_type(&[SqlType::Int, SqlType::BigInt])
            .expect("resolves");
        assert_eq!(ret, SqlType::BigInt);
        let a: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, None]));
        let b: ArrayRef = Arc::new(Int64Array::from(vec![Some(5), Some(6), None]));
        let out = invoke(&coalesce, vec![a, b], &ret, 3);
        let out = out.as_primitive::<Int64Type>();
        assert_eq!((out.value(0), out.value(1)), (1, 6));
        assert!(out.is_null(2));
    }

    #[test]
    fn coalesce_without_arguments_is_rejected_as_ksqldb_says() {
        let err = function("COALESCE")
            .return_type(&[])
            .expect_err("no arguments");
        assert!(
            err.to_string()
                .starts_with("Function 'COALESCE' does not accept parameters ()")
        );
        assert!(
            function("IFNULL")
                .return_type(&[SqlType::Int, SqlType::String])
                .is_err()
        );
    }

    #[test]
    fn nullif_nulls_equal_values() {
        let nullif = function("NULLIF");
        let a: ArrayRef = Arc::new(Int32Array::from(vec![Some(10), Some(1), None]));
        let b: ArrayRef = Arc::new(Int32Array::from(vec![Some(10), Some(10), Some(10)]));
        let out = invoke(&nullif, vec![a, b], &SqlType::Int, 3);
        assert!(out.is_null(0));
        assert!(out.is_valid(1));
        assert!(out.is_null(2));
    }
}
