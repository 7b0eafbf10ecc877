//! Whole scripts: splitting into statements, `${var}` substitution, and the public entry points.

use std::collections::BTreeMap;

use sqlparser::tokenizer::Token;

use super::Parser;
use crate::sql::ast::{SourceSpan, Statement, StatementKind, TableElement};
use crate::sql::error::{ParseError, Position, Result};

/// Variables set by `DEFINE`, by upper-cased name, substituted for `${name}`.
pub type Variables = BTreeMap<String, String>;

/// Parses a script of statements separated by `;` (the last `;` may be left out).
pub fn parse_statements(text: &str) -> Result<Vec<Statement>> {
    parse_statements_with_variables(text, &mut Variables::new())
}

/// Parses exactly one statement (a trailing `;` is allowed).
pub fn parse_statement(text: &str) -> Result<Statement> {
    let mut statements = parse_statements(text)?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        n => Err(ParseError::syntax(
            format!("expected one statement, found {n}"),
            Position::locate(text, 1, 1),
        )),
    }
}

/// Parses a script, substituting `${name}` with `variables` and applying the script's
/// own `DEFINE` and `UNDEFINE` statements to `variables` as they come.
///
/// Substitution is textual, as in ksqlDB, so it also applies inside string literals;
/// a `${name}` with no definition is left as written (and is then a syntax error
/// outside a string).
/// Grammar: statements
pub fn parse_statements_with_variables(
    text: &str,
    variables: &mut Variables,
) -> Result<Vec<Statement>> {
    let mut parser = Parser::new(text)?;
    let mut statements = Vec::new();
    loop {
        while parser.eat(&Token::SemiColon, "';'") {}
        if parser.at_eof() {
            return Ok(statements);
        }
        let first = parser.tok().clone();
        let needs_substitution = !variables.is_empty() && statement_mentions_variable(&mut parser);
        let kind = if needs_substitution {
            let end = statement_end(&mut parser);
            let own_text = text.get(first.start..end).unwrap_or("");
            let substituted = substitute(own_text, variables);
            parse_single(&substituted).map_err(|err| shift(err, text, &first))?
        } else {
            parser.reset_operators();
            let kind = parser.statement()?;
            if !parser.at_eof() && !parser.at(&Token::SemiColon, "';'") {
                return Err(parser.expected_error());
            }
            kind
        };
        let end = parser.previous().map_or(first.end, |tok| tok.end);
        match &kind {
            StatementKind::Define { name, value } => {
                variables.insert(name.0.to_uppercase(), value.clone());
            }
            StatementKind::Undefine { name } => {
                variables.remove(&name.0.to_uppercase());
            }
            _ => {}
        }
        statements.push(Statement {
            kind,
            span: SourceSpan {
                start: first.start,
                end: end.max(first.start),
                line: first.line,
                column: first.column,
            },
        });
    }
}

/// Parses `text` as column declarations `name type [KEY ...], ...`, the shape of the
/// schemas in QTT files ("ID INT KEY, COUNT BIGINT").
pub fn parse_column_list(text: &str) -> Result<Vec<TableElement>> {
    let mut parser = Parser::new(text)?;
    let elements = parser.table_element_list()?;
    if !parser.at_eof() {
        return Err(parser.expected_error());
    }
    Ok(elements)
}

/// One statement from a self-contained text (used after substitution).
fn parse_single(text: &str) -> Result<StatementKind> {
    let mut parser = Parser::new(text)?;
    let kind = parser.statement()?;
    parser.eat(&Token::SemiColon, "';'");
    if !parser.at_eof() {
        return Err(parser.expected_error());
    }
    Ok(kind)
}

/// Whether a `$` placeholder or a string holding `${` occurs before the statement's end.
fn statement_mentions_variable(parser: &mut Parser<'_>) -> bool {
    let mut ahead = 0;
    loop {
        match parser.peek_at(ahead) {
            Token::EOF | Token::SemiColon => return false,
            Token::Placeholder(_) => return true,
            Token::SingleQuotedString(s) if s.contains("${") => return true,
            _ => ahead += 1,
        }
    }
}

/// Moves to the statement's closing `;` (or the end) and returns the byte offset
/// where the statement's last token ends.
fn statement_end(parser: &mut Parser<'_>) -> usize {
    let mut end = parser.tok().end;
    while !parser.at_eof() && parser.peek() != &Token::SemiColon {
        end = parser.tok().end;
        parser.advance();
    }
    end
}

/// Replaces each `${name}` whose name is defined.
fn substitute(text: &str, variables: &Variables) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(close) => match variables.get(&after[..close].trim().to_uppercase()) {
                Some(value) => {
                    out.push_str(value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str("${");
                    rest = after;
                }
            },
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Reports an error found in a substituted statement against the original text:
/// the line is shifted to where the statement starts.
fn shift(err: ParseError, text: &str, first: &crate::sql::lexer::Tok) -> ParseError {
    let position = err.position();
    let line = first.line + position.line.saturating_sub(1);
    let column = if position.line <= 1 {
        first.column + position.column.saturating_sub(1)
    } else {
        position.column
    };
    let message = format!("{} (after variable substitution)", err.message());
    ParseError::syntax(message, Position::locate(text, line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_defined_variables_in_order() {
        let text = "DEFINE topic = 'orders'; CREATE STREAM S (A INT) WITH (kafka_topic='${topic}', format='JSON'); UNDEFINE topic;";
        let statements = parse_statements(text).expect("parses");
        let StatementKind::CreateSource(create) = &statements[1].kind else {
            panic!("expected CREATE STREAM, got {:?}", statements[1].kind);
        };
        assert_eq!(
            create.properties[0].value,
            crate::sql::ast::Literal::String("orders".into())
        );
    }

    #[test]
    fn spans_cover_statement_text() {
        let text = "SHOW STREAMS;\n  DESCRIBE  foo ;";
        let statements = parse_statements(text).expect("parses");
        assert_eq!(statements[0].span.text(text), "SHOW STREAMS");
        assert_eq!(statements[1].span.text(text), "DESCRIBE  foo");
        assert_eq!((statements[1].span.line, statements[1].span.column), (2, 3));
    }

    #[test]
    fn column_lists_like_qtt_schemas() {
        let columns = parse_column_list("ID INT KEY, `count` BIGINT").expect("parses");
        assert_eq!(columns.len(), 2);
        assert_eq!(columns[1].name.as_str(), "count");
    }
}
