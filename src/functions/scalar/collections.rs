//! Array and map functions: ARRAY_CONTAINS, ARRAY_LENGTH, ARRAY_MAX/MIN, ARRAY_SORT,
//! ARRAY_DISTINCT, ARRAY_JOIN, ARRAY_REMOVE, set operations, SLICE, MAP_KEYS/VALUES.

use std::cmp::Ordering;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result as DFResult;

use crate::functions::error::exec_error;
use crate::functions::metadata::{FunctionMeta, common_type, is_integral, is_text};
use crate::functions::values::{
    as_i64, as_str, list_elements, list_item_type, list_scalar, map_entries, map_types,
};
use crate::sql::SqlType;

use super::ScalarFunction;
use super::udf::map_rows;

const CATEGORY: &str = "ARRAY / MAP";

fn same_array(args: &[SqlType]) -> Option<SqlType> {
    match args {
        [a @ SqlType::Array(_)] => Some(a.clone()),
        _ => None,
    }
}

fn two_arrays(args: &[SqlType]) -> Option<SqlType> {
    match args {
        [a @ SqlType::Array(_), b] if a == b => Some(a.clone()),
        _ => None,
    }
}

/// Total order for sorting: nulls last, NaN after numbers (as Java's Double compare).
fn compare(a: &ScalarValue, b: &ScalarValue) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(b).unwrap_or(Ordering::Equal),
    }
}

