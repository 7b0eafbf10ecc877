//! LIKE ... ESCAPE with any escape character, rewritten into the backslash escapes that
//! DataFusion's LIKE understands.

use std::hash::{Hash, Hasher};

use arrow::array::{Array, AsArray, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// `pattern` written with `escape` as its escape character, rewritten to use `\`.
pub fn rewrite_like_pattern(pattern: &str, escape: char) -> String {
    let mut rewritten = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c == escape => match chars.next() {
                Some(next) => {
                    rewritten.push('\\');
                    rewritten.push(next);
                }
                None => rewritten.push(escape),
            },
            '\\' => rewritten.push_str("\\\\"),
            other => rewritten.push(other),
        }
    }
    rewritten
}

/// An expression computing [`rewrite_like_pattern`] of `pattern` row by row, for a
/// pattern that is not a literal.
pub fn like_pattern_with_escape(pattern: Expr, escape: char) -> Expr {
    ScalarUDF::new_from_impl(LikeEscape {
        escape,
        signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
    })
    .call(vec![pattern])
}

#[derive(Debug)]
struct LikeEscape {
    escape: char,
    signature: Signature,
}

impl PartialEq for LikeEscape {
    fn eq(&self, other: &Self) -> bool {
        self.escape == other.escape
    }
}

impl Eq for LikeEscape {}

impl Hash for LikeEscape {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.escape.hash(state);
    }
}

impl ScalarUDFImpl for LikeEscape {
    fn name(&self) -> &str {
        "ksql_like_escape"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DFResult<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DFResult<ColumnarValue> {
        let [pattern] = args.args.as_slice() else {
            return Err(DataFusionError::Internal(
                "LIKE escaping takes one pattern (a bug)".into(),
            ));
        };
        let patterns = pattern.to_array(args.number_rows)?;
        let patterns = patterns.as_string::<i32>();
        let mut out = StringBuilder::with_capacity(patterns.len(), patterns.value_data().len());
        for row in 0..patterns.len() {
            if patterns.is_null(row) {
                out.append_null();
            } else {
                out.append_value(rewrite_like_pattern(patterns.value(row), self.escape));
            }
        }
        Ok(ColumnarValue::Array(std::sync::Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_character_becomes_backslash_and_backslash_is_literal() {
        assert_eq!(rewrite_like_pattern("!%a%", '!'), "\\%a%");
        assert_eq!(rewrite_like_pattern("a\\b!!", '!'), "a\\\\b\\!");
        assert_eq!(rewrite_like_pattern("trailing!", '!'), "trailing!");
    }
}
