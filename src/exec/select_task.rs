//! A task of a stateless query: one source partition through filter and projection.

use std::sync::Arc;

use arrow::array::{Array, BooleanArray, Int64Array, RecordBatch, new_null_array};
use arrow::compute::{FilterBuilder, nullif};
use datafusion::execution::SessionState;

use super::change::{ChangeBatch, RowKind};
use super::error::{ExecError, Result};
use super::eval::{Evaluator, predicate_mask};
use super::processing_log::ProcessingError;
use super::sink::SinkExec;
use super::source_reader::{DecodedRead, DecodingReader};
use super::table_function::TableFunctionExec;
use super::task_commit::TaskCommitter;
use crate::catalog::Source;
use crate::log::{Log, Partition};
use crate::plan::SelectPlan;
use crate::plan::select::{ROWOFFSET, ROWTIME, WINDOWEND, WINDOWSTART};

/// What a task has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskMetrics {
    pub records_in: u64,
    pub records_out: u64,
    pub errors: u64,
    /// A gauge: results EMIT FINAL holds until their window closes.
    pub suppressed_rows: u64,
}

/// Reads one partition of a query's source, filters, projects and writes the sink.
pub struct SelectTask {
    reader: DecodingReader,
    is_table: bool,
    filter: Option<Evaluator>,
    /// Per scope column, whether anything after the filter reads it (`None`: all are
    /// read, as table functions may): the filter copies only those.
    needed_after_filter: Option<Vec<bool>>,
    /// Table functions in the SELECT list expand each row before the projection.
    table_functions: Option<TableFunctionExec>,
    project: Evaluator,
    sink: SinkExec,
    rowtime_index: usize,
    window_indexes: Option<(usize, usize)>,
    /// PARTITION BY: the output key columns computed from the value, NULL for a record
    /// without one.
    keys_from_value: Vec<usize>,
    /// Commits each batch's output with its source position (no changelog: output is
    /// appended and the position committed to the consumer group only).
    committer: Option<TaskCommitter>,
    pub metrics: TaskMetrics,
    /// Errors since the engine last drained them into the processing log.
    pub errors: Vec<ProcessingError>,
}

impl SelectTask {
    /// A task for `partition` of the plan's source; it resumes from the offset committed
    /// for `group` (the query id), or from `default_offset`.
    pub fn try_new(
        log: &Log,
        state: &SessionState,
        plan: &SelectPlan,
        sink: &Source,
        partition: Arc<Partition>,
        group: &str,
        default_offset: u64,
    ) -> Result<Self> {
        let scope = &plan.input.scope;
        let filter = plan
            .filter
            .as_ref()
            .map(|f| Evaluator::try_new(state, scope, std::slice::from_ref(f)))
            .transpose()?;
        let exprs: Vec<_> = plan.output.iter().map(|c| c.expr.clone()).collect();
        let (project, table_functions) = match &plan.table_functions {
            Some(tf) => (
                Evaluator::try_new(state, &tf.scope, &exprs)?,
                Some(TableFunctionExec::try_new(state, scope, tf)?),
            ),
            None => (Evaluator::try_new(state, scope, &exprs)?, None),
        };
        let is_key: Vec<bool> = plan.output.iter().map(|c| c.is_key).collect();
        let topic = log
            .topic(&sink.topic)
            .ok_or_else(|| ExecError::Internal(format!("sink topic {} is missing", sink.topic)))?;
        let position = |name: &str| scope.columns.iter().position(|c| c.name == name);
        let rowtime_index = position(ROWTIME)
            .ok_or_else(|| ExecError::Internal("source scope without ROWTIME".into()))?;
        let window_indexes = position(WINDOWSTART).zip(position(WINDOWEND));
        let keys_from_value = match &plan.partition {
            Some(partition) => (0..plan.output.len())
                .filter(|i| plan.output[*i].is_key)
                .zip(&partition.key_only)
                .filter(|(_, key_only)| !**key_only)
                .map(|(i, _)| i)
                .collect(),
            None => Vec::new(),
        };
        let mut sink_exec = SinkExec::try_new(sink, topic, &is_key)?.with_sink_timestamp(sink)?;
        if plan.partition.is_some() {
            sink_exec = sink_exec.with_computed_key();
        }
        let mut reader =
            DecodingReader::try_new(log, &plan.input, partition, group, default_offset)?;
        let mut needed_after_filter = None;
        if table_functions.is_none() {
            // Nothing but the filter and the projection reads the source's columns, and
            // after the filter only the projection and the pseudo-columns the sink and
            // the processing log read are needed.
            let width = scope.columns.len();
            let mut needed = project.used_columns(width);
            let pseudo = [Some(rowtime_index), position(ROWOFFSET)]
                .into_iter()
                .chain(
                    window_indexes
                        .map(|(s, e)| [Some(s), Some(e)])
                        .into_iter()
                        .flatten(),
                );
            for index in pseudo.flatten() {
                if let Some(slot) = needed.get_mut(index) {
                    *slot = true;
                }
            }
            let mut used = needed.clone();
            if let Some(filter) = &filter {
                filter.mark_used_columns(&mut used);
            }
            reader = reader.with_used_columns(&used);
            needed_after_filter = Some(needed);
        }
        Ok(SelectTask {
            reader,
            needed_after_filter,
            is_table: plan.input.source.is_table(),
            filter,
            table_functions,
            project,
            sink: sink_exec,
            rowtime_index,
            window_indexes,
            keys_from_value,
            committer: None,
            metrics: TaskMetrics::default(),
            errors: Vec::new(),
        })
    }

