//! SELECT: projection, FROM with joins, WINDOW, WHERE, GROUP BY, PARTITION BY,
//! HAVING, ORDER BY, EMIT, LIMIT and OFFSET.

use sqlparser::tokenizer::Token;

use super::Parser;
use crate::sql::ast::{
    AliasedSource, Duration, Emit, Expr, Join, JoinKind, JoinWindow, OrderByItem, Query, Relation,
    SelectItem, TimeUnit, WindowKind, WindowSpec,
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
        let order_by = self.order_by_clause()?;
        let emit_position = self.pos();
        let emit = self.emit_clause()?;
        if emit.is_some() && !order_by.is_empty() {
            self.reset(emit_position);
            return Err(self.error_here(
                "ORDER BY is only for pull queries: a push query (EMIT) emits rows as they change and cannot sort them",
            ));
        }
        let (limit, offset) = self.limit_offset(emit.is_some())?;
        Ok(Query {
            select,
            from,
            window,
            where_clause,
            group_by,
            partition_by,
            having,
            order_by,
            emit,
            limit,
            offset,
        })
    }

    /// The query of CREATE ... AS SELECT or INSERT INTO ... SELECT: it runs for ever,
    /// so it has no order to sort by and no first row to skip from.
    /// Grammar: persistent_query
    pub fn persistent_query(&mut self) -> Result<Query> {
        let start = self.pos();
        let query = self.query()?;
        let refused = if !query.order_by.is_empty() {
            Some(("ORDER", "ORDER BY"))
        } else if query.offset.is_some() {
            Some(("OFFSET", "OFFSET"))
        } else {
            None
        };
        if let Some((keyword, clause)) = refused {
            // Point the caret at the refused clause.
            let end = self.pos();
            self.reset(start);
            while self.pos() < end && !self.keyword_at(0, keyword) {
                self.advance();
            }
            return Err(self.error_here(format!(
                "{clause} is only for pull queries: a persistent query runs continuously and emits rows as they change"
            )));
        }
        Ok(query)
    }

    /// Grammar: order_by_clause
    fn order_by_clause(&mut self) -> Result<Vec<OrderByItem>> {
        if !self.eat_keywords(&["ORDER", "BY"]) {
            return Ok(Vec::new());
        }
        let mut items = vec![self.order_by_item()?];
        while self.eat(&Token::Comma, "','") {
            items.push(self.order_by_item()?);
        }
        Ok(items)
    }

    /// Grammar: order_by_item
    fn order_by_item(&mut self) -> Result<OrderByItem> {
        let expr = self.expression()?;
        let descending = if self.eat_keyword("DESC") {
            true
        } else {
            self.eat_keyword("ASC");
            false
        };
        let nulls_first = if self.eat_keyword("NULLS") {
            if self.eat_keyword("FIRST") {
                Some(true)
            } else if self.eat_keyword("LAST") {
                Some(false)
            } else {
                return Err(self.expected_error());
            }
        } else {
            None
        };
        Ok(OrderByItem {
            expr,
            descending,
            nulls_first,
        })
    }

    /// `LIMIT n` and `OFFSET m` in either order; a push query (`is_push`) may not skip
    /// rows, since it has no first row to count from.
    /// Grammar: limit_offset
    fn limit_offset(&mut self, is_push: bool) -> Result<(Option<u64>, Option<u64>)> {
        let mut limit = None;
        let mut offset = None;
        loop {
            if limit.is_none() && self.eat_keyword("LIMIT") {
                limit = Some(self.unsigned()?);
            } else if offset.is_none() && self.at_keyword("OFFSET") {
                if is_push {
                    return Err(self.error_here(
                        "OFFSET is only for pull queries: a push query (EMIT) has no first row to skip from",
                    ));
                }
                self.advance();
                offset = Some(self.unsigned()?);
            } else {
                return Ok((limit, offset));
            }
        }
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
        // ORDER, OFFSET and FORMAT stay usable as names, so they end a FROM only where
        // they start their clause (FORMAT DOT ends an EXPLAIN).
        let starts_clause = (self.keyword_at(0, "ORDER") && self.keyword_at(1, "BY"))
            || (self.keyword_at(0, "OFFSET") && matches!(self.peek_at(1), Token::Number(..)))
            || (self.keyword_at(0, "FORMAT") && self.keyword_at(1, "DOT"));
        if self.at_ident() && !starts_clause {
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

#[cfg(test)]
mod tests {
    use crate::sql::ast::StatementKind;
    use crate::sql::parse_statements;

    fn query(sql: &str) -> crate::sql::ast::Query {
        let statements = parse_statements(sql).expect(sql);
        match statements.into_iter().next().map(|s| s.kind) {
            Some(StatementKind::Query(query)) => *query,
            other => panic!("{sql}: expected a query, got {other:?}"),
        }
    }

    #[test]
    fn order_by_limit_offset_parse_and_print_back() {
        let q = query("SELECT a, b FROM t ORDER BY a DESC NULLS LAST, b LIMIT 3 OFFSET 1;");
        assert_eq!(q.order_by.len(), 2);
        assert!(q.order_by[0].descending);
        assert_eq!(q.order_by[0].nulls_first, Some(false));
        assert!(!q.order_by[1].descending);
        assert_eq!(q.order_by[1].nulls_first, None);
        assert_eq!((q.limit, q.offset), (Some(3), Some(1)));
        let printed = q.to_string();
        assert_eq!(
            printed,
            "SELECT A, B FROM T ORDER BY A DESC NULLS LAST, B LIMIT 3 OFFSET 1"
        );
        assert_eq!(query(&format!("{printed};")), q);
    }

    #[test]
    fn offset_may_come_before_limit_and_order_may_name_a_column() {
        let q = query("SELECT * FROM t OFFSET 2 LIMIT 5;");
        assert_eq!(
            (q.limit, q.offset, q.from.source.alias),
            (Some(5), Some(2), None)
        );
        let q = query("SELECT order, offset FROM t ORDER BY order ASC NULLS FIRST;");
        assert_eq!(q.order_by[0].nulls_first, Some(true));
        assert_eq!(
            query("SELECT * FROM t x;")
                .from
                .source
                .alias
                .map(|a| a.to_string()),
            Some("X".into())
        );
    }

    #[test]
    fn push_and_persistent_queries_refuse_order_by_and_offset() {
        for (sql, wanted) in [
            (
                "SELECT * FROM s ORDER BY a EMIT CHANGES;",
                "ORDER BY is only for pull queries",
            ),
            (
                "SELECT * FROM s EMIT CHANGES LIMIT 2 OFFSET 1;",
                "OFFSET is only for pull queries",
            ),
            (
                "CREATE STREAM x AS SELECT * FROM s ORDER BY a;",
                "ORDER BY is only for pull queries",
            ),
            (
                "INSERT INTO x SELECT * FROM s OFFSET 1;",
                "OFFSET is only for pull queries",
            ),
        ] {
            let error = parse_statements(sql).expect_err(sql).to_string();
            assert!(error.contains(wanted), "{sql}: {error}");
        }
    }
}
