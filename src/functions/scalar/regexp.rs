//! Regular-expression functions: REGEXP_EXTRACT, REGEXP_EXTRACT_ALL, REGEXP_REPLACE and
//! REGEXP_SPLIT_TO_ARRAY.

use regex::Regex;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result as DFResult;

use crate::functions::error::exec_error;
use crate::functions::metadata::{FunctionMeta, is_integral, is_text};
use crate::functions::values::{as_i64, as_str, list_scalar};
use crate::sql::SqlType;

use super::ScalarFunction;
use super::udf::{any_null, map_rows};

const CATEGORY: &str = "REGULAR EXPRESSION";

/// The regular-expression functions.
pub fn functions() -> Vec<ScalarFunction> {
    vec![
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "REGEXP_EXTRACT",
                "The first match of a regular expression (or of one of its groups), or null.",
                &[
                    "REGEXP_EXTRACT(STRING pattern, STRING input)",
                    "REGEXP_EXTRACT(STRING pattern, STRING input, INTEGER group)",
                ],
            ),
            |args| resolve_regexp_extract(args).then_some(SqlType::String),
            |args, ret, rows| eval_regexp_extract(args, ret, rows, false),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "REGEXP_EXTRACT_ALL",
                "Every match of a regular expression (or of one of its groups).",
                &[
                    "REGEXP_EXTRACT_ALL(STRING pattern, STRING input)",
                    "REGEXP_EXTRACT_ALL(STRING pattern, STRING input, INTEGER group)",
                ],
            ),
            |args| resolve_regexp_extract(args).then(|| SqlType::Array(Box::new(SqlType::String))),
            |args, ret, rows| eval_regexp_extract(args, ret, rows, true),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "REGEXP_REPLACE",
                "Replaces every match of a regular expression.",
                &["REGEXP_REPLACE(STRING input, STRING regex, STRING replacement)"],
            ),
            |args| {
                matches!(args, [a, b, c] if is_text(a) && is_text(b) && is_text(c))
                    .then_some(SqlType::String)
            },
            eval_regexp_replace,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "REGEXP_SPLIT_TO_ARRAY",
                "Splits a string on a regular expression.",
                &["REGEXP_SPLIT_TO_ARRAY(STRING string, STRING regexp)"],
            ),
            |args| {
                matches!(args, [a, b] if is_text(a) && is_text(b))
                    .then(|| SqlType::Array(Box::new(SqlType::String)))
            },
            eval_regexp_split,
        ),
    ]
}

/// Compiles each distinct pattern once per batch (patterns are nearly always literals).
#[derive(Default)]
struct RegexCache {
    last: Option<(String, Regex)>,
}

impl RegexCache {
    fn get(&mut self, name: &str, pattern: &str) -> DFResult<&Regex> {
        let stale = self.last.as_ref().is_none_or(|(p, _)| p != pattern);
        if stale {
            let regex = Regex::new(pattern).map_err(|e| {
                exec_error(name, format!("invalid regular expression '{pattern}': {e}"))
            })?;
            self.last = Some((pattern.to_string(), regex));
        }
        match &self.last {
            Some((_, regex)) => Ok(regex),
            None => Err(exec_error(
                name,
                "regular expression cache is empty (a bug)",
            )),
        }
    }
}

fn resolve_regexp_extract(args: &[SqlType]) -> bool {
    match args {
        [p, s] => is_text(p) && is_text(s),
        [p, s, g] => is_text(p) && is_text(s) && is_integral(g),
        _ => false,
    }
}

fn eval_regexp_extract(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    all: bool,
) -> DFResult<ArrayRef> {
    let name = if all {
        "REGEXP_EXTRACT_ALL"
    } else {
        "REGEXP_EXTRACT"
    };
    let mut cache = RegexCache::default();
    map_rows(args, ret, rows, |row| {
        if any_null(row) {
            return Ok(ScalarValue::Null);
        }
        let (Some(pattern), Some(input)) = (as_str(&row[0]), as_str(&row[1])) else {
            return Ok(ScalarValue::Null);
        };
        let group = row.get(2).and_then(as_i64).unwrap_or(0);
        let group = usize::try_from(group)
            .map_err(|_| exec_error(name, "the group must not be negative"))?;
        let regex = cache.get(name, pattern)?;
        if all {
            let found: Vec<ScalarValue> = regex
                .captures_iter(input)
                .map(|c| ScalarValue::Utf8(c.get(group).map(|m| m.as_str().to_string())))
                .collect();
            list_scalar(found, &DataType::Utf8)
        } else {
            Ok(ScalarValue::Utf8(
                regex
                    .captures(input)
                    .and_then(|c| c.get(group))
                    .map(|m| m.as_str().to_string()),
            ))
        }
    })
}

fn eval_regexp_replace(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    let mut cache = RegexCache::default();
    map_rows(args, ret, rows, |row| {
        let (Some(input), Some(pattern), Some(replacement)) =
            (as_str(&row[0]), as_str(&row[1]), as_str(&row[2]))
        else {
            return Ok(ScalarValue::Null);
        };
        let regex = cache.get("REGEXP_REPLACE", pattern)?;
        Ok(ScalarValue::Utf8(Some(
            regex.replace_all(input, replacement).into_owned(),
        )))
    })
}

fn eval_regexp_split(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    let mut cache = RegexCache::default();
    map_rows(args, ret, rows, |row| {
        let (Some(input), Some(pattern)) = (as_str(&row[0]), as_str(&row[1])) else {
            return Ok(ScalarValue::Null);
        };
        let regex = cache.get("REGEXP_SPLIT_TO_ARRAY", pattern)?;
        let parts = regex
            .split(input)
            .map(|p| ScalarValue::Utf8(Some(p.to_string())))
            .collect();
        list_scalar(parts, &DataType::Utf8)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::functions::scalar::udf::tests_support::{self, ints, strings, texts};

    fn call(name: &str, args: Vec<ArrayRef>, types: &[SqlType]) -> ArrayRef {
        tests_support::call(functions(), name, args, types)
    }

    #[test]
    fn regular_expressions() {
        let out = call(
            "REGEXP_EXTRACT",
            vec![
                strings(&[Some("(\\w+) (\\w+)")]),
                strings(&[Some("hello there friend")]),
                ints(&[Some(2)]),
            ],
            &[SqlType::String, SqlType::String, SqlType::Int],
        );
        assert_eq!(texts(&out), vec![Some("there".into())]);
        let out = call(
            "REGEXP_REPLACE",
            vec![
                strings(&[Some("baloney")]),
                strings(&[Some("(ba)")]),
                strings(&[Some("bo")]),
            ],
            &vec![SqlType::String; 3],
        );
        assert_eq!(texts(&out), vec![Some("boloney".into())]);
        let bad = functions()
            .into_iter()
            .find(|f| f.meta.name == "REGEXP_EXTRACT")
            .expect("exists");
        let udf = bad.udf();
        let result = udf.invoke_with_args(datafusion::logical_expr::ScalarFunctionArgs {
            args: vec![
                datafusion::logical_expr::ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                    "(".into(),
                ))),
                datafusion::logical_expr::ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                    "x".into(),
                ))),
            ],
            arg_fields: vec![],
            number_rows: 1,
            return_field: Arc::new(arrow::datatypes::Field::new("out", DataType::Utf8, true)),
            config_options: Arc::new(datafusion::config::ConfigOptions::default()),
        });
        assert!(
            result.is_err(),
            "an invalid pattern is an error, not a panic"
        );
    }
}
