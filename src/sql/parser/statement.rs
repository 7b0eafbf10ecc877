//! Statements that define or change data: CREATE, INSERT, DROP, ALTER, and types.

use sqlparser::tokenizer::Token;

use super::Parser;
use crate::sql::ast::{
    AlterSource, ColumnConstraint, CreateAsSelect, CreateSource, CreateType, DropSource,
    InsertInto, InsertValues, Literal, Property, SourceKind, StatementKind, TableElement,
};
use crate::sql::error::Result;

impl Parser<'_> {
    /// Grammar: statement
    pub fn statement(&mut self) -> Result<StatementKind> {
        let word = match self.peek() {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            _ => String::new(),
        };
        match word.as_str() {
            "CREATE" => self.create_statement(),
            "INSERT" => self.insert_statement(),
            "SELECT" => Ok(StatementKind::Query(Box::new(self.query()?))),
            "DROP" => self.drop_statement(),
            "ALTER" => self.alter_statement(),
            "SHOW" | "LIST" => self.show_statement(),
            "DESCRIBE" => self.describe_statement(),
            "EXPLAIN" => self.explain_statement(),
            "TERMINATE" | "PAUSE" | "RESUME" => self.query_control_statement(),
            "PRINT" => self.print_statement(),
            "SET" | "UNSET" => self.property_statement(),
            "DEFINE" | "UNDEFINE" => self.variable_statement(),
            "RUN" => self.run_script(),
            "ASSERT" => self.assert_statement(),
            _ => {
                for kw in [
                    "CREATE",
                    "INSERT",
                    "SELECT",
                    "DROP",
                    "ALTER",
                    "SHOW",
                    "LIST",
                    "DESCRIBE",
                    "EXPLAIN",
                    "TERMINATE",
                    "PAUSE",
                    "RESUME",
                    "PRINT",
                    "SET",
                    "UNSET",
                    "DEFINE",
                    "UNDEFINE",
                    "RUN",
                    "ASSERT",
                ] {
                    self.at_keyword(kw);
                }
                Err(self.expected_error())
            }
        }
    }

    /// Grammar: create_statement
    fn create_statement(&mut self) -> Result<StatementKind> {
        self.expect_keyword("CREATE")?;
        let or_replace = self.eat_keywords(&["OR", "REPLACE"]);
        if !or_replace {
            if self.eat_keyword("TYPE") {
                return self.create_type();
            }
            if (self.keyword_at(0, "SOURCE") || self.keyword_at(0, "SINK"))
                && self.keyword_at(1, "CONNECTOR")
            {
                return self.create_connector();
            }
        }
        let is_source = self.eat_keyword("SOURCE");
        let kind = self.source_kind()?;
        let if_not_exists = self.eat_keywords(&["IF", "NOT", "EXISTS"]);
        let name = self.ident()?;
        if !is_source && !self.at(&Token::LParen, "'('") {
            let properties = self.optional_properties()?;
            if self.eat_keyword("AS") {
                let query = Box::new(self.persistent_query()?);
                return Ok(StatementKind::CreateAsSelect(CreateAsSelect {
                    or_replace,
                    kind,
                    if_not_exists,
                    name,
                    properties,
                    query,
                }));
            }
            return Ok(StatementKind::CreateSource(CreateSource {
                or_replace,
                is_source,
                kind,
                if_not_exists,
                name,
                elements: Vec::new(),
                properties,
            }));
        }
        let elements = if self.at(&Token::LParen, "'('") {
            self.table_elements()?
        } else {
            Vec::new()
        };
        let properties = self.optional_properties()?;
        Ok(StatementKind::CreateSource(CreateSource {
            or_replace,
            is_source,
            kind,
            if_not_exists,
            name,
            elements,
            properties,
        }))
    }

    /// Grammar: source_kind
    fn source_kind(&mut self) -> Result<SourceKind> {
        if self.eat_keyword("STREAM") {
            Ok(SourceKind::Stream)
        } else if self.eat_keyword("TABLE") {
            Ok(SourceKind::Table)
        } else {
            Err(self.expected_error())
        }
    }

    /// Grammar: table_elements
    pub fn table_elements(&mut self) -> Result<Vec<TableElement>> {
        self.expect(&Token::LParen, "'('")?;
        let elements = self.table_element_list()?;
        self.expect(&Token::RParen, "')'")?;
        Ok(elements)
    }

    /// Column declarations separated by commas (also the shape of QTT schemas).
    pub fn table_element_list(&mut self) -> Result<Vec<TableElement>> {
        let mut elements = vec![self.table_element()?];
        while self.eat(&Token::Comma, "','") {
            elements.push(self.table_element()?);
        }
        Ok(elements)
    }

    /// Grammar: table_element
    fn table_element(&mut self) -> Result<TableElement> {
        let name = self.ident()?;
        let ty = self.sql_type()?;
        let constraint = self.column_constraint()?;
        Ok(TableElement {
            name,
            ty,
            constraint,
        })
    }

    /// Grammar: column_constraint
    fn column_constraint(&mut self) -> Result<ColumnConstraint> {
        if self.eat_keywords(&["PRIMARY", "KEY"]) {
            Ok(ColumnConstraint::PrimaryKey)
        } else if self.eat_keyword("KEY") {
            Ok(ColumnConstraint::Key)
        } else if self.eat_keyword("HEADERS") {
            Ok(ColumnConstraint::Headers)
        } else if self.eat_keyword("HEADER") {
            self.expect(&Token::LParen, "'('")?;
            let key = self.string()?;
            self.expect(&Token::RParen, "')'")?;
            Ok(ColumnConstraint::Header(key))
        } else {
            Ok(ColumnConstraint::None)
        }
    }

    /// `WITH (...)` if present, else no properties.
    pub fn optional_properties(&mut self) -> Result<Vec<Property>> {
        if self.eat_keyword("WITH") {
            self.with_properties(true)
        } else {
            Ok(Vec::new())
        }
    }

    /// `upper_case_names` is false for connector configurations, whose keys
    /// (`'connector.class'`) are case-sensitive; then quoted names stay verbatim.
    /// Grammar: with_properties
    pub fn with_properties(&mut self, upper_case_names: bool) -> Result<Vec<Property>> {
        self.expect(&Token::LParen, "'('")?;
        let mut properties = Vec::new();
        loop {
            let name = match self.peek() {
                Token::Word(w) if w.quote_style.is_none() => w.value.to_uppercase(),
                Token::Word(w) if !upper_case_names => w.value.clone(),
                Token::SingleQuotedString(s) if !upper_case_names => s.clone(),
                Token::Word(w) => w.value.to_uppercase(),
                Token::SingleQuotedString(s) => s.to_uppercase(),
                _ => {
                    self.at_keyword("a property name");
                    return Err(self.expected_error());
                }
            };
            self.advance();
            self.expect(&Token::Eq, "'='")?;
            let value = self.property_value()?;
            if properties.iter().any(|p: &Property| p.name == name) {
                return Err(self.error_here(format!("property {name} is given twice")));
            }
            properties.push(Property { name, value });
            if !self.eat(&Token::Comma, "','") {
                break;
            }
        }
        self.expect(&Token::RParen, "')'")?;
        Ok(properties)
    }

    /// Grammar: property_value
    fn property_value(&mut self) -> Result<Literal> {
        let negative = self.eat(&Token::Minus, "'-'");
        let literal = match self.peek().clone() {
            Token::SingleQuotedString(s) if !negative => Literal::String(s),
            Token::Number(digits, _) => {
                let text = if negative {
                    format!("-{digits}")
                } else {
                    digits
                };
                self.number_literal(&text)?
            }
            Token::Word(w) if !negative && w.quote_style.is_none() => {
                match w.value.to_ascii_uppercase().as_str() {
                    "TRUE" => Literal::Boolean(true),
                    "FALSE" => Literal::Boolean(false),
                    "NULL" => Literal::Null,
                    _ => {
                        self.at_keyword("a literal");
                        return Err(self.expected_error());
                    }
                }
            }
            _ => {
                self.at_keyword("a literal");
                return Err(self.expected_error());
            }
        };
        self.advance();
        Ok(literal)
    }

    /// Grammar: insert_statement
    fn insert_statement(&mut self) -> Result<StatementKind> {
        self.expect_keyword("INSERT")?;
        self.expect_keyword("INTO")?;
        let target = self.ident()?;
        if self.at_keyword("SELECT") || self.at_keyword("WITH") {
            let properties = self.optional_properties()?;
            let query = Box::new(self.persistent_query()?);
            return Ok(StatementKind::InsertInto(InsertInto {
                target,
                properties,
                query,
            }));
        }
        let mut columns = Vec::new();
        if self.eat(&Token::LParen, "'('") {
            loop {
                columns.push(self.ident()?);
                if !self.eat(&Token::Comma, "','") {
                    break;
                }
            }
            self.expect(&Token::RParen, "')'")?;
        }
        self.expect_keyword("VALUES")?;
        self.expect(&Token::LParen, "'('")?;
        let values = self.expression_list(&Token::RParen, "')'")?;
        Ok(StatementKind::InsertValues(InsertValues {
            target,
            columns,
            values,
        }))
    }

    /// Grammar: drop_statement
    fn drop_statement(&mut self) -> Result<StatementKind> {
        self.expect_keyword("DROP")?;
        if self.eat_keyword("TYPE") {
            let if_exists = self.eat_keywords(&["IF", "EXISTS"]);
            let name = self.ident()?;
            return Ok(StatementKind::DropType { if_exists, name });
        }
        if self.eat_keyword("CONNECTOR") {
            let if_exists = self.eat_keywords(&["IF", "EXISTS"]);
            let name = self.ident()?;
            return Ok(StatementKind::DropConnector { if_exists, name });
        }
        let kind = self.source_kind()?;
        let if_exists = self.eat_keywords(&["IF", "EXISTS"]);
        let name = self.ident()?;
        let delete_topic = self.eat_keywords(&["DELETE", "TOPIC"]);
        Ok(StatementKind::DropSource(DropSource {
            kind,
            if_exists,
            name,
            delete_topic,
        }))
    }

    /// Grammar: create_type
    fn create_type(&mut self) -> Result<StatementKind> {
        let if_not_exists = self.eat_keywords(&["IF", "NOT", "EXISTS"]);
        let name = self.ident()?;
        self.expect_keyword("AS")?;
        let ty = self.sql_type()?;
        Ok(StatementKind::CreateType(CreateType {
            if_not_exists,
            name,
            ty,
        }))
    }

    /// Grammar: alter_statement
    fn alter_statement(&mut self) -> Result<StatementKind> {
        self.expect_keyword("ALTER")?;
        let kind = self.source_kind()?;
        let name = self.ident()?;
        let mut add_columns = Vec::new();
        loop {
            self.expect_keyword("ADD")?;
            self.eat_keyword("COLUMN");
            let column = self.ident()?;
            let ty = self.sql_type()?;
            add_columns.push((column, ty));
            if !self.eat(&Token::Comma, "','") {
                break;
            }
        }
        Ok(StatementKind::AlterSource(AlterSource {
            kind,
            name,
            add_columns,
        }))
    }
}
