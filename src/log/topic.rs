//! A topic: its name, its validated config and its partitions.

use std::path::PathBuf;
use std::sync::Arc;

use super::config::TopicConfig;
use super::error::{LogError, Result};
use super::partition::Partition;

/// Topics whose names start with this are the log's own (e.g. `__consumer_offsets`).
pub const INTERNAL_PREFIX: &str = "__";

/// A topic and its partitions.
#[derive(Debug)]
pub struct Topic {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    pub(crate) config: Arc<TopicConfig>,
    pub(crate) partitions: Vec<Arc<Partition>>,
}

impl Topic {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn config(&self) -> &TopicConfig {
        &self.config
    }

    pub fn is_internal(&self) -> bool {
        self.name.starts_with(INTERNAL_PREFIX)
    }

    pub fn partition_count(&self) -> u32 {
        self.partitions.len() as u32
    }

    pub fn partitions(&self) -> &[Arc<Partition>] {
        &self.partitions
    }

    /// The partition with this number, or an error naming the topic and its size.
    pub fn partition(&self, partition: u32) -> Result<&Arc<Partition>> {
        self.partitions
            .get(partition as usize)
            .ok_or_else(|| LogError::UnknownPartition {
                topic: self.name.clone(),
                partition,
                partitions: self.partition_count(),
            })
    }
}

/// Checks a topic name as Kafka does: 1 to 249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
pub fn validate_topic_name(name: &str) -> Result<()> {
    let invalid = |reason: &str| LogError::InvalidTopicName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() || name.len() > 249 {
        return Err(invalid("a topic name has 1 to 249 characters"));
    }
    if name == "." || name == ".." {
        return Err(invalid("'.' and '..' are not topic names"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(invalid(&format!(
            "character '{bad}' is not allowed (use letters, digits, '.', '_', '-')"
        )));
    }
    Ok(())
}
