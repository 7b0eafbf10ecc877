//! Administrative statements: SHOW, DESCRIBE, EXPLAIN, TERMINATE/PAUSE/RESUME, PRINT,
//! SET/UNSET, DEFINE/UNDEFINE, RUN SCRIPT, connectors and ASSERT.

use sqlparser::tokenizer::Token;

use super::Parser;
use crate::sql::ast::{
    AssertTopic, ConnectorKind, CreateConnector, DescribeTarget, ExplainTarget, QueryTarget,
    ShowTarget, StatementKind, TopicName,
};
use crate::sql::error::Result;

impl Parser<'_> {
    /// Grammar: show_statement
    pub(super) fn show_statement(&mut self) -> Result<StatementKind> {
        if !self.eat_keyword("SHOW") {
            self.expect_keyword("LIST")?;
        }
        let target = if self.eat_keyword("STREAMS") {
            ShowTarget::Streams {
                extended: self.eat_keyword("EXTENDED"),
            }
        } else if self.eat_keyword("TABLES") {
            ShowTarget::Tables {
                extended: self.eat_keyword("EXTENDED"),
            }
        } else if self.eat_keyword("QUERIES") {
            ShowTarget::Queries {
                extended: self.eat_keyword("EXTENDED"),
            }
        } else if self.eat_keywords(&["ALL", "TOPICS"]) {
            ShowTarget::Topics {
                all: true,
                extended: self.eat_keyword("EXTENDED"),
            }
        } else if self.eat_keyword("TOPICS") {
            ShowTarget::Topics {
                all: false,
                extended: self.eat_keyword("EXTENDED"),
            }
        } else if self.eat_keyword("FUNCTIONS") {
            ShowTarget::Functions
        } else if self.eat_keyword("TYPES") {
            ShowTarget::Types
        } else if self.eat_keyword("PROPERTIES") {
            ShowTarget::Properties
        } else if self.eat_keyword("VARIABLES") {
            ShowTarget::Variables
        } else if self.eat_keyword("CONNECTORS") {
            ShowTarget::Connectors { kind: None }
        } else if let Some(kind) = self.connector_kind() {
            self.expect_keyword("CONNECTORS")?;
            ShowTarget::Connectors { kind: Some(kind) }
        } else {
            return Err(self.expected_error());
        };
        Ok(StatementKind::Show(target))
    }

    /// Grammar: connector_kind
    fn connector_kind(&mut self) -> Option<ConnectorKind> {
        if self.eat_keyword("SOURCE") {
            Some(ConnectorKind::Source)
        } else if self.eat_keyword("SINK") {
            Some(ConnectorKind::Sink)
        } else {
            None
        }
    }

    /// Grammar: describe_statement
    pub(super) fn describe_statement(&mut self) -> Result<StatementKind> {
        self.expect_keyword("DESCRIBE")?;
        if self.eat_keyword("FUNCTION") {
            return Ok(StatementKind::Describe(DescribeTarget::Function {
                name: self.ident()?,
            }));
        }
        if self.eat_keyword("CONNECTOR") {
            return Ok(StatementKind::Describe(DescribeTarget::Connector {
                name: self.ident()?,
            }));
        }
        let extended = self.eat_keyword("EXTENDED");
        // STREAMS and TABLES list every source unless they name one (`DESCRIBE STREAMS`
        // with nothing after it).
        let followed_by_end = matches!(self.peek_at(1), Token::EOF | Token::SemiColon)
            || Self::is_keyword(self.peek_at(1), "EXTENDED");
        let target = if followed_by_end && self.eat_keyword("STREAMS") {
            DescribeTarget::Streams {
                extended: extended || self.eat_keyword("EXTENDED"),
            }
        } else if followed_by_end && self.eat_keyword("TABLES") {
            DescribeTarget::Tables {
                extended: extended || self.eat_keyword("EXTENDED"),
            }
        } else {
            DescribeTarget::Source {
                name: self.ident()?,
                extended,
            }
        };
        Ok(StatementKind::Describe(target))
    }

    /// Grammar: explain_statement
    pub(super) fn explain_statement(&mut self) -> Result<StatementKind> {
        self.expect_keyword("EXPLAIN")?;
        let starts_statement = ["SELECT", "CREATE", "INSERT"]
            .iter()
            .any(|kw| self.keyword_at(0, kw));
        let target = if starts_statement {
            ExplainTarget::Statement(Box::new(self.statement()?))
        } else {
            ExplainTarget::QueryId(self.ident()?)
        };
        if self.eat_keywords(&["FORMAT", "DOT"]) {
            return Ok(StatementKind::ExplainGraph(target));
        }
        Ok(StatementKind::Explain(target))
    }

    /// Grammar: query_control_statement
    pub(super) fn query_control_statement(&mut self) -> Result<StatementKind> {
        let wrap: fn(QueryTarget) -> StatementKind = if self.eat_keyword("TERMINATE") {
            StatementKind::Terminate
        } else if self.eat_keyword("PAUSE") {
            StatementKind::Pause
        } else {
            self.expect_keyword("RESUME")?;
            StatementKind::Resume
        };
        let target = if self.eat_keyword("ALL") {
            QueryTarget::All
        } else {
            QueryTarget::Query(self.ident()?)
        };
        Ok(wrap(target))
    }

    /// Grammar: print_statement
    pub(super) fn print_statement(&mut self) -> Result<StatementKind> {
        self.expect_keyword("PRINT")?;
        let topic = self.topic_name()?;
        let from_beginning = self.eat_keywords(&["FROM", "BEGINNING"]);
        let interval = if self.eat_keyword("INTERVAL") {
            Some(self.unsigned()?)
        } else {
            None
        };
        let limit = if self.eat_keyword("LIMIT") {
            Some(self.unsigned()?)
        } else {
            None
        };
        Ok(StatementKind::Print {
            topic,
            from_beginning,
            interval,
            limit,
        })
    }

    /// Grammar: topic_name
    fn topic_name(&mut self) -> Result<TopicName> {
        if let Token::SingleQuotedString(s) = self.peek() {
            let name = TopicName::Literal(s.clone());
            self.advance();
            return Ok(name);
        }
        self.at_keyword("a string");
        Ok(TopicName::Ident(self.ident()?))
    }

    /// Grammar: property_statement
    pub(super) fn property_statement(&mut self) -> Result<StatementKind> {
        if self.eat_keyword("UNSET") {
            return Ok(StatementKind::UnsetProperty {
                name: self.string()?,
            });
        }
        self.expect_keyword("SET")?;
        let name = self.string()?;
        self.expect(&Token::Eq, "'='")?;
        let value = self.string()?;
        Ok(StatementKind::SetProperty { name, value })
    }

    /// Grammar: variable_statement
    pub(super) fn variable_statement(&mut self) -> Result<StatementKind> {
        if self.eat_keyword("UNDEFINE") {
            return Ok(StatementKind::Undefine {
                name: self.ident()?,
            });
        }
        self.expect_keyword("DEFINE")?;
        let name = self.ident()?;
        self.expect(&Token::Eq, "'='")?;
        let value = self.string()?;
        Ok(StatementKind::Define { name, value })
    }

    /// Grammar: run_script
    pub(super) fn run_script(&mut self) -> Result<StatementKind> {
        self.expect_keyword("RUN")?;
        self.expect_keyword("SCRIPT")?;
        Ok(StatementKind::RunScript {
            path: self.string()?,
        })
    }

    /// Grammar: create_connector
    pub(super) fn create_connector(&mut self) -> Result<StatementKind> {
        let Some(kind) = self.connector_kind() else {
            return Err(self.expected_error());
        };
        self.expect_keyword("CONNECTOR")?;
        let if_not_exists = self.eat_keywords(&["IF", "NOT", "EXISTS"]);
        let name = self.ident()?;
        self.expect_keyword("WITH")?;
        let properties = self.with_properties(false)?;
        Ok(StatementKind::CreateConnector(CreateConnector {
            kind,
            if_not_exists,
            name,
            properties,
        }))
    }

    /// Grammar: assert_statement
    pub(super) fn assert_statement(&mut self) -> Result<StatementKind> {
        self.expect_keyword("ASSERT")?;
        let not_exists = self.eat_keywords(&["NOT", "EXISTS"]);
        self.expect_keyword("TOPIC")?;
        let topic = self.topic_name()?;
        let properties = self.optional_properties()?;
        let timeout = if self.eat_keyword("TIMEOUT") {
            Some(self.duration()?)
        } else {
            None
        };
        Ok(StatementKind::AssertTopic(AssertTopic {
            not_exists,
            topic,
            properties,
            timeout,
        }))
    }
}
