//! Parse errors that point at the offending line and column.

use std::fmt;

/// The sql layer's result type.
pub type Result<T> = std::result::Result<T, ParseError>;

/// Why a text is not valid SQL, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text does not follow the grammar (or a literal is out of range).
    #[error("{}", render(.message, .position))]
    Syntax { message: String, position: Position },
    /// Expressions or types nest deeper than the parser allows.
    #[error("{}", render_too_deep(.limit, .position))]
    TooDeep { limit: usize, position: Position },
    /// One statement holds more binary operators than the parser allows.
    #[error("{}", render(&format!("statement has more than {limit} operators"), .position))]
    TooManyOperators { limit: usize, position: Position },
}

/// A location in the text with the line it is on, for showing a caret under it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Position {
    /// 1-based line number.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
    /// The whole line the position is on, without its line break.
    pub line_text: String,
}

impl Position {
    /// The position of 1-based `line` and `column` in `text`.
    pub fn locate(text: &str, line: u64, column: u64) -> Position {
        let line_text = usize::try_from(line.saturating_sub(1))
            .ok()
            .and_then(|index| text.lines().nth(index))
            .unwrap_or("")
            .to_string();
        Position {
            line,
            column,
            line_text,
        }
    }
}

impl ParseError {
    pub fn syntax(message: impl Into<String>, position: Position) -> ParseError {
        ParseError::Syntax {
            message: message.into(),
            position,
        }
    }

    pub fn position(&self) -> &Position {
        match self {
            ParseError::Syntax { position, .. }
            | ParseError::TooDeep { position, .. }
            | ParseError::TooManyOperators { position, .. } => position,
        }
    }

    /// The message without the location and caret lines.
    pub fn message(&self) -> String {
        match self {
            ParseError::Syntax { message, .. } => message.clone(),
            ParseError::TooDeep { limit, .. } => {
                format!("expression nests deeper than {limit} levels")
            }
            ParseError::TooManyOperators { limit, .. } => {
                format!("statement has more than {limit} operators")
            }
        }
    }
}

fn render_too_deep(limit: &usize, position: &Position) -> String {
    render(
        &format!("expression nests deeper than {limit} levels"),
        position,
    )
}

/// `line L, column C: message`, then the line and a caret under the column.
fn render(message: &str, position: &Position) -> String {
    let mut out = String::new();
    let _ = write_rendered(&mut out, message, position);
    out
}

fn write_rendered(out: &mut impl fmt::Write, message: &str, position: &Position) -> fmt::Result {
    writeln!(
        out,
        "line {}, column {}: {message}",
        position.line, position.column
    )?;
    let chars: Vec<char> = position.line_text.replace('\t', " ").chars().collect();
    let column = usize::try_from(position.column.saturating_sub(1))
        .unwrap_or(0)
        .min(chars.len());
    // A long line is shown as a window around the column, so that the error of a
    // megabyte-long statement stays readable.
    let start = column.saturating_sub(CONTEXT_CHARS / 2);
    let end = (start + CONTEXT_CHARS).min(chars.len());
    let before = if start > 0 { "..." } else { "" };
    let after = if end < chars.len() { "..." } else { "" };
    let shown: String = chars[start..end].iter().collect();
    writeln!(out, "  {before}{shown}{after}")?;
    write!(out, "  {}^", " ".repeat(before.len() + column - start))
}

/// How much of a long line an error shows around its column.
const CONTEXT_CHARS: usize = 120;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_show_a_window_around_the_column() {
        let line = format!("{}WHERE{}", "a".repeat(1000), "b".repeat(1000));
        let err = ParseError::syntax("here", Position::locate(&line, 1, 1001));
        let text = err.to_string();
        let shown = text.lines().nth(1).expect("line");
        let caret = text.lines().nth(2).expect("caret");
        assert!(shown.len() < 200, "{shown}");
        assert!(
            shown.starts_with("  ...") && shown.ends_with("..."),
            "{shown}"
        );
        assert_eq!(&shown[caret.len() - 1..caret.len() + 4], "WHERE");
    }

    #[test]
    fn renders_line_and_caret_under_column() {
        let err = ParseError::syntax(
            "expected one of FROM, found WHERE",
            Position::locate("SELECT *\nWHERE x", 2, 1),
        );
        assert_eq!(
            err.to_string(),
            "line 2, column 1: expected one of FROM, found WHERE\n  WHERE x\n  ^"
        );
    }
}
