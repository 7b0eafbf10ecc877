//! RepartitionTask: the first stage of a re-keyed query. It reads one source partition,
//! filters, computes each record's new key and appends the record, unchanged, to the
//! partition of the internal repartition topic that the Kafka partitioner picks for the
//! new key, so that each key is processed by one downstream task.
//!
//! A TABLE source row that moves to another partition (its new key changed) leaves a
//! tombstone where it was, so the task there retracts what the row contributed.
//!
//! Before a join every row is routed, even one whose join key is NULL or fails (it stays
//! in its partition's number): the join decides what such a row produces, and reports it.

use std::sync::Arc;

use datafusion::common::ScalarValue;
use datafusion::execution::SessionState;

use super::aggregate_task::int64_column;
use super::change::{ChangeBatch, RowKind};
use super::error::{ExecError, Result};
use super::eval::{Evaluator, where_passes};
use super::processing_log::ProcessingError;
use super::repartition_writer::RepartitionWriter;
use super::select_task::TaskMetrics;
use super::source_reader::{DecodedRead, DecodingReader};
use crate::format::{self, FormatKind, FormatSpec, RecordEncoder, SerdePart};
use crate::log::{ConsumedRecord, Log, Partition, Record, Topic, partition_for_key};
use crate::plan::repartition::{RepartitionPlan, RepartitionSite};
use crate::plan::select::{ROWOFFSET, ROWTIME};
use crate::state::codec::{I64Codec, ScalarsCodec, decode_from_slice, encode_to_vec};
use crate::state::{DurableStore, KeyedStore};

/// The header that carries a repartitioned record's new key, computed once by the
/// router (encoded as a list of scalars).
pub const GROUP_KEY_HEADER: &str = "__runnel_group_key";

/// Routes one source partition's records to the repartition topic by their new key.
pub struct RepartitionTask {
    reader: DecodingReader,
    filter: Option<Evaluator>,
    key: Evaluator,
    key_encoder: RecordEncoder,
    /// A TABLE source: the repartition partition that holds each source key's row.
    placed: Option<KeyedStore<Vec<ScalarValue>, i64>>,
    source_key_count: usize,
    /// Routing for a join: rows without a usable key are forwarded, not dropped.
    routes_every_row: bool,
    writer: RepartitionWriter,
    /// Records appended to the repartition topic: internal, so not the query's output.
    pub routed: u64,
    pub metrics: TaskMetrics,
    /// Errors since the engine last drained them into the processing log.
    pub errors: Vec<ProcessingError>,
}

impl RepartitionTask {
    /// A task for `partition` of the plan's source writing to `topic`, committing to
    /// `changelog`; it resumes from its checkpoint, or from `default_offset` when new.
    /// `key_format` is the format the new key is hashed in (the sink's key format; before
    /// a join, the key format of the side the records must meet).
    pub fn try_new(
        log: &Log,
        state: &SessionState,
        plan: &RepartitionPlan,
        key_format: &FormatSpec,
        (partition, topic, changelog): (Arc<Partition>, Arc<Topic>, Arc<Partition>),
        group_id: &str,
        default_offset: u64,
    ) -> Result<Self> {
        let scope = &plan.input.scope;
        let filter = plan
            .filter
            .as_ref()
            .map(|f| Evaluator::try_new(state, scope, std::slice::from_ref(f)))
            .transpose()?;
        let key = Evaluator::try_new(state, scope, &plan.key)?;
        let columns: Vec<format::Column> = plan
            .key
            .iter()
            .enumerate()
            .map(|(i, k)| format::Column::new(&format!("KSQL_GROUP_{i}"), k.ty.clone()))
            .collect();
        // A key format that cannot hold the new key (NONE, KAFKA for several columns)
        // still needs bytes to hash: JSON holds any key.
        let key_encoder =
            RecordEncoder::try_new(key_format, SerdePart::Key, &columns).or_else(|_| {
                RecordEncoder::try_new(&FormatSpec::new(FormatKind::Json), SerdePart::Key, &columns)
            })?;
        let is_table = plan.input.source.is_table();
        let mut task = RepartitionTask {
            reader: DecodingReader::try_new(log, &plan.input, partition, group_id, default_offset)?,
            filter,
            key,
            key_encoder,
            placed: is_table.then(|| {
                KeyedStore::with_changelog("placed", Arc::new(ScalarsCodec), Arc::new(I64Codec))
            }),
            source_key_count: plan.input.source.schema.key_columns().count(),
            routes_every_row: plan.site != RepartitionSite::GroupBy,
            writer: RepartitionWriter::new(topic, changelog),
            routed: 0,
            metrics: TaskMetrics::default(),
            errors: Vec::new(),
        };
        let start = task.reader.next_offset();
        let resume = task.writer.restore(&mut durable(&mut task.placed), start)?;
        task.reader.seek(resume);
        Ok(task)
    }

    /// Processes up to `max_records` available records; returns how many were read.
    pub fn poll_once(&mut self, log: &Log, max_records: usize) -> Result<usize> {
        let Some(DecodedRead {
            records,
            batch,
            mut errors,
            next_offset,
        }) = self.reader.read_decoded(max_records)?
        else {
            return Ok(0);
        };
        self.metrics.records_in += records.len() as u64;
        let routed = self.route(&batch, &records, &mut errors)?;
        self.writer
            .commit(&mut durable(&mut self.placed), next_offset)?;
        self.routed += routed as u64;
        self.metrics.errors += errors.len() as u64;
        self.errors.append(&mut errors);
        self.reader.commit(log, &records)?;
        Ok(records.len())
    }

