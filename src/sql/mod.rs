//! The ksqlDB SQL dialect: types, AST, parser, printer and errors.

pub mod types;

pub use types::{SqlType, StructField};
