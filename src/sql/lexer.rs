//! Tokens: sqlparser's tokenizer with a ksqlDB dialect, plus byte offsets.

use sqlparser::dialect::Dialect;
use sqlparser::tokenizer::{Location, Token, Tokenizer};

use super::error::{ParseError, Position, Result};

/// ksqlDB's lexical rules for sqlparser's tokenizer: backtick- and double-quoted
/// identifiers, identifiers of letters, digits, `_` and `@` (also starting with a
/// digit, as long as a letter follows), and no backslash escapes
/// in strings (`'\'` is one backslash).
#[derive(Debug, Default)]
pub struct KsqlDialect;

impl Dialect for KsqlDialect {
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        ch == '`' || ch == '"'
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        ch.is_alphabetic() || ch == '_'
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        ch.is_alphanumeric() || ch == '_' || ch == '@'
    }

    /// ksqlDB's `DIGIT_IDENTIFIER`: `1R` is a name, not the number 1 then `R`.
    fn supports_numeric_prefix(&self) -> bool {
        true
    }
}

/// A token with where it starts and ends in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Tok {
    pub token: Token,
    /// Byte offsets of the token in the text.
    pub start: usize,
    pub end: usize,
    /// 1-based line and column (characters) of the token's start.
    pub line: u64,
    pub column: u64,
}

/// Tokenizes `text`, dropping whitespace and comments. The last token is `EOF`.
pub fn tokenize(text: &str) -> Result<Vec<Tok>> {
    let dialect = KsqlDialect;
    let tokens = Tokenizer::new(&dialect, text)
        .tokenize_with_location()
        .map_err(|err| {
            ParseError::syntax(
                err.message.clone(),
                Position::locate(text, err.location.line, err.location.column),
            )
        })?;
    let offsets = LineOffsets::new(text);
    let mut cursor = ByteCursor::default();
    let mut out = Vec::with_capacity(tokens.len() + 1);
    for token in tokens {
        if matches!(token.token, Token::Whitespace(_)) {
            continue;
        }
        out.push(Tok {
            start: cursor.seek(&offsets, text, token.span.start),
            end: cursor.seek(&offsets, text, token.span.end),
            line: token.span.start.line,
            column: token.span.start.column,
            token: token.token,
        });
    }
    let (line, column) = offsets.end_location(text);
    out.push(Tok {
        token: Token::EOF,
        start: text.len(),
        end: text.len(),
        line,
        column,
    });
    Ok(out)
}

/// Turns locations into byte offsets, moving forward from the previous one: tokens
/// come in order, so each character is stepped over about once.
#[derive(Default)]
struct ByteCursor {
    line: u64,
    column: u64,
    byte: usize,
}

impl ByteCursor {
    fn seek(&mut self, offsets: &LineOffsets, text: &str, location: Location) -> usize {
        let behind = location.line < self.line
            || (location.line == self.line && location.column < self.column);
        if self.line == 0 || behind || location.line != self.line {
            let Some(start) = offsets.line_start(location.line) else {
                return text.len();
            };
            self.line = location.line;
            self.column = 1;
            self.byte = start;
        }
        let rest = text.get(self.byte..).unwrap_or("");
        let steps =
            usize::try_from(location.column.saturating_sub(self.column)).unwrap_or(usize::MAX);
        let advanced = match rest.char_indices().nth(steps) {
            Some((offset, _)) => offset,
            None => rest.len(),
        };
        self.byte += advanced;
        self.column = location.column;
        self.byte
    }
}

/// Byte offsets of line starts, to turn (line, column) into a byte offset.
struct LineOffsets {
    starts: Vec<usize>,
}

impl LineOffsets {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineOffsets { starts }
    }

    fn line_start(&self, line: u64) -> Option<usize> {
        let index = usize::try_from(line.saturating_sub(1)).ok()?;
        self.starts.get(index).copied()
    }

    fn end_location(&self, text: &str) -> (u64, u64) {
        let last_start = self.starts.last().copied().unwrap_or(0);
        let column = text.get(last_start..).unwrap_or("").chars().count() + 1;
        (self.starts.len() as u64, column as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_cover_each_token_text() {
        let text = "SELECT `a b`,\n  x->y FROM s;";
        let toks = tokenize(text).expect("tokenizes");
        let spelled: Vec<&str> = toks.iter().map(|t| &text[t.start..t.end]).collect();
        assert_eq!(
            spelled,
            ["SELECT", "`a b`", ",", "x", "->", "y", "FROM", "s", ";", ""]
        );
        assert_eq!((toks[3].line, toks[3].column), (2, 3));
    }

    #[test]
    fn backslash_is_not_an_escape() {
        let toks = tokenize(r"'\'").expect("tokenizes");
        assert_eq!(toks[0].token, Token::SingleQuotedString("\\".into()));
    }
}