    /// With `throw`, an invalid source event time fails the query instead of being
    /// logged and skipped (`ksql.timestamp.throw.on.invalid`).
    pub fn with_throw_on_invalid_timestamp(mut self, throw: bool) -> Self {
        self.reader = self.reader.with_throw_on_invalid_timestamp(throw);
        self
    }

    /// Commits every batch through `changelog` (this task's partition of the query's
    /// changelog topic) and resumes from its latest checkpoint, skipping output a crashed
    /// run already appended.
    pub fn with_changelog(mut self, changelog: Arc<Partition>) -> Result<Self> {
        let committer = TaskCommitter::new(changelog);
        self.sink = self
            .sink
            .with_null_key_partition(self.reader.partition().id());
        let resume = committer.restore(&mut [], &mut self.sink, self.reader.next_offset())?;
        self.reader.seek(resume.source_offset);
        self.committer = Some(committer);
        Ok(self)
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
        let written = self.process(batch, &mut errors)?;
        match &self.committer {
            Some(committer) => {
                committer.commit_batch(&mut self.sink, &mut [], next_offset, i64::MIN)?
            }
            None => self.sink.flush()?,
        }
        self.metrics.records_out += written as u64;
        self.metrics.errors += errors.len() as u64;
        self.errors.append(&mut errors);
        self.reader.commit(log, &records)?;
        Ok(records.len())
    }

    /// Processing-log entries for the failed rows of `batch` (the offsets are looked up
    /// only when something failed: most batches have no failure).
    fn failures(
        &self,
        batch: &ChangeBatch,
        failed: &[(usize, String)],
        what: &str,
        errors: &mut Vec<ProcessingError>,
    ) -> Result<()> {
        if failed.is_empty() {
            return Ok(());
        }
        let offsets = offsets_of(batch)?;
        for (row, message) in failed {
            errors.push(self.failure(&offsets, *row, format!("{what}: {message}")));
        }
        Ok(())
    }

    /// A processing-log entry for row `row` of a batch whose offsets are `offsets`.
    fn failure(&self, offsets: &[u64], row: usize, message: String) -> ProcessingError {
        ProcessingError {
            topic: self.reader.partition().topic().to_string(),
            partition: self.reader.partition().id(),
            offset: offsets.get(row).copied().unwrap_or(0),
            message,
        }
    }

    fn process(&mut self, batch: ChangeBatch, errors: &mut Vec<ProcessingError>) -> Result<usize> {
        if batch.is_empty() {
            return Ok(0);
        }
        // A table's row that fails the filter becomes a delete of its key.
        let mut batch = batch;
        let mut kinds: Vec<RowKind> = batch.kinds().collect();
        if let Some(filter) = &self.filter {
            let evaluated = filter.evaluate(&batch.rows)?;
            self.failures(
                &batch,
                &evaluated.failures,
                "Error evaluating WHERE",
                errors,
            )?;
            let mut mask = predicate_mask(&evaluated.arrays[0])?;
            if !self.is_table && kinds.contains(&RowKind::Delete) {
                // A stream record without a value never passes a filter.
                mask = mask
                    .iter()
                    .zip(&kinds)
                    .map(|(keep, kind)| Some(keep == Some(true) && *kind != RowKind::Delete))
                    .collect();
            }
            if self.is_table {
                for (row, kind) in kinds.iter_mut().enumerate() {
                    if !mask.value(row) {
                        *kind = RowKind::Delete;
                    }
                }
            } else {
                batch = match &self.needed_after_filter {
                    Some(needed) => filter_needed(&batch, &kinds, &mask, needed)?,
                    None => batch.filter(&mask)?,
                };
                kinds = batch.kinds().collect();
            }
        }
        if batch.is_empty() {
            return Ok(0);
        }
        if let Some(table_functions) = &self.table_functions {
            let expanded = table_functions.expand(&batch)?;
            self.failures(
                &batch,
                &expanded.failures,
                "Error evaluating table function",
                errors,
            )?;
            batch = expanded.batch;
            kinds = batch.kinds().collect();
            if batch.is_empty() {
                return Ok(0);
            }
        }
        let evaluated = self.project.evaluate(&batch.rows)?;
        self.failures(
            &batch,
            &evaluated.failures,
            "Error evaluating SELECT",
            errors,
        )?;
        let mut arrays = evaluated.arrays;
        if !self.keys_from_value.is_empty() && kinds.contains(&RowKind::Delete) {
            let without_value: BooleanArray =
                kinds.iter().map(|k| Some(*k == RowKind::Delete)).collect();
            for i in &self.keys_from_value {
                arrays[*i] = nullif(&arrays[*i], &without_value)?;
            }
        }
        let rows = batch.rows;
        let column = |i: usize| -> Result<Int64Array> {
            rows.column(i)
                .as_any()
                .downcast_ref::<Int64Array>()
                .cloned()
                .ok_or_else(|| ExecError::Internal("pseudo-column is not BIGINT".into()))
        };
        let rowtimes = column(self.rowtime_index)?;
        let windows = match self.window_indexes {
            Some((s, e)) => Some((column(s)?, column(e)?)),
            None => None,
        };
        let written = self.sink.write_buffered(
            &arrays,
            &kinds,
            &rowtimes,
            windows.as_ref().map(|(s, e)| (s, e)),
        )?;
        let written_offsets = match rows.schema().index_of(crate::plan::select::ROWOFFSET) {
            Ok(index) if !self.sink.skipped.is_empty() => column(index)?.values().to_vec(),
            _ => Vec::new(),
        };
        for (row, message) in self.sink.skipped.drain(..) {
            errors.push(ProcessingError {
                topic: self.reader.partition().topic().to_string(),
                partition: self.reader.partition().id(),
                offset: written_offsets.get(row).map_or(0, |o| *o as u64),
                message: format!("Invalid sink timestamp, record skipped: {message}"),
            });
        }
        Ok(written)
    }
}

