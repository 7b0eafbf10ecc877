//! SinkExec: encodes output rows and appends them to the sink topic.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::change::RowKind;
use super::error::{ExecError, Result};
use super::source::EventTimeReader;
use crate::catalog::{Source, WindowType};
use crate::format::{self, EncodedBatch, RecordEncoder, SerdePart};
use crate::log::{Producer, Topic, partition_for_key};
use arrow::array::{ArrayRef, Int64Array};

/// Writes a query's output to its sink: key columns to the record key (with the
/// window appended for windowed output), value columns to the value, ROWTIME to the
/// record timestamp. A table's deletes become tombstones.
pub struct SinkExec {
    producer: Producer,
    key: RecordEncoder,
    value: RecordEncoder,
    key_positions: Vec<usize>,
    value_positions: Vec<usize>,
    window: Option<WindowType>,
    /// `WITH (TIMESTAMP=...)` on the sink: the output column whose value becomes the
    /// record timestamp, and how to read it.
    event_time: Option<(usize, EventTimeReader)>,
    /// Whether the key columns were computed (PARTITION BY) rather than passed through.
    computed_key: bool,
    /// Rows of the last `write` that were not written because their sink timestamp was
    /// invalid, with why; the caller reports them to the processing log.
    pub skipped: Vec<(usize, String)>,
    /// Per sink partition, how many of the next records are already in the log: output
    /// a crashed run appended before its checkpoint, which a restarted task must not
    /// write again (see `state::changelog`).
    already_written: BTreeMap<u32, u64>,
    /// Where records without a key go: fixed per task, so a replayed batch sends them
    /// where the first run did; unset, the producer's sticky partitioner picks.
    null_key_partition: Option<u32>,
    /// The encoded keys and values of the last batch, reused so that encoding a batch
    /// allocates nothing once the buffers have grown.
    keys: EncodedBatch,
    values: EncodedBatch,
}

impl SinkExec {
    /// `is_key` says, per output column, whether it belongs to the key.
    pub fn try_new(sink: &Source, topic: Arc<Topic>, is_key: &[bool]) -> Result<Self> {
        let key_columns: Vec<format::Column> = sink
            .schema
            .key_columns()
            .map(|c| format::Column::new(&c.name, c.ty.clone()))
            .collect();
        let value_columns: Vec<format::Column> = sink
            .schema
            .value_columns()
            .map(|c| format::Column::new(&c.name, c.ty.clone()))
            .collect();
        let key_positions: Vec<usize> = (0..is_key.len()).filter(|i| is_key[*i]).collect();
        let value_positions: Vec<usize> = (0..is_key.len()).filter(|i| !is_key[*i]).collect();
        Ok(SinkExec {
            computed_key: false,
            event_time: None,
            skipped: Vec::new(),
            already_written: BTreeMap::new(),
            null_key_partition: None,
            keys: EncodedBatch::default(),
            values: EncodedBatch::default(),
            producer: Producer::new(topic),
            key: RecordEncoder::try_new(&sink.key_format, SerdePart::Key, &key_columns)?,
            value: RecordEncoder::try_new(&sink.value_format, SerdePart::Value, &value_columns)?,
            key_positions,
            value_positions,
            window: sink.window.map(|w| w.kind),
        })
    }

    /// The key columns are computed by PARTITION BY: a key of several columns that are
    /// all NULL is still written as a record of NULLs, as ksqlDB builds it.
    pub fn with_computed_key(mut self) -> Self {
        self.computed_key = true;
        self
    }

    /// Takes each record's timestamp from the sink's `WITH (TIMESTAMP=...)` column, as a
    /// persistent query's sink does; rows whose time is invalid are skipped (see
    /// [`SinkExec::skipped`]).
    pub fn with_sink_timestamp(mut self, sink: &Source) -> Result<Self> {
        self.event_time = match &sink.timestamp {
            Some(timestamp) => {
                let in_key = sink
                    .schema
                    .key_columns()
                    .position(|c| c.name == timestamp.column)
                    .and_then(|i| self.key_positions.get(i));
                let in_value = sink
                    .schema
                    .value_columns()
                    .position(|c| c.name == timestamp.column)
                    .and_then(|i| self.value_positions.get(i));
                let position = in_key.or(in_value).copied().ok_or_else(|| {
                    ExecError::Internal(format!(
                        "sink timestamp column {} is not an output column",
                        timestamp.column
                    ))
                })?;
                Some((position, EventTimeReader::try_new(timestamp)?))
            }
            None => None,
        };
        Ok(self)
    }

