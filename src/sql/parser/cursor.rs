//! The token cursor: lookahead, keyword matching, expectations and error reporting.

use sqlparser::tokenizer::Token;

use super::{MAX_NESTING, MAX_OPERATORS};
use crate::sql::ast::Ident;
use crate::sql::error::{ParseError, Position, Result};
use crate::sql::keywords::is_reserved;
use crate::sql::lexer::{Tok, tokenize};
use crate::sql::type_parser::type_prefix;
use crate::sql::types::SqlType;

/// Parsing state over one tokenized text.
pub(crate) struct Parser<'a> {
    text: &'a str,
    toks: Vec<Tok>,
    pos: usize,
    /// What the grammar would have accepted at `expected_pos`, for error messages.
    expected: Vec<&'static str>,
    expected_pos: usize,
    depth: usize,
    /// Binary operators folded so far in the statement: each deepens the tree without
    /// recursing, so they have a budget of their own (see [`MAX_OPERATORS`]).
    operators: usize,
}

impl<'a> Parser<'a> {
    pub fn new(text: &'a str) -> Result<Self> {
        Ok(Parser {
            text,
            toks: tokenize(text)?,
            pos: 0,
            expected: Vec::new(),
            expected_pos: 0,
            depth: 0,
            operators: 0,
        })
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Backtracks to a position returned by [`Parser::pos`].
    pub fn reset(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub fn tok(&self) -> &Tok {
        self.tok_at(0)
    }

    /// The token `ahead` places after the current one (EOF past the end).
    pub fn tok_at(&self, ahead: usize) -> &Tok {
        let last = self.toks.len().saturating_sub(1);
        &self.toks[(self.pos + ahead).min(last)]
    }

    pub fn peek(&self) -> &Token {
        &self.tok().token
    }

    pub fn peek_at(&self, ahead: usize) -> &Token {
        &self.tok_at(ahead).token
    }

    /// The token just consumed, if any.
    pub fn previous(&self) -> Option<&Tok> {
        self.pos.checked_sub(1).and_then(|i| self.toks.get(i))
    }

    pub fn at_eof(&self) -> bool {
        matches!(self.peek(), Token::EOF)
    }

    pub fn advance(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    fn note_expected(&mut self, what: &'static str) {
        if self.expected_pos != self.pos {
            self.expected.clear();
            self.expected_pos = self.pos;
        }
        if !self.expected.contains(&what) {
            self.expected.push(what);
        }
    }

    /// Whether `token` is the unquoted keyword `kw`.
    pub fn is_keyword(token: &Token, kw: &str) -> bool {
        matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
    }

    /// Whether the token `ahead` places on is the keyword (records no expectation).
    pub fn keyword_at(&self, ahead: usize, kw: &str) -> bool {
        Self::is_keyword(self.peek_at(ahead), kw)
    }

    /// Whether the current token is `kw`; if not, `kw` is noted as expected here.
    pub fn at_keyword(&mut self, kw: &'static str) -> bool {
        let yes = Self::is_keyword(self.peek(), kw);
        if !yes {
            self.note_expected(kw);
        }
        yes
    }

    pub fn eat_keyword(&mut self, kw: &'static str) -> bool {
        let yes = self.at_keyword(kw);
        if yes {
            self.advance();
        }
        yes
    }

    pub fn expect_keyword(&mut self, kw: &'static str) -> Result<()> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            Err(self.expected_error())
        }
    }

    /// Consumes `kws` if they all follow in order; otherwise consumes nothing.
    pub fn eat_keywords(&mut self, kws: &[&'static str]) -> bool {
        let all = kws
            .iter()
            .enumerate()
            .all(|(i, kw)| Self::is_keyword(self.peek_at(i), kw));
        if all {
            for _ in kws {
                self.advance();
            }
        } else if let Some(first) = kws.first()
            && !Self::is_keyword(self.peek(), first)
        {
            self.note_expected(first);
        }
        all
    }

    /// Whether the current token is `token` (compared without payload for
    /// punctuation); if not, `name` is noted as expected.
    pub fn at(&mut self, token: &Token, name: &'static str) -> bool {
        let yes = self.peek() == token;
        if !yes {
            self.note_expected(name);
        }
        yes
    }

    pub fn eat(&mut self, token: &Token, name: &'static str) -> bool {
        let yes = self.at(token, name);
        if yes {
            self.advance();
        }
        yes
    }

    pub fn expect(&mut self, token: &Token, name: &'static str) -> Result<()> {
        if self.eat(token, name) {
            Ok(())
        } else {
            Err(self.expected_error())
        }
    }

    /// A name: a quoted identifier verbatim, or an unreserved word upper-cased.
    /// Grammar: identifier
    pub fn ident(&mut self) -> Result<Ident> {
        match self.peek() {
            Token::Word(w) if w.quote_style.is_some() => {
                let name = Ident(w.value.clone());
                self.advance();
                Ok(name)
            }
            Token::Word(w) if !is_reserved(&w.value) => {
                let name = Ident(w.value.to_uppercase());
                self.advance();
                Ok(name)
            }
            _ => {
                self.note_expected("an identifier");
                Err(self.expected_error())
            }
        }
    }

    /// Whether the current token could start a name (see [`Parser::ident`]).
    pub fn at_ident(&self) -> bool {
        matches!(self.peek(), Token::Word(w) if w.quote_style.is_some() || !is_reserved(&w.value))
    }

    /// A single-quoted string literal.
    /// Grammar: string
    pub fn string(&mut self) -> Result<String> {
        if let Token::SingleQuotedString(s) = self.peek() {
            let s = s.clone();
            self.advance();
            Ok(s)
        } else {
            self.note_expected("a string");
            Err(self.expected_error())
        }
    }

    /// A non-negative integer literal.
    /// Grammar: integer
    pub fn unsigned(&mut self) -> Result<u64> {
        if let Token::Number(digits, _) = self.peek() {
            if let Ok(n) = digits.parse::<u64>() {
                self.advance();
                return Ok(n);
            }
            return Err(self.error_here(format!("expected a whole number, found {digits}")));
        }
        self.note_expected("a number");
        Err(self.expected_error())
    }

    /// A type, parsed by the nom type grammar (`sql_type`) from the current token's offset.
    pub fn sql_type(&mut self) -> Result<SqlType> {
        let start = self.tok().start;
        let rest = self.text.get(start..).unwrap_or("");
        match type_prefix(rest) {
            Ok((ty, consumed)) => {
                let end = start + consumed;
                while !self.at_eof() && self.tok().start < end {
                    if self.tok().end > end {
                        return Err(self.error_here("a type cannot end inside this token"));
                    }
                    self.advance();
                }
                Ok(ty)
            }
            Err((offset, message)) => {
                let at = start + offset;
                while !self.at_eof() && self.tok().end <= at && self.tok().start < at {
                    self.advance();
                }
                Err(self.error_here(message))
            }
        }
    }

    /// Runs `f` one nesting level deeper, failing once `MAX_NESTING` is reached.
    pub fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_NESTING {
            return Err(ParseError::TooDeep {
                limit: MAX_NESTING,
                position: self.position(),
            });
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// Counts one more binary operator, failing once the statement has `MAX_OPERATORS`.
    pub fn count_operator(&mut self) -> Result<()> {
        if self.operators >= MAX_OPERATORS {
            return Err(ParseError::TooManyOperators {
                limit: MAX_OPERATORS,
                position: self.position(),
            });
        }
        self.operators += 1;
        Ok(())
    }

    /// Starts a statement's operator budget afresh.
    pub fn reset_operators(&mut self) {
        self.operators = 0;
    }

    pub fn position(&self) -> Position {
        let tok = self.tok();
        Position::locate(self.text, tok.line, tok.column)
    }

    /// An error at the current token with a message of the caller's.
    pub fn error_here(&self, message: impl Into<String>) -> ParseError {
        ParseError::syntax(message, self.position())
    }

    /// "expected one of ..., found ..." at the current token.
    pub fn expected_error(&self) -> ParseError {
        let found = describe(self.peek());
        let expected: &[&str] = if self.expected_pos == self.pos {
            &self.expected
        } else {
            &[]
        };
        let message = match expected {
            [] => format!("unexpected {found}"),
            [one] => format!("expected {one}, found {found}"),
            many => format!("expected one of {}, found {found}", many.join(", ")),
        };
        self.error_here(message)
    }
}

/// How a token is named in an error message.
fn describe(token: &Token) -> String {
    match token {
        Token::EOF => "end of input".to_string(),
        Token::Word(w) if w.quote_style.is_none() => format!("'{}'", w.value),
        other => format!("'{other}'"),
    }
}
