//! The log layer's error type: what went wrong and where (topic, partition, file, offset).

use std::path::PathBuf;

/// Everything the log can fail with; each variant names what failed and where.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// An I/O operation failed on a file or directory.
    #[error("I/O error while {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Bytes on disk do not form a valid RecordBatch v2 (or index) where one was expected.
    #[error("corrupted data in {path} at byte {position} (offset {offset}): {reason}")]
    Corrupted {
        path: PathBuf,
        position: u64,
        offset: u64,
        reason: String,
    },
    /// A previous write or fsync failed; the partition refuses writes until reopened.
    #[error(
        "partition {topic}-{partition} refuses writes after a failed write or fsync; reopen the log"
    )]
    WritesRefused { topic: String, partition: u32 },
    #[error("topic '{0}' does not exist")]
    UnknownTopic(String),
    #[error("topic '{0}' already exists")]
    TopicExists(String),
    #[error("invalid topic name '{name}': {reason}")]
    InvalidTopicName { name: String, reason: String },
    #[error("topic '{topic}' has {partitions} partition(s); partition {partition} does not exist")]
    UnknownPartition {
        topic: String,
        partition: u32,
        partitions: u32,
    },
    /// A topic configuration key or value was refused.
    #[error("invalid topic config: {0}")]
    InvalidConfig(String),
    /// A read asked for an offset outside `[log_start_offset, end_offset]`.
    #[error(
        "offset {offset} is out of range for {topic}-{partition}: valid offsets are {log_start}..={end}"
    )]
    OffsetOutOfRange {
        topic: String,
        partition: u32,
        offset: u64,
        log_start: u64,
        end: u64,
    },
    /// A record or batch cannot be encoded (too large for the format's fields).
    #[error("cannot append to {topic}-{partition}: {reason}")]
    InvalidAppend {
        topic: String,
        partition: u32,
        reason: String,
    },
    /// Another process holds the log directory.
    #[error("log directory {0} is in use by another process")]
    Locked(PathBuf),
    /// Consumer-group protocol misuse: unknown member, stale generation, bad input.
    #[error("consumer group '{group}': {reason}")]
    Group { group: String, reason: String },
    /// An invariant of the log itself was broken: this is a bug in Runnel.
    #[error("internal error (a bug in runnel): {0}")]
    Internal(String),
}

/// The log layer's result alias.
pub type Result<T, E = LogError> = std::result::Result<T, E>;

impl LogError {
    /// Wraps an `io::Error` with the action and the path it concerned.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LogError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
