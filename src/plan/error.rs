//! Planning errors: what is wrong with a statement before anything runs.

use thiserror::Error;

pub type Result<T, E = PlanError> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum PlanError {
    #[error("Column '{0}' cannot be resolved.")]
    UnknownColumn(String),
    #[error("Column '{0}' is ambiguous: qualify it with its source name or alias.")]
    AmbiguousColumn(String),
    #[error("Can't find any functions with the name '{0}'")]
    UnknownFunction(String),
    #[error("{0}")]
    Type(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("internal error (a bug in Runnel): {0}")]
    Internal(String),
}