/// Keeps the rows of `batch` marked in `mask` (a null drops its row), copying only the
/// columns marked in `needed`: the others, read by the filter alone or by nothing,
/// become all-NULL.
fn filter_needed(
    batch: &ChangeBatch,
    kinds: &[RowKind],
    mask: &BooleanArray,
    needed: &[bool],
) -> Result<ChangeBatch> {
    let predicate = FilterBuilder::new(mask).optimize().build();
    let kept = predicate.count();
    let columns = batch
        .rows
        .columns()
        .iter()
        .enumerate()
        .map(|(i, column)| {
            if needed.get(i).copied().unwrap_or(true) {
                predicate.filter(column)
            } else {
                Ok(new_null_array(column.data_type(), kept))
            }
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let rows = RecordBatch::try_new(batch.rows.schema(), columns)?;
    if kinds.iter().all(|kind| *kind == RowKind::Insert) {
        return Ok(ChangeBatch::inserts(rows));
    }
    let kinds = kinds
        .iter()
        .enumerate()
        .filter_map(|(row, kind)| (mask.is_valid(row) && mask.value(row)).then_some(*kind))
        .collect();
    Ok(ChangeBatch::try_new(rows, kinds)?)
}

/// The ROWOFFSET column of a source batch, to say where a failing row came from.
fn offsets_of(batch: &ChangeBatch) -> Result<Vec<u64>> {
    let index = batch
        .schema()
        .index_of(crate::plan::select::ROWOFFSET)
        .map_err(|_| ExecError::Internal("source batch without ROWOFFSET".into()))?;
    let offsets = batch
        .column(index)
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| ExecError::Internal("ROWOFFSET is not BIGINT".into()))?;
    Ok(offsets.values().iter().map(|o| *o as u64).collect())
}

#[cfg(test)]
mod tests {
    use arrow::array::{ArrayRef, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn a_filter_copies_the_needed_columns_and_nulls_the_others() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("A", DataType::Int64, true),
            Field::new("B", DataType::Utf8, true),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4])),
            Arc::new(StringArray::from(vec!["a", "b", "c", "d"])),
        ];
        let rows = RecordBatch::try_new(schema, columns).expect("valid batch");
        let kinds = vec![
            RowKind::Insert,
            RowKind::Delete,
            RowKind::Insert,
            RowKind::Delete,
        ];
        let batch = ChangeBatch::try_new(rows, kinds).expect("valid kinds");
        let mask = BooleanArray::from(vec![Some(true), Some(true), None, Some(false)]);
        let kinds: Vec<RowKind> = batch.kinds().collect();
        let filtered = filter_needed(&batch, &kinds, &mask, &[true, false]).expect("filters");
        let full = batch
            .filter(&BooleanArray::from(vec![true, true, false, false]))
            .expect("filters");
        assert_eq!(filtered.num_rows(), 2);
        assert_eq!(filtered.column(0).as_ref(), full.column(0).as_ref());
        assert_eq!(filtered.column(1).null_count(), 2);
        assert_eq!(filtered.column(1).data_type(), &DataType::Utf8);
        assert_eq!(
            filtered.kinds().collect::<Vec<_>>(),
            full.kinds().collect::<Vec<_>>()
        );
        let inserts = ChangeBatch::inserts(batch.rows.clone());
        let kinds: Vec<RowKind> = inserts.kinds().collect();
        let filtered = filter_needed(&inserts, &kinds, &mask, &[true, true]).expect("filters");
        assert_eq!(filtered.num_rows(), 2);
        assert_eq!(filtered.column(1).as_ref(), full.column(1).as_ref());
        assert!(filtered.kinds().all(|kind| kind == RowKind::Insert));
    }
}
