//! Catalog errors: statements that would make the catalog inconsistent.

use thiserror::Error;

use crate::format::FormatError;

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum CatalogError {
    /// A statement ksqlDB would refuse, with ksqlDB's message.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Format(#[from] FormatError),
}
