//! Expressions by precedence climbing: OR, AND, NOT, predicates, `||`, `+ -`, `* / %`,
//! unary signs, postfix `[i]` and `->`, then primaries.

use sqlparser::tokenizer::Token;

use super::Parser;
use crate::sql::ast::{BinaryOp, Expr, FunctionArgs, Ident, Literal, UnaryOp, WhenThen};
use crate::sql::error::Result;

impl Parser<'_> {
    /// Grammar: expression
    pub fn expression(&mut self) -> Result<Expr> {
        self.nested(|p| p.or_expr())
    }

    /// Grammar: or_expr
    fn or_expr(&mut self) -> Result<Expr> {
        let mut left = self.and_expr()?;
        while self.eat_keyword("OR") {
            self.count_operator()?;
            let right = self.and_expr()?;
            left = Expr::binary(left, BinaryOp::Or, right);
        }
        Ok(left)
    }

    /// Grammar: and_expr
    fn and_expr(&mut self) -> Result<Expr> {
        let mut left = self.not_expr()?;
        while self.eat_keyword("AND") {
            self.count_operator()?;
            let right = self.not_expr()?;
            left = Expr::binary(left, BinaryOp::And, right);
        }
        Ok(left)
    }

    /// Grammar: not_expr
    fn not_expr(&mut self) -> Result<Expr> {
        if self.eat_keyword("NOT") {
            let expr = self.nested(|p| p.not_expr())?;
            return Ok(Expr::Unary {
                op: UnaryOp::Not,
                expr: Box::new(expr),
            });
        }
        self.predicate()
    }

    /// Grammar: predicate
    fn predicate(&mut self) -> Result<Expr> {
        let mut left = self.value_expr()?;
        loop {
            if let Some(op) = self.comparison_op() {
                self.advance();
                self.count_operator()?;
                let right = self.value_expr()?;
                left = Expr::binary(left, op, right);
                continue;
            }
            if self.eat_keyword("IS") {
                self.count_operator()?;
                let negated = self.eat_keyword("NOT");
                if self.eat_keyword("NULL") {
                    left = Expr::IsNull {
                        expr: Box::new(left),
                        negated,
                    };
                } else {
                    self.expect_keyword("DISTINCT")?;
                    self.expect_keyword("FROM")?;
                    let right = self.value_expr()?;
                    left = Expr::IsDistinctFrom {
                        left: Box::new(left),
                        negated,
                        right: Box::new(right),
                    };
                }
                continue;
            }
            let negated = self.keyword_at(0, "NOT")
                && ["BETWEEN", "IN", "LIKE"]
                    .iter()
                    .any(|kw| self.keyword_at(1, kw));
            if negated {
                self.advance();
            }
            if ["BETWEEN", "IN", "LIKE"]
                .iter()
                .any(|kw| self.keyword_at(0, kw))
            {
                self.count_operator()?;
            }
            if self.eat_keyword("BETWEEN") {
                let low = self.value_expr()?;
                self.expect_keyword("AND")?;
                let high = self.value_expr()?;
                left = Expr::Between {
                    expr: Box::new(left),
                    negated,
                    low: Box::new(low),
                    high: Box::new(high),
                };
            } else if self.eat_keyword("IN") {
                self.expect(&Token::LParen, "'('")?;
                let list = self.expression_list(&Token::RParen, "')'")?;
                left = Expr::InList {
                    expr: Box::new(left),
                    negated,
                    list,
                };
            } else if self.eat_keyword("LIKE") {
                let pattern = self.value_expr()?;
                let escape = if self.eat_keyword("ESCAPE") {
                    Some(Box::new(self.value_expr()?))
                } else {
                    None
                };
                left = Expr::Like {
                    expr: Box::new(left),
                    negated,
                    pattern: Box::new(pattern),
                    escape,
                };
            } else {
                return Ok(left);
            }
        }
    }

    fn comparison_op(&mut self) -> Option<BinaryOp> {
        let op = match self.peek() {
            Token::Eq | Token::DoubleEq => BinaryOp::Eq,
            Token::Neq => BinaryOp::NotEq,
            Token::Lt => BinaryOp::Lt,
            Token::LtEq => BinaryOp::LtEq,
            Token::Gt => BinaryOp::Gt,
            Token::GtEq => BinaryOp::GtEq,
            _ => {
                self.at(&Token::Eq, "an operator");
                return None;
            }
        };
        Some(op)
    }

    /// Grammar: value_expr
    pub(super) fn value_expr(&mut self) -> Result<Expr> {
        // Not counted as a nesting level: every way back here passes through
        // `expression`, `unary` or `not_expr`, which are.
        let mut left = self.additive()?;
        while self.eat(&Token::StringConcat, "'||'") {
            self.count_operator()?;
            let right = self.additive()?;
            left = Expr::binary(left, BinaryOp::Concat, right);
        }
        Ok(left)
    }

    /// Grammar: additive
    fn additive(&mut self) -> Result<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Token::Plus => BinaryOp::Plus,
                Token::Minus => BinaryOp::Minus,
                _ => return Ok(left),
            };
            self.advance();
            self.count_operator()?;
            let right = self.multiplicative()?;
            left = Expr::binary(left, op, right);
        }
    }

    /// Grammar: multiplicative
    fn multiplicative(&mut self) -> Result<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Token::Mul => BinaryOp::Multiply,
                Token::Div => BinaryOp::Divide,
                Token::Mod => BinaryOp::Modulo,
                _ => return Ok(left),
            };
            self.advance();
            self.count_operator()?;
            let right = self.unary()?;
            left = Expr::binary(left, op, right);
        }
    }

    /// Grammar: unary
    fn unary(&mut self) -> Result<Expr> {
        let op = match self.peek() {
            Token::Minus => UnaryOp::Minus,
            Token::Plus => UnaryOp::Plus,
            _ => return self.postfix(),
        };
        self.advance();
        // A sign directly before a number is part of the literal, as in ksqlDB, so
        // `-2147483648` is an INT and `-9223372036854775808` a BIGINT.
        if let (UnaryOp::Minus, Token::Number(digits, _)) = (op, self.peek()) {
            let signed = format!("-{digits}");
            if !matches!(self.peek_at(1), Token::LBracket | Token::Arrow) {
                let literal = self.number_literal(&signed)?;
                self.advance();
                return Ok(Expr::Literal(literal));
            }
        }
        let expr = self.nested(|p| p.unary())?;
        Ok(Expr::Unary {
            op,
            expr: Box::new(expr),
        })
    }

    /// Grammar: postfix
    fn postfix(&mut self) -> Result<Expr> {
        let mut expr = self.primary()?;
        loop {
            if self.eat(&Token::LBracket, "'['") {
                self.count_operator()?;
                let index = self.expression()?;
                self.expect(&Token::RBracket, "']'")?;
                expr = Expr::Subscript {
                    base: Box::new(expr),
                    index: Box::new(index),
                };
            } else if self.eat(&Token::Arrow, "'->'") {
                self.count_operator()?;
                let field = self.ident()?;
                expr = Expr::Dereference {
                    base: Box::new(expr),
                    field,
                };
            } else {
                return Ok(expr);
            }
        }
    }

    /// Grammar: primary
    fn primary(&mut self) -> Result<Expr> {
        match self.peek().clone() {
            Token::Number(digits, _) => {
                let literal = self.number_literal(&digits)?;
                self.advance();
                Ok(Expr::Literal(literal))
            }
            Token::SingleQuotedString(s) => {
                self.advance();
                Ok(Expr::Literal(Literal::String(s)))
            }
            Token::LParen => {
                if self.at_lambda_params() {
                    return self.lambda();
                }
                self.advance();
                let expr = self.expression()?;
                self.expect(&Token::RParen, "')'")?;
                Ok(expr)
            }
            Token::Word(w) if w.quote_style.is_none() => {
                let upper = w.value.to_ascii_uppercase();
                match upper.as_str() {
                    "NULL" | "TRUE" | "FALSE" => {
                        self.advance();
                        Ok(Expr::Literal(match upper.as_str() {
                            "NULL" => Literal::Null,
                            "TRUE" => Literal::Boolean(true),
                            _ => Literal::Boolean(false),
                        }))
                    }
                    "CASE" => self.case_expr(),
                    "CAST" if self.peek_at(1) == &Token::LParen => self.cast_expr(),
                    "ARRAY" if self.peek_at(1) == &Token::LBracket => self.array_constructor(),
                    "MAP" if self.peek_at(1) == &Token::LParen => self.map_constructor(),
                    "STRUCT" if self.peek_at(1) == &Token::LParen => self.struct_constructor(),
                    _ => self.name_expr(),
                }
            }
            Token::Word(_) => self.name_expr(),
            _ => {
                self.note_primary_expectations();
                Err(self.expected_error())
            }
        }
    }

    fn note_primary_expectations(&mut self) {
        self.at(&Token::LParen, "an expression");
    }

    /// A column, qualified column, function call or single-parameter lambda.
    fn name_expr(&mut self) -> Result<Expr> {
        if self.peek_at(1) == &Token::RArrow {
            return self.lambda();
        }
        let name = self.ident()?;
        if self.peek() == &Token::LParen {
            return self.function_call(name);
        }
        if self.peek() == &Token::Period && self.peek_at(1) != &Token::Mul {
            self.advance();
            let column = self.ident()?;
            return Ok(Expr::Column {
                source: Some(name),
                name: column,
            });
        }
        Ok(Expr::Column { source: None, name })
    }

    /// Grammar: function_call
    fn function_call(&mut self, name: Ident) -> Result<Expr> {
        self.expect(&Token::LParen, "'('")?;
        if self.eat(&Token::Mul, "'*'") {
            self.expect(&Token::RParen, "')'")?;
            return Ok(Expr::Function {
                name,
                args: FunctionArgs::Star,
            });
        }
        let distinct = self.eat_keyword("DISTINCT");
        let args = self.expression_list(&Token::RParen, "')'")?;
        Ok(Expr::Function {
            name,
            args: FunctionArgs::List { distinct, args },
        })
    }

    /// Expressions separated by commas up to `close`, which is consumed; may be empty.
    pub fn expression_list(
        &mut self,
        close: &Token,
        close_name: &'static str,
    ) -> Result<Vec<Expr>> {
        let mut list = Vec::new();
        if self.eat(close, close_name) {
            return Ok(list);
        }
        loop {
            list.push(self.expression()?);
            if self.eat(&Token::Comma, "','") {
                continue;
            }
            self.expect(close, close_name)?;
            return Ok(list);
        }
    }

    /// Whether `( name, ... ) =>` follows.
    fn at_lambda_params(&self) -> bool {
        let mut ahead = 1;
        loop {
            if !matches!(self.peek_at(ahead), Token::Word(_)) {
                return false;
            }
            match self.peek_at(ahead + 1) {
                Token::Comma => ahead += 2,
                Token::RParen => return self.peek_at(ahead + 2) == &Token::RArrow,
                _ => return false,
            }
        }
    }

    /// Grammar: lambda
    fn lambda(&mut self) -> Result<Expr> {
        let mut params = Vec::new();
        if self.eat(&Token::LParen, "'('") {
            loop {
                params.push(self.ident()?);
                if !self.eat(&Token::Comma, "','") {
                    break;
                }
            }
            self.expect(&Token::RParen, "')'")?;
        } else {
            params.push(self.ident()?);
        }
        self.expect(&Token::RArrow, "'=>'")?;
        let body = self.expression()?;
        Ok(Expr::Lambda {
            params,
            body: Box::new(body),
        })
    }

    /// Grammar: case_expr
    fn case_expr(&mut self) -> Result<Expr> {
        self.expect_keyword("CASE")?;
        let operand = if self.at_keyword("WHEN") {
            None
        } else {
            Some(Box::new(self.expression()?))
        };
        let mut branches = Vec::new();
        while self.eat_keyword("WHEN") {
            let when = self.expression()?;
            self.expect_keyword("THEN")?;
            let then = self.expression()?;
            branches.push(WhenThen { when, then });
        }
        if branches.is_empty() {
            return Err(self.expected_error());
        }
        let else_result = if self.eat_keyword("ELSE") {
            Some(Box::new(self.expression()?))
        } else {
            None
        };
        self.expect_keyword("END")?;
        Ok(Expr::Case {
            operand,
            branches,
            else_result,
        })
    }

    /// Grammar: cast_expr
    fn cast_expr(&mut self) -> Result<Expr> {
        self.expect_keyword("CAST")?;
        self.expect(&Token::LParen, "'('")?;
        let expr = self.expression()?;
        self.expect_keyword("AS")?;
        let ty = self.sql_type()?;
        self.expect(&Token::RParen, "')'")?;
        Ok(Expr::Cast {
            expr: Box::new(expr),
            ty,
        })
    }

    /// Grammar: array_constructor
    fn array_constructor(&mut self) -> Result<Expr> {
        self.expect_keyword("ARRAY")?;
        self.expect(&Token::LBracket, "'['")?;
        Ok(Expr::Array(self.expression_list(&Token::RBracket, "']'")?))
    }

    /// Grammar: map_constructor
    fn map_constructor(&mut self) -> Result<Expr> {
        self.expect_keyword("MAP")?;
        self.expect(&Token::LParen, "'('")?;
        let mut entries = Vec::new();
        if !self.eat(&Token::RParen, "')'") {
            loop {
                let key = self.expression()?;
                self.expect(&Token::Assignment, "':='")?;
                let value = self.expression()?;
                entries.push((key, value));
                if !self.eat(&Token::Comma, "','") {
                    break;
                }
            }
            self.expect(&Token::RParen, "')'")?;
        }
        Ok(Expr::Map(entries))
    }

    /// Grammar: struct_constructor
    fn struct_constructor(&mut self) -> Result<Expr> {
        self.expect_keyword("STRUCT")?;
        self.expect(&Token::LParen, "'('")?;
        let mut fields = Vec::new();
        if !self.eat(&Token::RParen, "')'") {
            loop {
                let name = self.ident()?;
                self.expect(&Token::Assignment, "':='")?;
                let value = self.expression()?;
                fields.push((name, value));
                if !self.eat(&Token::Comma, "','") {
                    break;
                }
            }
            self.expect(&Token::RParen, "')'")?;
        }
        Ok(Expr::Struct(fields))
    }

    /// Grammar: number
    pub fn number_literal(&self, text: &str) -> Result<Literal> {
        let (sign, digits) = match text.strip_prefix('-') {
            Some(digits) => ("-", digits),
            None => ("", text),
        };
        if digits.contains(['e', 'E']) {
            return match text.parse::<f64>() {
                Ok(value) if value.is_finite() => Ok(Literal::Double(value)),
                _ => Err(self.error_here(format!("number {text} overflows DOUBLE"))),
            };
        }
        if let Some((int_part, frac_part)) = digits.split_once('.') {
            let int_part = int_part.trim_start_matches('0');
            let int_part = if int_part.is_empty() { "0" } else { int_part };
            if int_part.len() + frac_part.len() > 38 {
                return Err(self.error_here(format!("decimal {text} has more than 38 digits")));
            }
            return Ok(Literal::Decimal(format!("{sign}{int_part}.{frac_part}")));
        }
        if let Ok(value) = text.parse::<i32>() {
            return Ok(Literal::Int(value));
        }
        match text.parse::<i64>() {
            Ok(value) => Ok(Literal::BigInt(value)),
            Err(_) => Err(self.error_here(format!(
                "invalid numeric literal {text}: out of range for BIGINT"
            ))),
        }
    }
}
