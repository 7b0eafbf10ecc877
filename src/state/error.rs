//! The state layer's error: a value that cannot be encoded, a corrupt changelog record.

use thiserror::Error;

use crate::log::LogError;

pub type Result<T, E = StateError> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum StateError {
    /// A key or value of a store that the codec cannot write.
    #[error("state store {store}: cannot encode a change: {message}")]
    Encode { store: String, message: String },
    /// A changelog record that does not decode: the topic is damaged or not ours.
    #[error("changelog {topic} partition {partition} offset {offset}: corrupt record: {message}")]
    Corrupt {
        topic: String,
        partition: u32,
        offset: u64,
        message: String,
    },
    #[error(transparent)]
    Log(#[from] LogError),
}
