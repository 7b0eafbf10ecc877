//! The ksqlDB SQL dialect: types, AST, parser, printer and errors.

pub mod ast;
pub mod error;
pub mod keywords;
pub mod lexer;
pub mod parser;
mod printer;
pub mod type_parser;
pub mod types;

pub use ast::{Statement, StatementKind};
pub use error::{ParseError, Position};
pub use parser::{
    Variables, parse_column_list, parse_statement, parse_statements,
    parse_statements_with_variables,
};
pub use type_parser::{parse_duration, parse_type};
pub use types::{SqlType, StructField};
