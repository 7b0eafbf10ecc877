//! Execution errors: what stops a running query (bad records do not: they are logged).

use thiserror::Error;

use crate::format::FormatError;
use crate::log::LogError;

pub type Result<T, E = ExecError> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum ExecError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("evaluation: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error(
        "Fatal user code error in TimestampExtractor callback for record at {topic}/{partition}@{offset}: {message}"
    )]
    InvalidTimestamp {
        topic: String,
        partition: u32,
        offset: u64,
        message: String,
    },
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error("{0}")]
    Unsupported(String),
    #[error("internal error (a bug in Runnel): {0}")]
    Internal(String),
}
