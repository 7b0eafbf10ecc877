//! Table functions (EXPLODE, CUBE_EXPLODE): each input value becomes zero or more rows.
//!
//! These are plain functions over values; the operator that applies them to batches
//! (zipping several table functions of one SELECT) belongs to the engine.

use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use crate::sql::SqlType;

use super::error::{FunctionError, Result};
use super::metadata::{FunctionKind, FunctionMeta};
use super::values::{list_elements, list_item_type, list_scalar};

/// The largest array CUBE_EXPLODE accepts: it yields 2^n rows.
pub const MAX_CUBE_ELEMENTS: usize = 16;

type TableResolveFn = fn(&[SqlType]) -> Option<SqlType>;
type TableApplyFn = fn(&[ScalarValue], &DataType) -> Result<Vec<ScalarValue>>;

/// One table function.
#[derive(Debug)]
pub struct TableFunction {
    pub meta: FunctionMeta,
    resolve: TableResolveFn,
    apply: TableApplyFn,
}

impl TableFunction {
    /// The SQL type of each produced value, or ksqlDB's "does not accept" error.
    pub fn return_type(&self, args: &[SqlType]) -> Result<SqlType> {
        (self.resolve)(args).ok_or_else(|| self.meta.invalid_arguments(args))
    }

    /// The values produced for one input row, in order (no rows for null or empty input).
    /// `return_type` is the Arrow type of [`Self::return_type`].
    pub fn rows(&self, args: &[ScalarValue], return_type: &DataType) -> Result<Vec<ScalarValue>> {
        (self.apply)(args, return_type)
    }
}

/// EXPLODE and CUBE_EXPLODE.
pub fn builtins() -> Vec<TableFunction> {
    vec![
        TableFunction {
            // ksqlDB declares these in lower case, and quotes them so in its errors.
            meta: FunctionMeta::new(
                FunctionKind::Table,
                "TABLE",
                "explode",
                "One row per element of an array.",
                &["explode(ARRAY<DECIMAL> input)", "explode(ARRAY<T> list)"],
            ),
            resolve: |args| match args {
                [SqlType::Array(item)] => Some((**item).clone()),
                _ => None,
            },
            apply: explode,
        },
        TableFunction {
            meta: FunctionMeta::new(
                FunctionKind::Table,
                "TABLE",
                "cube_explode",
                "One row per combination of the elements of an array with NULL in place of any subset of them.",
                &["cube_explode(ARRAY<T> input)"],
            ),
            resolve: |args| match args {
                [array @ SqlType::Array(_)] => Some(array.clone()),
                _ => None,
            },
            apply: cube_explode,
        },
    ]
}

fn explode(args: &[ScalarValue], _: &DataType) -> Result<Vec<ScalarValue>> {
    match args.first() {
        Some(array) => Ok(list_elements(array)?.unwrap_or_default()),
        None => Ok(Vec::new()),
    }
}

fn cube_explode(args: &[ScalarValue], return_type: &DataType) -> Result<Vec<ScalarValue>> {
    let Some(items) = args.first().map(list_elements).transpose()?.flatten() else {
        return Ok(Vec::new());
    };
    if items.len() > MAX_CUBE_ELEMENTS {
        return Err(FunctionError::evaluation(
            "cube_explode",
            format!(
                "an array of {} elements would produce too many rows (at most {MAX_CUBE_ELEMENTS} elements)",
                items.len()
            ),
        ));
    }
    let item_type = list_item_type(return_type).cloned().ok_or_else(|| {
        FunctionError::evaluation(
            "cube_explode",
            format!("{return_type} is not an array type"),
        )
    })?;
    let null = ScalarValue::try_from(&item_type)?;
    let n = items.len();
    let mut seen: Vec<Vec<ScalarValue>> = Vec::new();
    for mask in 0u32..(1u32 << n) {
        // The first element varies slowest: [NULL, NULL], [NULL, b], [a, NULL], [a, b].
        let combination: Vec<ScalarValue> = items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if mask & (1 << (n - 1 - i)) != 0 {
                    v.clone()
                } else {
                    null.clone()
                }
            })
            .collect();
        // An element that is already NULL would repeat a combination.
        if !seen.contains(&combination) {
            seen.push(combination);
        }
    }
    seen.into_iter()
        .map(|c| Ok(list_scalar(c, &item_type)?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::values::list_elements;

    fn int_list(values: &[Option<i32>]) -> ScalarValue {
        list_scalar(
            values.iter().map(|v| ScalarValue::Int32(*v)).collect(),
            &DataType::Int32,
        )
        .expect("list")
    }

    fn function(name: &str) -> TableFunction {
        builtins()
            .into_iter()
            .find(|f| f.meta.name == name)
            .expect("exists")
    }

    #[test]
    fn explode_yields_each_element_and_nothing_for_null_or_empty() {
        let explode = function("explode");
        let rows = explode
            .rows(&[int_list(&[Some(1), None, Some(3)])], &DataType::Int32)
            .expect("explodes");
        assert_eq!(
            rows,
            vec![
                ScalarValue::Int32(Some(1)),
                ScalarValue::Int32(None),
                ScalarValue::Int32(Some(3))
            ]
        );
        assert!(
            explode
                .rows(&[int_list(&[])], &DataType::Int32)
                .expect("empty")
                .is_empty()
        );
        let null = ScalarValue::new_null_list(DataType::Int32, true, 1);
        assert!(
            explode
                .rows(&[null], &DataType::Int32)
                .expect("null")
                .is_empty()
        );
    }

    #[test]
    fn explode_rejects_maps_with_ksqldb_message() {
        let err = function("explode")
            .return_type(&[SqlType::Map(
                Box::new(SqlType::String),
                Box::new(SqlType::Int),
            )])
            .expect_err("maps are not arrays");
        assert_eq!(
            err.to_string(),
            "Function 'explode' does not accept parameters (MAP<STRING, INTEGER>).\nValid alternatives are:\nexplode(ARRAY<DECIMAL> input)\nexplode(ARRAY<T> list)"
        );
    }

    #[test]
    fn cube_explode_yields_every_subset() {
        let cube = function("cube_explode");
        let ty = SqlType::Array(Box::new(SqlType::Int))
            .to_arrow()
            .expect("arrow type");
        let rows = cube
            .rows(&[int_list(&[Some(1), Some(2)])], &ty)
            .expect("cube");
        let rows: Vec<Vec<ScalarValue>> = rows
            .iter()
            .map(|r| list_elements(r).expect("list").expect("not null"))
            .collect();
        let i = |v: Option<i32>| ScalarValue::Int32(v);
        assert_eq!(
            rows,
            vec![
                vec![i(None), i(None)],
                vec![i(None), i(Some(2))],
                vec![i(Some(1)), i(None)],
                vec![i(Some(1)), i(Some(2))]
            ]
        );
        let with_null = cube.rows(&[int_list(&[Some(1), None])], &ty).expect("cube");
        assert_eq!(with_null.len(), 2);
    }
}
