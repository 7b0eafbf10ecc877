//! String functions: SUBSTRING, LEN, case, trimming, CONCAT, padding, masking, SPLIT,
//! INSTR, REPLACE and the regular-expression family.

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result as DFResult;

use crate::functions::error::exec_error;
use crate::functions::metadata::{FunctionMeta, is_integral, is_text, is_text_or_bytes};
use crate::functions::values::{as_bytes, as_i64, as_str, list_scalar};
use crate::sql::SqlType;

use super::ScalarFunction;
use super::udf::{any_null, map_rows};

const CATEGORY: &str = "STRING";

/// The longest result LPAD/RPAD build: a huge length must fail, not exhaust memory.
pub const MAX_PAD_LENGTH: usize = 1 << 24;

fn text_to_text(args: &[SqlType]) -> Option<SqlType> {
    matches!(args, [SqlType::String]).then_some(SqlType::String)
}

/// Maps every non-null string of the single argument; nulls stay null.
fn map_text(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    f: fn(&str) -> String,
) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| {
        Ok(ScalarValue::Utf8(row.first().and_then(as_str).map(f)))
    })
}

/// The string functions.
pub fn functions() -> Vec<ScalarFunction> {
    vec![
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "SUBSTRING",
                "The part of a string or bytes from a 1-based position (negative counts from the end), optionally of a given length.",
                &[
                    "SUBSTRING(STRING str, INTEGER pos)",
                    "SUBSTRING(STRING str, INTEGER pos, INTEGER length)",
                    "SUBSTRING(BYTES str, INTEGER pos)",
                    "SUBSTRING(BYTES str, INTEGER pos, INTEGER length)",
                ],
            ),
            |args| match args {
                [s, p] if is_text_or_bytes(s) && is_integral(p) => Some(s.clone()),
                [s, p, l] if is_text_or_bytes(s) && is_integral(p) && is_integral(l) => {
                    Some(s.clone())
                }
                _ => None,
            },
            eval_substring,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "LEN",
                "The length of a string in characters, or of bytes in bytes.",
                &["LEN(STRING input)", "LEN(BYTES input)"],
            ),
            |args| matches!(args, [s] if is_text_or_bytes(s)).then_some(SqlType::Int),
            |args, ret, rows| {
                map_rows(args, ret, rows, |row| {
                    let len = match row.first() {
                        Some(v) if as_str(v).is_some() => as_str(v).map(|s| s.chars().count()),
                        Some(v) => as_bytes(v).map(<[u8]>::len),
                        None => None,
                    };
                    Ok(ScalarValue::Int32(
                        len.map(|l| i32::try_from(l).unwrap_or(i32::MAX)),
                    ))
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "UCASE",
                "The string in upper case.",
                &["UCASE(STRING input)"],
            ),
            text_to_text,
            |args, ret, rows| map_text(args, ret, rows, str::to_uppercase),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "LCASE",
                "The string in lower case.",
                &["LCASE(STRING input)"],
            ),
            text_to_text,
            |args, ret, rows| map_text(args, ret, rows, str::to_lowercase),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "INITCAP",
                "Capitalises the first letter of each word and lower-cases the rest.",
                &["INITCAP(STRING input)"],
            ),
            text_to_text,
            |args, ret, rows| map_text(args, ret, rows, initcap),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "TRIM",
                "The string without leading and trailing whitespace.",
                &["TRIM(STRING input)"],
            ),
            text_to_text,
            |args, ret, rows| {
                map_text(args, ret, rows, |s| {
                    s.trim_matches(is_java_space).to_string()
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "LTRIM",
                "The string without leading whitespace.",
                &["LTRIM(STRING input)"],
            ),
            text_to_text,
            |args, ret, rows| {
                map_text(args, ret, rows, |s| {
                    s.trim_start_matches(is_java_space).to_string()
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "RTRIM",
                "The string without trailing whitespace.",
                &["RTRIM(STRING input)"],
            ),
            text_to_text,
            |args, ret, rows| {
                map_text(args, ret, rows, |s| {
                    s.trim_end_matches(is_java_space).to_string()
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "CONCAT",
                "Concatenates strings or bytes, skipping nulls.",
                &["CONCAT(STRING... inputs)", "CONCAT(BYTES... inputs)"],
            ),
            |args| {
                let first = args.first()?;
                (is_text_or_bytes(first) && args.iter().all(|a| a == first)).then(|| first.clone())
            },
            |args, ret, rows| eval_concat(args, ret, rows, false),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "CONCAT_WS",
                "Concatenates strings or bytes with a separator, skipping nulls.",
                &[
                    "CONCAT_WS(STRING separator, STRING... inputs)",
                    "CONCAT_WS(BYTES separator, BYTES... inputs)",
                ],
            ),
            |args| {
                let first = args.first()?;
                (args.len() >= 2 && is_text_or_bytes(first) && args.iter().all(|a| a == first))
                    .then(|| first.clone())
            },
            |args, ret, rows| eval_concat(args, ret, rows, true),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "REPLACE",
                "Replaces every occurrence of a substring.",
                &["REPLACE(STRING str, STRING target, STRING replacement)"],
            ),
            |args| {
                matches!(args, [a, b, c] if is_text(a) && is_text(b) && is_text(c))
                    .then_some(SqlType::String)
            },
            |args, ret, rows| {
                map_rows(args, ret, rows, |row| {
                    Ok(ScalarValue::Utf8(
                        match (as_str(&row[0]), as_str(&row[1]), as_str(&row[2])) {
                            (Some(s), Some(from), Some(to)) => Some(s.replace(from, to)),
                            _ => None,
                        },
                    ))
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "SPLIT",
                "Splits a string into an array on a delimiter (an empty delimiter splits into characters).",
                &["SPLIT(STRING string, STRING delimiter)"],
            ),
            |args| {
                matches!(args, [a, b] if is_text(a) && is_text(b))
                    .then(|| SqlType::Array(Box::new(SqlType::String)))
            },
            eval_split,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "INSTR",
                "The 1-based position of the n-th occurrence of a substring (0 when absent); a negative position searches backwards from the end.",
                &[
                    "INSTR(STRING str, STRING substring)",
                    "INSTR(STRING str, STRING substring, INTEGER position)",
                    "INSTR(STRING str, STRING substring, INTEGER position, INTEGER occurrence)",
                ],
            ),
            |args| match args {
                [a, b] if is_text(a) && is_text(b) => Some(SqlType::Int),
                [a, b, p] if is_text(a) && is_text(b) && is_integral(p) => Some(SqlType::Int),
                [a, b, p, o] if is_text(a) && is_text(b) && is_integral(p) && is_integral(o) => {
                    Some(SqlType::Int)
                }
                _ => None,
            },
            eval_instr,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "LPAD",
                "Pads a string on the left to a length with a padding string (truncating longer input).",
                &["LPAD(STRING input, INTEGER length, STRING padding)"],
            ),
            resolve_pad,
            |args, ret, rows| eval_pad(args, ret, rows, true),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "RPAD",
                "Pads a string on the right to a length with a padding string (truncating longer input).",
                &["RPAD(STRING input, INTEGER length, STRING padding)"],
            ),
            resolve_pad,
            |args, ret, rows| eval_pad(args, ret, rows, false),
        ),
    ]
}

