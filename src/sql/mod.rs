//! The ksqlDB SQL dialect: types, AST, parser, printer and errors.

pub mod ast;
pub mod keywords;
pub mod types;

pub use ast::{Statement, StatementKind};
pub use types::{SqlType, StructField};
