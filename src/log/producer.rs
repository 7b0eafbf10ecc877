//! A producer-side helper: partitions records and appends them per partition in batches.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::Result;
use super::partitioner::Partitioner;
use super::record::{OffsetRange, Record};
use super::topic::Topic;

/// Buffers records for one topic, choosing partitions as Kafka's default partitioner
/// would, and appends one batch per partition on [`Producer::flush`].
#[derive(Debug)]
pub struct Producer {
    topic: Arc<Topic>,
    partitioner: Partitioner,
    pending: BTreeMap<u32, Vec<Record>>,
}

impl Producer {
    pub fn new(topic: Arc<Topic>) -> Self {
        Producer {
            topic,
            partitioner: Partitioner::new(),
            pending: BTreeMap::new(),
        }
    }

    pub fn topic(&self) -> &Arc<Topic> {
        &self.topic
    }

    /// Picks the record's partition (checking an explicit one) and buffers it.
    pub fn send(&mut self, record: Record, partition: Option<u32>) -> Result<u32> {
        if let Some(p) = partition {
            self.topic.partition(p)?;
        }
        let p = self.partitioner.partition(
            record.key.as_deref(),
            partition,
            self.topic.partition_count(),
        );
        self.pending.entry(p).or_default().push(record);
        Ok(p)
    }

    pub fn pending_records(&self) -> usize {
        self.pending.values().map(Vec::len).sum()
    }

    /// Appends the buffered records, one batch per partition, returning their offsets.
    pub fn flush(&mut self) -> Result<Vec<(u32, OffsetRange)>> {
        let mut appended = Vec::with_capacity(self.pending.len());
        while let Some((p, records)) = self.pending.pop_first() {
            match self.topic.partition(p)?.append(&records) {
                Ok(range) => appended.push((p, range)),
                Err(e) => {
                    self.pending.insert(p, records);
                    return Err(e);
                }
            }
        }
        self.partitioner.batch_done();
        Ok(appended)
    }

    /// Appends one record now (a batch of one) and returns its partition and offset.
    pub fn send_now(&mut self, record: Record, partition: Option<u32>) -> Result<(u32, u64)> {
        let p = self.partitioner.partition(
            record.key.as_deref(),
            partition,
            self.topic.partition_count(),
        );
        let range = self
            .topic
            .partition(p)?
            .append(std::slice::from_ref(&record))?;
        if record.key.is_none() && partition.is_none() {
            self.partitioner.batch_done();
        }
        Ok((p, range.first))
    }
}