    /// Sends records without a key to `source_partition` modulo the sink's partitions
    /// (deterministic, unlike a sticky partitioner, so a replay repeats it).
    pub fn with_null_key_partition(mut self, source_partition: u32) -> Self {
        self.null_key_partition =
            Some(source_partition % self.producer.topic().partition_count().max(1));
        self
    }

    /// The sink topic.
    pub fn topic(&self) -> &Arc<Topic> {
        self.producer.topic()
    }

    /// Skips the next `count` records bound for each partition: they are in the log
    /// already (written by a run that crashed before its checkpoint).
    pub fn skip_already_written(&mut self, counts: BTreeMap<u32, u64>) {
        self.already_written = counts;
        self.already_written.retain(|_, count| *count > 0);
    }

    /// Records buffered by [`SinkExec::write_buffered`] and not yet flushed.
    pub fn pending_records(&self) -> usize {
        self.producer.pending_records()
    }

    /// Appends the buffered records, one batch per partition.
    pub fn flush(&mut self) -> Result<()> {
        self.producer.flush()?;
        Ok(())
    }

    /// [`SinkExec::write_buffered`], then [`SinkExec::flush`].
    pub fn write(
        &mut self,
        columns: &[ArrayRef],
        kinds: &[RowKind],
        rowtimes: &Int64Array,
        windows: Option<(&Int64Array, &Int64Array)>,
    ) -> Result<usize> {
        let written = self.write_buffered(columns, kinds, rowtimes, windows)?;
        self.flush()?;
        Ok(written)
    }

    /// Buffers one record per row that is not an `UpdateBefore`; `windows` gives each
    /// row's window bounds when the output is windowed. Returns how many were written.
    pub fn write_buffered(
        &mut self,
        columns: &[ArrayRef],
        kinds: &[RowKind],
        rowtimes: &Int64Array,
        windows: Option<(&Int64Array, &Int64Array)>,
    ) -> Result<usize> {
        let rows = kinds.len();
        let pick = |positions: &[usize]| -> Vec<ArrayRef> {
            positions.iter().map(|i| Arc::clone(&columns[*i])).collect()
        };
        let key_columns = pick(&self.key_positions);
        // A key whose columns are all NULL is written as a null key, as ksqlDB does
        // (a key of several columns computed by PARTITION BY stays a record of NULLs).
        let null_keys: Vec<bool> = (0..rows)
            .map(|row| {
                let all_null =
                    !key_columns.is_empty() && key_columns.iter().all(|c| c.is_null(row));
                all_null && (key_columns.len() == 1 || !self.computed_key)
            })
            .collect();
        self.key
            .encode_batch(&key_columns, rows, Some(&null_keys), &mut self.keys)?;
        let deletes: Vec<bool> = kinds.iter().map(|k| *k == RowKind::Delete).collect();
        self.value.encode_batch(
            &pick(&self.value_positions),
            rows,
            Some(&deletes),
            &mut self.values,
        )?;
        self.skipped.clear();
        let partitions = self.producer.topic().partition_count();
        let mut written = 0;
        for (row, kind) in kinds.iter().enumerate() {
            if *kind == RowKind::UpdateBefore {
                continue;
            }
            let key = self.keys.payload(row);
            let windowed = match (self.window, windows) {
                (Some(kind), Some((starts, ends))) => Some(super::source::windowed_key(
                    key.unwrap_or(&[]),
                    kind,
                    starts.value(row),
                    ends.value(row),
                )),
                _ => None,
            };
            let key = windowed.as_deref().or(key);
            let timestamp = match &self.event_time {
                Some((position, reader)) => match reader.read(columns[*position].as_ref(), row) {
                    Ok(millis) => millis,
                    Err(message) => {
                        self.skipped.push((row, message));
                        continue;
                    }
                },
                None => rowtimes.value(row),
            };
            let partition = match key {
                Some(key) => Some(partition_for_key(key, partitions)),
                None => self.null_key_partition,
            };
            if let Some(count) = partition.and_then(|p| self.already_written.get_mut(&p)) {
                *count -= 1;
                if *count == 0 {
                    self.already_written.retain(|_, c| *c > 0);
                }
                continue;
            }
            self.producer
                .send_parts(key, self.values.payload(row), timestamp, partition)?;
            written += 1;
        }
        Ok(written)
    }
}
