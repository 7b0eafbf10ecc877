//! The masking functions: MASK, MASK_LEFT, MASK_RIGHT, MASK_KEEP_LEFT, MASK_KEEP_RIGHT.

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result as DFResult;

use crate::functions::error::exec_error;
use crate::functions::metadata::{FunctionMeta, is_integral, is_text};
use crate::functions::values::{as_i64, as_str};
use crate::sql::SqlType;

use super::ScalarFunction;
use super::udf::map_rows;

const CATEGORY: &str = "STRING";

/// The masking functions.
pub fn functions() -> Vec<ScalarFunction> {
    vec![
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "MASK",
                "Masks letters and digits: upper case with X, lower case with x, digits with n, others with -.",
                &[
                    "MASK(STRING input)",
                    "MASK(STRING input, STRING upper, STRING lower, STRING digit, STRING other)",
                ],
            ),
            |args| resolve_mask(args, 0),
            |args, ret, rows| eval_mask(args, ret, rows, 0, MaskRegion::All),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "MASK_LEFT",
                "Masks the first n characters.",
                &[
                    "MASK_LEFT(STRING input, INTEGER numChars)",
                    "MASK_LEFT(STRING input, INTEGER numChars, STRING upper, STRING lower, STRING digit, STRING other)",
                ],
            ),
            |args| resolve_mask(args, 1),
            |args, ret, rows| eval_mask(args, ret, rows, 1, MaskRegion::Left),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "MASK_RIGHT",
                "Masks the last n characters.",
                &[
                    "MASK_RIGHT(STRING input, INTEGER numChars)",
                    "MASK_RIGHT(STRING input, INTEGER numChars, STRING upper, STRING lower, STRING digit, STRING other)",
                ],
            ),
            |args| resolve_mask(args, 1),
            |args, ret, rows| eval_mask(args, ret, rows, 1, MaskRegion::Right),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "MASK_KEEP_LEFT",
                "Masks all but the first n characters.",
                &[
                    "MASK_KEEP_LEFT(STRING input, INTEGER numChars)",
                    "MASK_KEEP_LEFT(STRING input, INTEGER numChars, STRING upper, STRING lower, STRING digit, STRING other)",
                ],
            ),
            |args| resolve_mask(args, 1),
            |args, ret, rows| eval_mask(args, ret, rows, 1, MaskRegion::KeepLeft),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "MASK_KEEP_RIGHT",
                "Masks all but the last n characters.",
                &[
                    "MASK_KEEP_RIGHT(STRING input, INTEGER numChars)",
                    "MASK_KEEP_RIGHT(STRING input, INTEGER numChars, STRING upper, STRING lower, STRING digit, STRING other)",
                ],
            ),
            |args| resolve_mask(args, 1),
            |args, ret, rows| eval_mask(args, ret, rows, 1, MaskRegion::KeepRight),
        ),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MaskRegion {
    All,
    Left,
    Right,
    KeepLeft,
    KeepRight,
}

fn resolve_mask(args: &[SqlType], leading_ints: usize) -> Option<SqlType> {
    let (first, rest) = args.split_first()?;
    if !is_text(first) || rest.len() < leading_ints {
        return None;
    }
    let (ints, chars) = rest.split_at(leading_ints);
    (ints.iter().all(is_integral)
        && (chars.is_empty() || (chars.len() == 4 && chars.iter().all(is_text))))
    .then_some(SqlType::String)
}

fn eval_mask(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    leading_ints: usize,
    region: MaskRegion,
) -> DFResult<ArrayRef> {
    map_rows(args, ret, rows, |row| {
        let Some(s) = as_str(&row[0]) else {
            return Ok(ScalarValue::Null);
        };
        let count = if leading_ints == 1 {
            match as_i64(&row[1]) {
                Some(n) if n >= 0 => n as usize,
                _ => {
                    return Err(exec_error(
                        "MASK",
                        "the number of characters must be a non-negative integer",
                    ));
                }
            }
        } else {
            0
        };
        // A null replacement keeps characters of that class as they are.
        let replacement = |i: usize, default: char| -> Option<char> {
            match row.get(1 + leading_ints + i) {
                None => Some(default),
                Some(v) => as_str(v).and_then(|s| s.chars().next()),
            }
        };
        let masks = [
            replacement(0, 'X'),
            replacement(1, 'x'),
            replacement(2, 'n'),
            replacement(3, '-'),
        ];
        let chars: Vec<char> = s.chars().collect();
        let len = chars.len();
        let masked: String = chars
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let in_region = match region {
                    MaskRegion::All => true,
                    MaskRegion::Left => i < count,
                    MaskRegion::Right => i.saturating_add(count) >= len,
                    MaskRegion::KeepLeft => i >= count,
                    MaskRegion::KeepRight => i.saturating_add(count) < len,
                };
                if !in_region {
                    return *c;
                }
                let class = if c.is_uppercase() {
                    0
                } else if c.is_lowercase() {
                    1
                } else if c.is_numeric() {
                    2
                } else {
                    3
                };
                masks[class].unwrap_or(*c)
            })
            .collect();
        Ok(ScalarValue::Utf8(Some(masked)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::scalar::udf::tests_support::{self, ints, strings, texts};

    fn call(name: &str, args: Vec<ArrayRef>, types: &[SqlType]) -> ArrayRef {
        tests_support::call(functions(), name, args, types)
    }

    #[test]
    fn masks_by_character_class_and_region() {
        let out = call(
            "MASK",
            vec![strings(&[Some("AbCd#$123xy Z")])],
            &[SqlType::String],
        );
        assert_eq!(texts(&out), vec![Some("XxXx--nnnxx-X".into())]);
        let out = call(
            "MASK_LEFT",
            vec![strings(&[Some("AbCd#$123xy Z")]), ints(&[Some(5)])],
            &[SqlType::String, SqlType::Int],
        );
        assert_eq!(texts(&out), vec![Some("XxXx-$123xy Z".into())]);
        let out = call(
            "MASK_RIGHT",
            vec![strings(&[Some("Ab1")]), ints(&[Some(i32::MAX)])],
            &[SqlType::String, SqlType::Int],
        );
        assert_eq!(texts(&out), vec![Some("Xxn".into())]);
    }
}
