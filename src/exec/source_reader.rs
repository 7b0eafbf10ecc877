//! SourceReader: a task's position in one source partition, resumed from and committed to
//! the query's consumer group.
//!
//! A task with a changelog resumes from its checkpoint instead ([`SourceReader::seek`]):
//! the checkpoint is committed atomically with the state it produced; the consumer-group
//! commit that follows it is kept so `runnel group` shows the queries' lag.

use std::sync::Arc;

use super::error::Result;
use crate::log::{ConsumedRecord, Log, Partition, ReadLimits, TopicPartition};

/// Reads one partition of a query's source from where the query last committed.
pub struct SourceReader {
    group: String,
    partition: Arc<Partition>,
    next_offset: u64,
}

impl SourceReader {
    /// A reader of `partition` that resumes from the offset committed for `group` (the
    /// query id), or from `default_offset`, never below the log start.
    pub fn new(log: &Log, partition: Arc<Partition>, group: &str, default_offset: u64) -> Self {
        let next_offset = log
            .committed_offset(group, &topic_partition(&partition))
            .unwrap_or(default_offset)
            .max(partition.log_start_offset());
        SourceReader {
            group: group.to_string(),
            partition,
            next_offset,
        }
    }

    pub fn partition(&self) -> &Arc<Partition> {
        &self.partition
    }

    /// The offset of the next record to read.
    pub fn next_offset(&self) -> u64 {
        self.next_offset
    }

    /// Moves the position to `offset` (a restored checkpoint), never below the log start.
    pub fn seek(&mut self, offset: u64) {
        self.next_offset = offset.max(self.partition.log_start_offset());
    }

    /// Up to `max_records` records from the current position (none at the end).
    pub fn read(&self, max_records: usize) -> Result<Vec<ConsumedRecord>> {
        Ok(self
            .partition
            .read(self.next_offset, ReadLimits::records(max_records))?)
    }

    /// Marks `records` (the last `read`) as processed and commits the position after them.
    pub fn commit(&mut self, log: &Log, records: &[ConsumedRecord]) -> Result<()> {
        let Some(last) = records.last() else {
            return Ok(());
        };
        self.next_offset = last.offset + 1;
        log.commit_offsets(
            &self.group,
            &[(topic_partition(&self.partition), self.next_offset)],
        )?;
        Ok(())
    }
}

fn topic_partition(partition: &Partition) -> TopicPartition {
    TopicPartition {
        topic: partition.topic().to_string(),
        partition: partition.id(),
    }
}
