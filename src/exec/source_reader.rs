//! SourceReader: a task's position in one source partition, resumed from and committed to
//! the query's consumer group; DecodingReader adds the decoding every task does next.
//!
//! A task with a changelog resumes from its checkpoint instead ([`SourceReader::seek`]):
//! the checkpoint is committed atomically with the state it produced; the consumer-group
//! commit that follows it is kept so `runnel group` shows the queries' lag.

use std::sync::Arc;

use super::change::ChangeBatch;
use super::error::Result;
use super::processing_log::ProcessingError;
use super::source::SourceExec;
use crate::log::{ConsumedRecord, Log, Partition, ReadLimits, TopicPartition};
use crate::plan::SourceInput;

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

/// A task's source: its position in one partition and the decoder of what it reads, the
/// setup every single-source task (select, repartition) shares.
pub struct DecodingReader {
    reader: SourceReader,
    decoder: SourceExec,
}

/// One read of a source partition, decoded.
pub struct DecodedRead {
    /// The records as read; their payloads are slices of the log's read buffer.
    pub records: Vec<ConsumedRecord>,
    /// The rows that decoded, laid out as the source's scope.
    pub batch: ChangeBatch,
    /// The records that failed to decode, for the processing log.
    pub errors: Vec<ProcessingError>,
    /// The offset after the last record read.
    pub next_offset: u64,
}

impl DecodingReader {
    /// A reader of `partition` of `input`'s source that resumes from the offset committed
    /// for `group` (the query id), or from `default_offset`.
    pub fn try_new(
        log: &Log,
        input: &SourceInput,
        partition: Arc<Partition>,
        group: &str,
        default_offset: u64,
    ) -> Result<Self> {
        Ok(DecodingReader {
            reader: SourceReader::new(log, partition, group, default_offset),
            decoder: SourceExec::try_new(input)?,
        })
    }

    /// With `throw`, an invalid source event time fails the query instead of being
    /// logged and skipped (`ksql.timestamp.throw.on.invalid`).
    pub fn with_throw_on_invalid_timestamp(mut self, throw: bool) -> Self {
        self.decoder = self.decoder.with_throw_on_invalid_timestamp(throw);
        self
    }

    /// See [`SourceExec::with_used_columns`].
    pub fn with_used_columns(mut self, used: &[bool]) -> Self {
        self.decoder = self.decoder.with_used_columns(used);
        self
    }

    pub fn partition(&self) -> &Arc<Partition> {
        self.reader.partition()
    }

    /// See [`SourceReader::next_offset`].
    pub fn next_offset(&self) -> u64 {
        self.reader.next_offset()
    }

    /// See [`SourceReader::seek`].
    pub fn seek(&mut self, offset: u64) {
        self.reader.seek(offset);
    }

    /// Reads up to `max_records` records and decodes them; `None` at the end.
    pub fn read_decoded(&self, max_records: usize) -> Result<Option<DecodedRead>> {
        let records = self.reader.read(max_records)?;
        let Some(last) = records.last() else {
            return Ok(None);
        };
        let next_offset = last.offset + 1;
        let (batch, errors) = self.decoder.decode(self.partition().id(), &records)?;
        Ok(Some(DecodedRead {
            records,
            batch,
            errors,
            next_offset,
        }))
    }

    /// See [`SourceReader::commit`].
    pub fn commit(&mut self, log: &Log, records: &[ConsumedRecord]) -> Result<()> {
        self.reader.commit(log, records)
    }
}

fn topic_partition(partition: &Partition) -> TopicPartition {
    TopicPartition {
        topic: partition.topic().to_string(),
        partition: partition.id(),
    }
}