/// The array and map functions.
pub fn functions() -> Vec<ScalarFunction> {
    vec![
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_CONTAINS",
                "Whether an array contains a value.",
                &["ARRAY_CONTAINS(ARRAY<T> array, T val)"],
            ),
            |args| match args {
                [SqlType::Array(item), v] => common_type(item, v).map(|_| SqlType::Boolean),
                _ => None,
            },
            |args, ret, rows| {
                map_rows(args, ret, rows, |row| {
                    let Some(items) = list_elements(&row[0])? else {
                        return Ok(ScalarValue::Boolean(Some(false)));
                    };
                    let needle = cast_like(&row[1], items.first())?;
                    Ok(ScalarValue::Boolean(Some(
                        items.iter().any(|v| v == &needle),
                    )))
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_LENGTH",
                "The number of elements of an array.",
                &["ARRAY_LENGTH(ARRAY<T> array)"],
            ),
            |args| matches!(args, [SqlType::Array(_)]).then_some(SqlType::Int),
            |args, ret, rows| {
                map_rows(args, ret, rows, |row| {
                    Ok(ScalarValue::Int32(
                        list_elements(&row[0])?.map(|v| i32::try_from(v.len()).unwrap_or(i32::MAX)),
                    ))
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_MAX",
                "The largest non-null element of an array.",
                &["ARRAY_MAX(ARRAY<T> array)"],
            ),
            |args| match args {
                [SqlType::Array(item)] => Some((**item).clone()),
                _ => None,
            },
            |args, ret, rows| eval_array_extreme(args, ret, rows, Ordering::Greater),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_MIN",
                "The smallest non-null element of an array.",
                &["ARRAY_MIN(ARRAY<T> array)"],
            ),
            |args| match args {
                [SqlType::Array(item)] => Some((**item).clone()),
                _ => None,
            },
            |args, ret, rows| eval_array_extreme(args, ret, rows, Ordering::Less),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_SORT",
                "Sorts an array ascending (default) or descending; nulls last.",
                &[
                    "ARRAY_SORT(ARRAY<T> array)",
                    "ARRAY_SORT(ARRAY<T> array, STRING direction)",
                ],
            ),
            |args| match args {
                [a @ SqlType::Array(_)] => Some(a.clone()),
                [a @ SqlType::Array(_), d] if is_text(d) => Some(a.clone()),
                _ => None,
            },
            eval_array_sort,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_DISTINCT",
                "The distinct elements of an array, in first-seen order.",
                &["ARRAY_DISTINCT(ARRAY<T> array)"],
            ),
            same_array,
            |args, ret, rows| map_array(args, ret, rows, |items, _| Ok(distinct(items))),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_REMOVE",
                "The array without every element equal to a value.",
                &["ARRAY_REMOVE(ARRAY<T> array, T victim)"],
            ),
            |args| match args {
                [a @ SqlType::Array(item), v] => common_type(item, v).map(|_| a.clone()),
                _ => None,
            },
            |args, ret, rows| {
                map_rows(args, ret, rows, |row| {
                    let Some(items) = list_elements(&row[0])? else {
                        return Ok(ScalarValue::Null);
                    };
                    let victim = cast_like(&row[1], items.first())?;
                    let kept = items.into_iter().filter(|v| v != &victim).collect();
                    build_list(kept, ret)
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_CONCAT",
                "The elements of both arrays.",
                &["ARRAY_CONCAT(ARRAY<T> left, ARRAY<T> right)"],
            ),
            two_arrays,
            |args, ret, rows| {
                map_two_arrays(args, ret, rows, |left, right| {
                    Some(left.into_iter().chain(right).collect())
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_UNION",
                "The distinct elements of either array.",
                &["ARRAY_UNION(ARRAY<T> left, ARRAY<T> right)"],
            ),
            two_arrays,
            |args, ret, rows| {
                map_two_arrays(args, ret, rows, |left, right| {
                    Some(distinct(left.into_iter().chain(right).collect()))
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_INTERSECT",
                "The distinct elements of both arrays.",
                &["ARRAY_INTERSECT(ARRAY<T> left, ARRAY<T> right)"],
            ),
            two_arrays,
            |args, ret, rows| {
                map_two_arrays(args, ret, rows, |left, right| {
                    Some(distinct(
                        left.into_iter().filter(|v| right.contains(v)).collect(),
                    ))
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_EXCEPT",
                "The distinct elements of the first array not in the second.",
                &["ARRAY_EXCEPT(ARRAY<T> left, ARRAY<T> right)"],
            ),
            two_arrays,
            |args, ret, rows| {
                map_two_arrays(args, ret, rows, |left, right| {
                    Some(distinct(
                        left.into_iter().filter(|v| !right.contains(v)).collect(),
                    ))
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ARRAY_JOIN",
                "Joins the elements of an array into a string with a delimiter (default ',').",
                &[
                    "ARRAY_JOIN(ARRAY<T> array)",
                    "ARRAY_JOIN(ARRAY<T> array, STRING delimiter)",
                ],
            ),
            |args| match args {
                [SqlType::Array(_)] => Some(SqlType::String),
                [SqlType::Array(_), d] if is_text(d) => Some(SqlType::String),
                _ => None,
            },
            eval_array_join,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "SLICE",
                "The elements between two 1-based positions, inclusive.",
                &["SLICE(ARRAY<T> array, INTEGER from, INTEGER to)"],
            ),
            |args| match args {
                [a @ SqlType::Array(_), f, t] if is_integral(f) && is_integral(t) => {
                    Some(a.clone())
                }
                _ => None,
            },
            eval_slice,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "MAP_KEYS",
                "The keys of a map.",
                &["MAP_KEYS(MAP<K, V> map)"],
            ),
            |args| match args {
                [SqlType::Map(k, _)] => Some(SqlType::Array(k.clone())),
                _ => None,
            },
            |args, ret, rows| eval_map_part(args, ret, rows, true),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "MAP_VALUES",
                "The values of a map.",
                &["MAP_VALUES(MAP<K, V> map)"],
            ),
            |args| match args {
                [SqlType::Map(_, v)] => Some(SqlType::Array(v.clone())),
                _ => None,
            },
            |args, ret, rows| eval_map_part(args, ret, rows, false),
        ),
    ]
}

/// `value` cast to the type of `like` (the array's elements), so comparisons are exact.
fn cast_like(value: &ScalarValue, like: Option<&ScalarValue>) -> DFResult<ScalarValue> {
    match like {
        Some(like) if !value.is_null() && value.data_type() != like.data_type() => {
            value.cast_to(&like.data_type())
        }
        _ => Ok(value.clone()),
    }
}

fn distinct(items: Vec<ScalarValue>) -> Vec<ScalarValue> {
    let mut out: Vec<ScalarValue> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn build_list(items: Vec<ScalarValue>, ret: &DataType) -> DFResult<ScalarValue> {
    let item_type = list_item_type(ret)
        .ok_or_else(|| exec_error("array", format!("{ret} is not an array type")))?;
    list_scalar(items, item_type)
}

/// Maps each non-null array of the first argument to a new array of the return type.
fn map_array(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    f: impl Fn(Vec<ScalarValue>, &[ScalarValue]) -> DFResult<Vec<ScalarValue>>,
) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| match list_elements(&row[0])? {
        Some(items) => build_list(f(items, &row[1..])?, ret),
        None => Ok(ScalarValue::Null),
    })
}

fn map_two_arrays(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    f: impl Fn(Vec<ScalarValue>, Vec<ScalarValue>) -> Option<Vec<ScalarValue>>,
) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| {
        match (list_elements(&row[0])?, list_elements(&row[1])?) {
            (Some(left), Some(right)) => match f(left, right) {
                Some(items) => build_list(items, ret),
                None => Ok(ScalarValue::Null),
            },
            _ => Ok(ScalarValue::Null),
        }
    })
}

fn eval_array_extreme(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    keep: Ordering,
) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| {
        let Some(items) = list_elements(&row[0])? else {
            return Ok(ScalarValue::Null);
        };
        let best = items
            .into_iter()
            .filter(|v| !v.is_null())
            .reduce(|best, v| if compare(&v, &best) == keep { v } else { best });
        Ok(best.unwrap_or(ScalarValue::Null))
    })
}

