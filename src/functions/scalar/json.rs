//! JSON functions over JSON text: EXTRACTJSONFIELD, IS_JSON_STRING, JSON_ARRAY_LENGTH.

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result as DFResult;
use serde_json::Value;

use crate::functions::metadata::{FunctionMeta, is_text};
use crate::functions::values::as_str;
use crate::sql::SqlType;

use super::ScalarFunction;
use super::udf::map_rows;

const CATEGORY: &str = "JSON";

/// The JSON functions.
pub fn functions() -> Vec<ScalarFunction> {
    vec![
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "EXTRACTJSONFIELD",
                "The value at a JSONPath ($.a.b[0]) in JSON text: a string as itself, anything else as JSON.",
                &["EXTRACTJSONFIELD(STRING input, STRING path)"],
            ),
            |args| matches!(args, [a, b] if is_text(a) && is_text(b)).then_some(SqlType::String),
            eval_extract,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "IS_JSON_STRING",
                "Whether a string is valid JSON.",
                &["IS_JSON_STRING(STRING input)"],
            ),
            |args| matches!(args, [a] if is_text(a)).then_some(SqlType::Boolean),
            |args, ret, rows| {
                map_rows(args, ret, rows, |row| {
                    Ok(ScalarValue::Boolean(Some(as_str(&row[0]).is_some_and(
                        |s| serde_json::from_str::<Value>(s).is_ok(),
                    ))))
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "JSON_ARRAY_LENGTH",
                "The length of a JSON array, or null when the text is not one.",
                &["JSON_ARRAY_LENGTH(STRING input)"],
            ),
            |args| matches!(args, [a] if is_text(a)).then_some(SqlType::Int),
            |args, ret, rows| {
                map_rows(args, ret, rows, |row| {
                    let length = as_str(&row[0])
                        .and_then(|s| serde_json::from_str::<Value>(s).ok())
                        .and_then(|v| v.as_array().map(Vec::len))
                        .and_then(|n| i32::try_from(n).ok());
                    Ok(ScalarValue::Int32(length))
                })
            },
        ),
    ]
}

/// One step of a JSONPath.
#[derive(Debug, PartialEq)]
enum Step {
    Field(String),
    Index(usize),
}

/// Parses `$.a.b[0]`, `$['a b'][1]` and `a.b`; `None` for an invalid path.
fn parse_path(path: &str) -> Option<Vec<Step>> {
    let rest = path.trim();
    let rest = rest.strip_prefix('$').unwrap_or(rest);
    let chars: Vec<char> = rest.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                steps.push(Step::Field(chars[start..i].iter().collect()));
            }
            '[' => {
                let close = chars[i..].iter().position(|c| *c == ']')? + i;
                let inner: String = chars[i + 1..close].iter().collect();
                let inner = inner.trim();
                if let Some(quoted) = inner
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                {
                    steps.push(Step::Field(quoted.to_string()));
                } else {
                    steps.push(Step::Index(inner.parse().ok()?));
                }
                i = close + 1;
            }
            _ if steps.is_empty() && i == 0 => {
                // A path without the leading `$.`.
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                steps.push(Step::Field(chars[start..i].iter().collect()));
            }
            _ => return None,
        }
    }
    Some(steps)
}

/// The text EXTRACTJSONFIELD returns for `path` in `json`.
pub fn extract_json_field(json: &str, path: &str) -> Option<String> {
    let steps = parse_path(path)?;
    let root: Value = serde_json::from_str(json).ok()?;
    let mut current = &root;
    for step in &steps {
        current = match step {
            Step::Field(name) => current.get(name)?,
            Step::Index(index) => current.get(*index)?,
        };
    }
    match current {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn eval_extract(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| {
        Ok(ScalarValue::Utf8(
            match (as_str(&row[0]), as_str(&row[1])) {
                (Some(json), Some(path)) => extract_json_field(json, path),
                _ => None,
            },
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_like_ksqldb() {
        let json = r#"{"log":{"cloud":"gcp","app":"x","nums":[1,{"a":2}]},"n":1.5}"#;
        assert_eq!(
            extract_json_field(json, "$.log.cloud").as_deref(),
            Some("gcp")
        );
        assert_eq!(
            extract_json_field(json, "$.log.nums[1]").as_deref(),
            Some(r#"{"a":2}"#)
        );
        assert_eq!(
            extract_json_field(json, "$['log']['app']").as_deref(),
            Some("x")
        );
        assert_eq!(extract_json_field(json, "$.n").as_deref(), Some("1.5"));
        assert_eq!(extract_json_field(json, "$.missing"), None);
        assert_eq!(extract_json_field("not json", "$.a"), None);
        assert_eq!(extract_json_field(json, "$.log[oops"), None);
    }
}