/// Java's `String.trim` removes every character up to U+0020.
fn is_java_space(c: char) -> bool {
    c <= ' '
}

fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start_of_word = true;
    for c in s.chars() {
        if c.is_whitespace() {
            start_of_word = true;
            out.push(c);
        } else if start_of_word {
            out.extend(c.to_uppercase());
            start_of_word = false;
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// ksqlDB's 1-based (negative: from the end) start, clamped into `[0, len]`.
fn substring_bounds(len: usize, pos: i64, length: Option<i64>) -> (usize, usize) {
    let len = len as i64;
    let start = if pos < 0 {
        (len + pos).max(0)
    } else {
        (pos - 1).min(len).max(0)
    };
    let end = match length {
        Some(length) => start.saturating_add(length).min(len).max(start),
        None => len,
    };
    (start as usize, end as usize)
}

fn eval_substring(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| {
        if any_null(row) {
            return Ok(ScalarValue::Null);
        }
        let pos = as_i64(&row[1]).unwrap_or(1);
        let length = row.get(2).and_then(as_i64);
        if let Some(s) = as_str(&row[0]) {
            let chars: Vec<char> = s.chars().collect();
            let (start, end) = substring_bounds(chars.len(), pos, length);
            Ok(ScalarValue::Utf8(Some(chars[start..end].iter().collect())))
        } else if let Some(b) = as_bytes(&row[0]) {
            let (start, end) = substring_bounds(b.len(), pos, length);
            Ok(ScalarValue::Binary(Some(b[start..end].to_vec())))
        } else {
            Ok(ScalarValue::Null)
        }
    })
}

fn eval_concat(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    with_separator: bool,
) -> DFResult<ArrayRef> {
    let binary = matches!(ret, DataType::Binary);
    map_rows(args, ret, rows, |row| {
        let (separator, parts) = if with_separator {
            match row.split_first() {
                Some((sep, rest)) if !sep.is_null() => (Some(sep), rest),
                _ => return Ok(ScalarValue::Null),
            }
        } else {
            (None, row)
        };
        if binary {
            let sep = separator.and_then(as_bytes).unwrap_or_default();
            let joined = parts
                .iter()
                .filter_map(as_bytes)
                .collect::<Vec<_>>()
                .join(sep);
            Ok(ScalarValue::Binary(Some(joined)))
        } else {
            let sep = separator.and_then(as_str).unwrap_or_default();
            let joined = parts
                .iter()
                .filter_map(as_str)
                .collect::<Vec<_>>()
                .join(sep);
            Ok(ScalarValue::Utf8(Some(joined)))
        }
    })
}

fn eval_split(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| {
        let (Some(s), Some(delimiter)) = (as_str(&row[0]), as_str(&row[1])) else {
            return Ok(ScalarValue::Null);
        };
        let parts: Vec<ScalarValue> = if delimiter.is_empty() {
            s.chars()
                .map(|c| ScalarValue::Utf8(Some(c.to_string())))
                .collect()
        } else {
            s.split(delimiter)
                .map(|p| ScalarValue::Utf8(Some(p.to_string())))
                .collect()
        };
        list_scalar(parts, &DataType::Utf8)
    })
}

