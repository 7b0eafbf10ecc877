//! SELECT: projection, FROM with joins, WINDOW, WHERE, GROUP BY, PARTITION BY,
//! HAVING, EMIT and LIMIT.

use sqlparser::tokenizer::Token;

use super::Parser;
use crate::sql::ast::{
    AliasedSource, Duration, Emit, Expr, Join, JoinKind, JoinWindow, Query, Relation, SelectItem,
    TimeUnit, WindowKind, WindowSpec,
};
use crate::sql::error::Result;

impl Parser<'_> {
    /// Grammar: query
    pub fn query(&mut self) -> Result<Query> {
        self.expect_keyword("SELECT")?;
        let select = self.select_items()?;
        self.expect_keyword("FROM")?;
        let from = self.relation()?;
        let window = if self.eat_keyword("WINDOW") {
            Some(self.window_spec()?)
        } else {
            None
        };
        let where_clause = if self.eat_keyword("WHERE") {
            Some(self.expression()?)
        } else {
            None
        };
        let group_by = if self.eat_keywords(&["GROUP", "BY"]) {
            self.grouping_list()?
        } else {
            Vec::new()
        };
        let partition_by = if self.eat_keywords(&["PARTITION", "BY"]) {
            self.grouping_list()?
        } else {
            Vec::new()
        };
        let having = if self.eat_keyword("HAVING") {
            Some(self.expression()?)
        } else {
            None
        };
        let emit = self.emit_clause()?;
        let limit = if self.eat_keyword("LIMIT") {
            Some(self.unsigned()?)
        } else {
            None
        };
        Ok(Query {
            select,
            from,
            window,
            where_clause,
            group_by,
            partition_by,
            having,
            emit,
            limit,
        })
    }

    /// Grammar: select_items
    fn select_items(&mut self) -> Result<Vec<SelectItem>> {
        let mut items = vec![self.select_item()?];
        while self.eat(&Token::Comma, "','") {
            items.push(self.select_item()?);
        }
        Ok(items)
    }

    /// Grammar: select_item
    fn select_item(&mut self) -> Result<SelectItem> {
        if self.eat(&Token::Mul, "'*'") {
            return Ok(SelectItem::Wildcard);
        }
        if self.at_ident() && self.peek_at(1) == &Token::Period && self.peek_at(2) == &Token::Mul {
            let source = self.ident()?;
            self.advance();
            self.advance();
            return Ok(SelectItem::QualifiedWildcard(source));
        }
        let expr = self.expression()?;
        let alias = self.alias()?;
        Ok(SelectItem::Expr { expr, alias })
    }

    /// `[AS] name`, where a bare name must not be a reserved word.
    /// Grammar: alias
    fn alias(&mut self) -> Result<Option<crate::sql::ast::Ident>> {
        if self.eat_keyword("AS") {
            return Ok(Some(self.ident()?));
        }
        if self.at_ident() {
            return Ok(Some(self.ident()?));
        }
        Ok(None)
    }

    /// Value expressions (no AND, OR or comparisons unless parenthesized), as ksqlDB
    /// requires: `GROUP BY A AND B` is a syntax error there.
    /// Grammar: grouping_list
    /// The whole list may also stand in one pair of parentheses, `GROUP BY (A, B)`.
    fn grouping_list(&mut self) -> Result<Vec<Expr>> {
        if self.peek() == &Token::LParen {
            let start = self.pos();
            if let Ok(list) = self.parenthesized_grouping()
                && list.len() > 1
            {
                return Ok(list);
            }
            // One parenthesized expression, which may go on (`(A + B) * 2`) or hold
            // a predicate (`(A IS NULL)`): read it as a value expression instead.
            self.reset(start);
        }
        let mut list = vec![self.value_expr()?];
        while self.eat(&Token::Comma, "','") {
            list.push(self.value_expr()?);
        }
        Ok(list)
    }

    fn parenthesized_grouping(&mut self) -> Result<Vec<Expr>> {
        self.expect(&Token::LParen, "'('")?;
        let mut list = vec![self.value_expr()?];
        while self.eat(&Token::Comma, "','") {
            list.push(self.value_expr()?);
        }
        self.expect(&Token::RParen, "')'")?;
        Ok(list)
    }

    /// Grammar: relation
    fn relation(&mut self) -> Result<Relation> {
        let source = self.aliased_source()?;
        let mut joins = Vec::new();
        while let Some(kind) = self.join_kind()? {
            joins.push(self.join(kind)?);
        }
        Ok(Relation { source, joins })
    }

    /// Grammar: aliased_source
    fn aliased_source(&mut self) -> Result<AliasedSource> {
        let name = self.ident()?;
        let alias = self.alias()?;
        Ok(AliasedSource { name, alias })
    }

    /// Grammar: join_kind
    fn join_kind(&mut self) -> Result<Option<JoinKind>> {
        let kind = if self.eat_keyword("JOIN") {
            return Ok(Some(JoinKind::Inner));
        } else if self.eat_keyword("INNER") {
            JoinKind::Inner
        } else if self.eat_keyword("LEFT") {
            self.eat_keyword("OUTER");
            JoinKind::Left
        } else if self.eat_keyword("RIGHT") {
            self.eat_keyword("OUTER");
            JoinKind::Right
        } else if self.eat_keyword("FULL") {
            self.eat_keyword("OUTER");
            JoinKind::Full
        } else if self.eat_keyword("OUTER") {
            JoinKind::Full
        } else {
            return Ok(None);
        };
        self.expect_keyword("JOIN")?;
        Ok(Some(kind))
    }

    /// Grammar: join
    fn join(&mut self, kind: JoinKind) -> Result<Join> {
        let source = self.aliased_source()?;
        let within = if self.eat_keyword("WITHIN") {
            Some(self.within_clause()?)
        } else {
            None
        };
        let grace = if self.eat_keywords(&["GRACE", "PERIOD"]) {
            Some(self.duration()?)
        } else {
            None
        };
        self.expect_keyword("ON")?;
        let on = self.expression()?;
        Ok(Join {
            kind,
            source,
            within,
            grace,
            on,
        })
    }

    /// Grammar: within_clause
    fn within_clause(&mut self) -> Result<JoinWindow> {
        if self.eat(&Token::LParen, "'('") {
            let before = self.duration()?;
            self.expect(&Token::Comma, "','")?;
            let after = self.duration()?;
            self.expect(&Token::RParen, "')'")?;
            return Ok(JoinWindow::Asymmetric { before, after });
        }
        Ok(JoinWindow::Symmetric(self.duration()?))
    }

    /// Grammar: window_spec
    fn window_spec(&mut self) -> Result<WindowSpec> {
        let kind = if self.eat_keyword("TUMBLING") {
            self.expect(&Token::LParen, "'('")?;
            self.expect_keyword("SIZE")?;
            WindowKind::Tumbling {
                size: self.duration()?,
            }
        } else if self.eat_keyword("HOPPING") {
            self.expect(&Token::LParen, "'('")?;
            self.expect_keyword("SIZE")?;
            let size = self.duration()?;
            self.expect(&Token::Comma, "','")?;
            self.expect_keyword("ADVANCE")?;
            self.expect_keyword("BY")?;
            let advance = self.duration()?;
            WindowKind::Hopping { size, advance }
        } else if self.eat_keyword("SESSION") {
            self.expect(&Token::LParen, "'('")?;
            WindowKind::Session {
                gap: self.duration()?,
            }
        } else {
            return Err(self.expected_error());
        };
        let mut retention = None;
        let mut grace = None;
        while self.eat(&Token::Comma, "','") {
            if retention.is_none() && self.eat_keyword("RETENTION") {
                retention = Some(self.duration()?);
            } else if grace.is_none() && self.eat_keywords(&["GRACE", "PERIOD"]) {
                grace = Some(self.duration()?);
            } else {
                return Err(self.expected_error());
            }
        }
        self.expect(&Token::RParen, "')'")?;
        Ok(WindowSpec {
            kind,
            retention,
            grace,
        })
    }

    /// Grammar: duration
    pub fn duration(&mut self) -> Result<Duration> {
        let amount = self.unsigned()?;
        let unit = match self.peek() {
            Token::Word(w) if w.quote_style.is_none() => TimeUnit::from_word(&w.value),
            _ => None,
        };
        match unit {
            Some(unit) => {
                self.advance();
                Ok(Duration::new(amount, unit))
            }
            None => {
                self.at_keyword("a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS)");
                Err(self.expected_error())
            }
        }
    }

    /// Grammar: emit_clause
    fn emit_clause(&mut self) -> Result<Option<Emit>> {
        if !self.eat_keyword("EMIT") {
            return Ok(None);
        }
        if self.eat_keyword("CHANGES") {
            Ok(Some(Emit::Changes))
        } else if self.eat_keyword("FINAL") {
            Ok(Some(Emit::Final))
        } else {
            Err(self.expected_error())
        }
    }
}