    /// Sends each decoded row's record to the partition of its new key; returns how many
    /// records were sent. Rows that fail the filter are not sent (a TABLE row that was
    /// placed before is deleted where it was).
    fn route(
        &mut self,
        batch: &ChangeBatch,
        records: &[ConsumedRecord],
        errors: &mut Vec<ProcessingError>,
    ) -> Result<usize> {
        if batch.is_empty() {
            return Ok(0);
        }
        let rows = batch.num_rows();
        let offsets = int64_column(&batch.rows, ROWOFFSET)?;
        let rowtimes = int64_column(&batch.rows, ROWTIME)?;
        let passes = where_passes(self.filter.as_ref(), &batch.rows, |row, message| {
            errors.push(self.error(offsets.value(row) as u64, message))
        })?;
        // The key is computed here only (a function may answer differently on a second
        // call): it travels with the record in a header, and rows whose key fails or is
        // NULL are reported and dropped here, as ksqlDB's repartition does.
        let evaluated = self.key.evaluate(&batch.rows)?;
        if !self.routes_every_row {
            for (row, message) in &evaluated.failures {
                errors.push(self.error(
                    offsets.value(*row) as u64,
                    format!("Error evaluating GROUP BY: {message}"),
                ));
            }
        }
        let keys = self.key_encoder.encode(&evaluated.arrays, rows, None)?;
        let partitions = self.writer.partition_count().max(1);
        let fallback = self.reader.partition().id() % partitions;
        let mut sent = 0;
        for (row, key) in keys.iter().enumerate() {
            let kind = batch.kind(row);
            let offset = offsets.value(row) as u64;
            let record = find_record(records, offset).ok_or_else(|| {
                ExecError::Internal(format!("decoded row of an unread offset {offset}"))
            })?;
            let mut target = None;
            let mut header = None;
            if passes[row] && kind != RowKind::Delete && kind.is_addition() {
                let values = evaluated
                    .arrays
                    .iter()
                    .map(|array| ScalarValue::try_from_array(array, row))
                    .collect::<datafusion::error::Result<Vec<_>>>()?;
                if self.routes_every_row && values.iter().any(ScalarValue::is_null) {
                    target = Some(fallback);
                } else if values.iter().any(ScalarValue::is_null) {
                    errors.push(self.error(
                        offset,
                        "GROUP BY expression evaluated to NULL: the row is excluded from the aggregation"
                            .into(),
                    ));
                } else {
                    header = Some(encode_to_vec(&ScalarsCodec, &values).map_err(|e| {
                        ExecError::Internal(format!("encoding a GROUP BY key: {e}"))
                    })?);
                    target = Some(match key {
                        Some(bytes) => partition_for_key(bytes, partitions),
                        None => fallback,
                    });
                }
            }
            if let Some(placed) = &mut self.placed {
                let source_key = (0..self.source_key_count)
                    .map(|c| ScalarValue::try_from_array(batch.column(c), row))
                    .collect::<datafusion::error::Result<Vec<_>>>()?;
                let before = placed.get(&source_key).copied();
                if let Some(before) = before.filter(|b| target != Some(*b as u32)) {
                    let tombstone = Record {
                        key: record.key.clone(),
                        value: None,
                        timestamp: Some(rowtimes.value(row)),
                        headers: Vec::new(),
                    };
                    self.writer.send(tombstone, before as u32)?;
                    sent += 1;
                    placed.delete(&source_key);
                }
                if let Some(target) = target {
                    placed.put(source_key, i64::from(target));
                }
            }
            if let Some(target) = target {
                self.writer.send(forwarded(record, header), target)?;
                sent += 1;
            }
        }
        Ok(sent)
    }

    fn error(&self, offset: u64, message: String) -> ProcessingError {
        ProcessingError {
            topic: self.reader.partition().topic().to_string(),
            partition: self.reader.partition().id(),
            offset,
            message,
        }
    }
}

/// The task's stores, for the changelog: only a TABLE source's placements.
fn durable(placed: &mut Option<KeyedStore<Vec<ScalarValue>, i64>>) -> Vec<&mut dyn DurableStore> {
    match placed {
        Some(placed) => vec![placed],
        None => Vec::new(),
    }
}

/// The record as read (its key, value, time and headers), with its new key, when it has
/// one, in the [`GROUP_KEY_HEADER`] header.
fn forwarded(record: &ConsumedRecord, key: Option<Vec<u8>>) -> Record {
    let mut headers = record.headers.clone();
    if let Some(key) = key {
        headers.push((GROUP_KEY_HEADER.to_string(), Some(key.into())));
    }
    Record {
        key: record.key.clone(),
        value: record.value.clone(),
        timestamp: Some(record.timestamp),
        headers,
    }
}

/// The new key a downstream task takes from a repartitioned record, or why it cannot.
pub fn group_key_of(record: &ConsumedRecord) -> std::result::Result<Vec<ScalarValue>, String> {
    let bytes = record
        .headers
        .iter()
        .rev()
        .find(|(name, _)| name == GROUP_KEY_HEADER)
        .and_then(|(_, value)| value.as_deref())
        .ok_or_else(|| format!("repartitioned record without a {GROUP_KEY_HEADER} header"))?;
    decode_from_slice(&ScalarsCodec, bytes)
}

/// The record at `offset` among `records` (read in offset order).
fn find_record(records: &[ConsumedRecord], offset: u64) -> Option<&ConsumedRecord> {
    records
        .binary_search_by_key(&offset, |r| r.offset)
        .ok()
        .map(|i| &records[i])
}
