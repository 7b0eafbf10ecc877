//! The processing log: records a query could not process, with where they came from.

use serde::Serialize;

/// A record that failed to decode or to evaluate. Queries keep running; the record is
/// counted and written to the `RUNNEL_PROCESSING_LOG` stream instead of being dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub struct ProcessingError {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    pub message: String,
}

/// The stream (and topic) that collects processing errors.
pub const PROCESSING_LOG: &str = "RUNNEL_PROCESSING_LOG";