fn eval_instr(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| {
        if any_null(row) {
            return Ok(ScalarValue::Null);
        }
        let (Some(s), Some(needle)) = (as_str(&row[0]), as_str(&row[1])) else {
            return Ok(ScalarValue::Null);
        };
        let position = row.get(2).and_then(as_i64).unwrap_or(1);
        let occurrence = row.get(3).and_then(as_i64).unwrap_or(1);
        Ok(ScalarValue::Int32(Some(instr(
            s, needle, position, occurrence,
        ))))
    })
}

/// The 1-based character index of the `occurrence`-th match starting at `position`.
fn instr(s: &str, needle: &str, position: i64, occurrence: i64) -> i32 {
    let chars: Vec<char> = s.chars().collect();
    let pattern: Vec<char> = needle.chars().collect();
    let len = chars.len() as i64;
    if occurrence <= 0 || position == 0 || position.unsigned_abs() > len.max(1) as u64 {
        return 0;
    }
    let matches_at = |i: i64| -> bool {
        i >= 0
            && (i as usize) + pattern.len() <= chars.len()
            && chars[i as usize..i as usize + pattern.len()] == pattern[..]
    };
    let mut found = 0;
    if position > 0 {
        for i in (position - 1)..len {
            if matches_at(i) {
                found += 1;
                if found == occurrence {
                    return (i + 1) as i32;
                }
            }
        }
    } else {
        let mut i = len + position;
        while i >= 0 {
            if matches_at(i) {
                found += 1;
                if found == occurrence {
                    return (i + 1) as i32;
                }
            }
            i -= 1;
        }
    }
    0
}