fn eval_array_sort(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    map_array(args, ret, rows, |mut items, rest| {
        let descending = match rest.first() {
            None => false,
            Some(direction) => match as_str(direction).map(str::to_ascii_uppercase).as_deref() {
                Some("ASC") => false,
                Some("DESC") => true,
                _ => {
                    return Err(exec_error(
                        "ARRAY_SORT",
                        "the direction must be 'ASC' or 'DESC'",
                    ));
                }
            },
        };
        items.sort_by(compare);
        if descending {
            // Nulls stay last in both directions.
            let nulls = items.iter().filter(|v| v.is_null()).count();
            let split = items.len() - nulls;
            items[..split].reverse();
        }
        Ok(items)
    })
}

fn eval_array_join(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| {
        let Some(items) = list_elements(&row[0])? else {
            return Ok(ScalarValue::Null);
        };
        let delimiter = match row.get(1) {
            None => ",",
            Some(d) => as_str(d).unwrap_or(""),
        };
        let parts: Vec<String> = items
            .iter()
            .map(|v| {
                if v.is_null() {
                    "null".to_string()
                } else {
                    as_str(v).map_or_else(|| v.to_string(), str::to_string)
                }
            })
            .collect();
        Ok(ScalarValue::Utf8(Some(parts.join(delimiter))))
    })
}

fn eval_slice(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| {
        let (Some(items), Some(from), Some(to)) =
            (list_elements(&row[0])?, as_i64(&row[1]), as_i64(&row[2]))
        else {
            return Ok(ScalarValue::Null);
        };
        let len = items.len() as i64;
        let start = (from.max(1) - 1).min(len);
        let end = to.min(len).max(start);
        build_list(items[start as usize..end as usize].to_vec(), ret)
    })
}

fn eval_map_part(args: &[ArrayRef], ret: &DataType, rows: usize, keys: bool) -> DFResult<ArrayRef> {
    let input_type = args.first().map(|a| a.data_type().clone());
    map_rows(args, ret, rows, |row| {
        let Some(entries) = map_entries(&row[0])? else {
            return Ok(ScalarValue::Null);
        };
        let part: Vec<ScalarValue> = entries
            .into_iter()
            .map(|(k, v)| if keys { k } else { v })
            .collect();
        match input_type.as_ref().and_then(map_types) {
            Some((key_type, value_type)) => {
                list_scalar(part, if keys { key_type } else { value_type })
            }
            None => build_list(part, ret),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, AsArray, Int32Array, ListArray};
    use arrow::datatypes::Int32Type;

    use super::*;
    use crate::functions::scalar::udf::tests_support::{self, invoke};

    fn function(name: &str) -> ScalarFunction {
        tests_support::find(functions(), name)
    }

    fn int_lists(values: Vec<Option<Vec<Option<i32>>>>) -> ArrayRef {
        Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(values))
    }

    fn int_array() -> SqlType {
        SqlType::Array(Box::new(SqlType::Int))
    }

    #[test]
    fn length_contains_and_max() {
        let arrays = int_lists(vec![Some(vec![Some(3), None, Some(7)]), Some(vec![]), None]);
        let len = invoke(
            &function("ARRAY_LENGTH"),
            vec![Arc::clone(&arrays)],
            &SqlType::Int,
            3,
        );
        let len = len.as_primitive::<Int32Type>();
        assert_eq!((len.value(0), len.value(1)), (3, 0));
        assert!(len.is_null(2));
        let needle: ArrayRef = Arc::new(Int32Array::from(vec![7, 7, 7]));
        let contains = invoke(
            &function("ARRAY_CONTAINS"),
            vec![Arc::clone(&arrays), needle],
            &SqlType::Boolean,
            3,
        );
        let contains = contains.as_boolean();
        assert!(contains.value(0) && !contains.value(1) && !contains.value(2));
        let max = invoke(&function("ARRAY_MAX"), vec![arrays], &SqlType::Int, 3);
        let max = max.as_primitive::<Int32Type>();
        assert_eq!(max.value(0), 7);
        assert!(max.is_null(1));
    }

    #[test]
    fn sort_slice_and_distinct() {
        let arrays = int_lists(vec![Some(vec![Some(3), None, Some(1), Some(3)])]);
        let sorted = invoke(
            &function("ARRAY_SORT"),
            vec![Arc::clone(&arrays)],
            &int_array(),
            1,
        );
        let sorted = sorted.as_list::<i32>().value(0);
        let sorted = sorted.as_primitive::<Int32Type>();
        assert_eq!(
            (sorted.value(0), sorted.value(1), sorted.value(2)),
            (1, 3, 3)
        );
        assert!(sorted.is_null(3));
        let from: ArrayRef = Arc::new(Int32Array::from(vec![2]));
        let to: ArrayRef = Arc::new(Int32Array::from(vec![10]));
        let sliced = invoke(
            &function("SLICE"),
            vec![Arc::clone(&arrays), from, to],
            &int_array(),
            1,
        );
        assert_eq!(sliced.as_list::<i32>().value(0).len(), 3);
        let unique = invoke(&function("ARRAY_DISTINCT"), vec![arrays], &int_array(), 1);
        assert_eq!(unique.as_list::<i32>().value(0).len(), 3);
    }
}
