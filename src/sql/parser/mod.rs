//! The parser: a recursive-descent statement parser and a precedence-climbing
//! expression parser over sqlparser's tokens (see `grammar/README.md` for why).

mod admin;
mod cursor;
mod expr;
mod query;
mod script;
mod statement;

pub use script::{
    Variables, parse_column_list, parse_statement, parse_statements,
    parse_statements_with_variables,
};

pub(crate) use cursor::Parser;

/// How deeply expressions, types and parentheses may nest before parsing stops
/// with an error instead of exhausting the stack.
pub const MAX_NESTING: usize = 64;

/// How many binary operators (`a OR b`, `x + y`, ...) one statement may hold: a chain
/// of them is a tree as deep as it is long, and planning recurses through it.
pub const MAX_OPERATORS: usize = 1000;