fn resolve_pad(args: &[SqlType]) -> Option<SqlType> {
    match args {
        [s, l, p] if is_text_or_bytes(s) && is_integral(l) && p == s => Some(s.clone()),
        _ => None,
    }
}

fn eval_pad(args: &[ArrayRef], ret: &DataType, rows: usize, left: bool) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| {
        if any_null(row) {
            return Ok(ScalarValue::Null);
        }
        let Some(target) = as_i64(&row[1]).filter(|l| *l >= 0) else {
            return Ok(ScalarValue::Null);
        };
        let target = usize::try_from(target).unwrap_or(usize::MAX);
        if target > MAX_PAD_LENGTH {
            return Err(exec_error(
                "PAD",
                format!("a length of {target} is above the limit of {MAX_PAD_LENGTH}"),
            ));
        }
        if let (Some(s), Some(pad)) = (as_str(&row[0]), as_str(&row[2])) {
            let input: Vec<char> = s.chars().collect();
            let padding: Vec<char> = pad.chars().collect();
            Ok(ScalarValue::Utf8(
                pad_sequence(&input, &padding, target, left).map(|v| v.into_iter().collect()),
            ))
        } else if let (Some(s), Some(pad)) = (as_bytes(&row[0]), as_bytes(&row[2])) {
            Ok(ScalarValue::Binary(pad_sequence(s, pad, target, left)))
        } else {
            Ok(ScalarValue::Null)
        }
    })
}

