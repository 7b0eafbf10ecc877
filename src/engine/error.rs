//! The engine's error: any layer's error, as one statement's failure.

use thiserror::Error;

use crate::catalog::CatalogError;
use crate::exec::ExecError;
use crate::format::FormatError;
use crate::log::LogError;
use crate::plan::PlanError;
use crate::sql::ParseError;

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error("{0}")]
    Catalog(#[from] CatalogError),
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Exec(#[from] ExecError),
    #[error("{0}")]
    Log(#[from] LogError),
    #[error("{0}")]
    Format(#[from] FormatError),
    /// A statement ksqlDB would refuse for a reason of its own.
    #[error("{0}")]
    Statement(String),
    /// A statement Runnel does not run yet.
    #[error("{0}")]
    Unsupported(String),
}

impl EngineError {
    /// Whether the error comes from a format Runnel declares out of scope (AVRO, ...).
    pub fn is_unsupported_format(&self) -> bool {
        matches!(
            self,
            EngineError::Format(FormatError::UnsupportedFormat(_))
                | EngineError::Catalog(CatalogError::Format(FormatError::UnsupportedFormat(_)))
        )
    }
}