/// Pads `input` to `target` items with repeats of `padding`; null for an empty padding.
fn pad_sequence<T: Clone>(input: &[T], padding: &[T], target: usize, left: bool) -> Option<Vec<T>> {
    if input.len() >= target {
        return Some(input[..target].to_vec());
    }
    if padding.is_empty() {
        return None;
    }
    let fill: Vec<T> = padding
        .iter()
        .cycle()
        .take(target - input.len())
        .cloned()
        .collect();
    Some(if left {
        fill.into_iter().chain(input.iter().cloned()).collect()
    } else {
        input.iter().cloned().chain(fill).collect()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, AsArray, BinaryArray};

    use super::*;
    use crate::functions::scalar::udf::tests_support::{self, ints, strings, texts};

    fn call(name: &str, args: Vec<ArrayRef>, types: &[SqlType]) -> ArrayRef {
        tests_support::call(functions(), name, args, types)
    }

    #[test]
    fn substring_is_one_based_and_clamps() {
        let source = strings(&[Some("some_string"), Some("another"), Some("short"), None]);
        let out = call(
            "SUBSTRING",
            vec![Arc::clone(&source), ints(&[Some(6); 4])],
            &[SqlType::String, SqlType::Int],
        );
        assert_eq!(
            texts(&out),
            vec![
                Some("string".into()),
                Some("er".into()),
                Some(String::new()),
                None
            ]
        );
        let out = call(
            "SUBSTRING",
            vec![
                source,
                ints(&[Some(-3), Some(0), Some(2), Some(1)]),
                ints(&[Some(2), Some(2), None, Some(1)]),
            ],
            &[SqlType::String, SqlType::Int, SqlType::Int],
        );
        assert_eq!(
            texts(&out),
            vec![Some("in".into()), Some("an".into()), None, None]
        );
    }

    #[test]
    fn substring_of_bytes() {
        let source: ArrayRef = Arc::new(BinaryArray::from(vec![Some(b"some_string".as_ref())]));
        let out = call(
            "SUBSTRING",
            vec![source, ints(&[Some(6)]), ints(&[Some(3)])],
            &[SqlType::Bytes, SqlType::Int, SqlType::Int],
        );
        assert_eq!(out.as_binary::<i32>().value(0), b"str");
    }

    #[test]
    fn concat_skips_nulls_and_concat_ws_keeps_empty_strings() {
        let out = call(
            "CONCAT",
            vec![
                strings(&[Some("a"), None]),
                strings(&[None, None]),
                strings(&[Some("b"), None]),
            ],
            &vec![SqlType::String; 3],
        );
        assert_eq!(texts(&out), vec![Some("ab".into()), Some(String::new())]);
        let out = call(
            "CONCAT_WS",
            vec![
                strings(&[Some("-"), None]),
                strings(&[Some("x"), Some("x")]),
                strings(&[Some(""), Some("y")]),
                strings(&[None, None]),
            ],
            &vec![SqlType::String; 4],
        );
        assert_eq!(texts(&out), vec![Some("x-".into()), None]);
    }

    #[test]
    fn case_trim_and_len() {
        assert_eq!(
            texts(&call(
                "INITCAP",
                vec![strings(&[Some("hello wORLD  x")])],
                &[SqlType::String]
            )),
            vec![Some("Hello World  X".into())]
        );
        assert_eq!(
            texts(&call(
                "TRIM",
                vec![strings(&[Some("\t a b \n")])],
                &[SqlType::String]
            )),
            vec![Some("a b".into())]
        );
        assert_eq!(
            texts(&call(
                "UCASE",
                vec![strings(&[Some("aBc")])],
                &[SqlType::String]
            )),
            vec![Some("ABC".into())]
        );
        let len = call(
            "LEN",
            vec![strings(&[Some("héllo"), None])],
            &[SqlType::String],
        );
        let len = len.as_primitive::<arrow::datatypes::Int32Type>();
        assert_eq!(len.value(0), 5);
        assert!(len.is_null(1));
    }

    #[test]
    fn split_instr_pad_mask() {
        let out = call(
            "SPLIT",
            vec![strings(&[Some("a,b,,c")]), strings(&[Some(",")])],
            &[SqlType::String, SqlType::String],
        );
        assert_eq!(out.as_list::<i32>().value(0).len(), 4);
        assert_eq!(instr("CORPORATE FLOOR", "OR", 1, 1), 2);
        assert_eq!(instr("CORPORATE FLOOR", "OR", 3, 2), 14);
        assert_eq!(instr("CORPORATE FLOOR", "OR", -3, 2), 2);
        assert_eq!(instr("CORPORATE FLOOR", "MISSING", 1, 1), 0);
        let out = call(
            "LPAD",
            vec![
                strings(&[Some("Foo"), Some("Foo")]),
                ints(&[Some(7), Some(2)]),
                strings(&[Some("Bar"), Some("x")]),
            ],
            &[SqlType::String, SqlType::Int, SqlType::String],
        );
        assert_eq!(texts(&out), vec![Some("BarBFoo".into()), Some("Fo".into())]);
    }

    #[test]
    fn extreme_arguments_do_not_panic() {
        assert_eq!(instr("abc", "b", i64::MIN, 1), 0);
        assert_eq!(instr("abc", "b", 1, i64::MAX), 0);
        let pad = functions()
            .into_iter()
            .find(|f| f.meta.name == "RPAD")
            .expect("RPAD");
        let result = pad
            .udf()
            .invoke_with_args(datafusion::logical_expr::ScalarFunctionArgs {
                args: vec![
                    datafusion::logical_expr::ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                        "a".into(),
                    ))),
                    datafusion::logical_expr::ColumnarValue::Scalar(ScalarValue::Int32(Some(
                        i32::MAX,
                    ))),
                    datafusion::logical_expr::ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                        "b".into(),
                    ))),
                ],
                arg_fields: vec![],
                number_rows: 1,
                return_field: Arc::new(arrow::datatypes::Field::new("out", DataType::Utf8, true)),
                config_options: Arc::new(datafusion::config::ConfigOptions::default()),
            });
        assert!(result.is_err(), "a 2 GiB pad is refused");
    }
}
