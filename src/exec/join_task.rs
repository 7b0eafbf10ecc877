//! The task of a join query: reads its partitions of the inputs, feeds the rows in time
//! order through the join steps, then filters, projects and writes the results.
//!
//! A join whose inputs are partitioned by the join key (directly, or through an internal
//! `-repartition` topic) runs a task per partition number, each reading that partition
//! of every input ([`JoinTask::over_partitions`]). Other joins (foreign key first, or an
//! N-way join re-keyed between steps) run one task over every partition
//! ([`JoinTask::try_new`]), re-keying in memory.
//!
//! With a changelog ([`JoinTask::with_changelog`]) the steps' state, what the result
//! table published and every input partition's position are committed together with
//! each batch's output, so a restart restores them instead of refolding the inputs.

use std::collections::VecDeque;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, RecordBatch};
use arrow::datatypes::SchemaRef;
use datafusion::execution::SessionState;

use super::change::RowKind;
use super::error::{ExecError, Result};
use super::eval::{Evaluator, predicate_mask};
use super::join_exec::{JoinChange, JoinExec, Side};
use super::join_rows::{Row, null_row, row_of, rows_into_batch, rows_to_batch, scope_schema};
use super::processing_log::ProcessingError;
use super::select_task::TaskMetrics;
use super::sink::SinkExec;
use super::source::SourceExec;
use super::source_reader::SourceReader;
use super::task_commit::TaskCommitter;
use crate::catalog::Source;
use crate::log::{ConsumedRecord, Log, Partition};
use crate::plan::join::JoinPlan;
use crate::plan::select::{ROWOFFSET, ROWTIME};
use crate::plan::{Scope, Typed};
use crate::sql::ast::SourceKind;
use crate::state::codec::{I64Codec, ScalarsCodec, UnitCodec};
use crate::state::{DurableStore, KeyedStore};
use stream_run::StreamRun;

mod stream_run;

/// One partition of one input, and where the task is in it.
struct InputReader {
    input: usize,
    reader: SourceReader,
    /// Whether it reads the query's repartition topic rather than the source itself:
    /// the router already counted those records in.
    routed: bool,
}

/// A decoded source row waiting for its turn.
struct Pending {
    input: usize,
    offset: u64,
    change: JoinChange,
    join_key: Row,
}

/// One partition's rows waiting for their turn: decoded into rows, or (the stream side
/// of a lone stream-table join) kept columnar.
enum Queue {
    Rows(VecDeque<Pending>),
    Stream(StreamRun),
}

impl Queue {
    fn front_time(&self) -> Option<i64> {
        match self {
            Queue::Rows(rows) => rows.front().map(|p| p.change.rowtime),
            Queue::Stream(run) => run.front_time(),
        }
    }

    fn front_offset(&self) -> Option<u64> {
        match self {
            Queue::Rows(rows) => rows.front().map(|p| p.offset),
            Queue::Stream(run) => run.front_offset(),
        }
    }

    fn max_time(&self) -> Option<i64> {
        match self {
            Queue::Rows(rows) => rows.iter().map(|p| p.change.rowtime).max(),
            Queue::Stream(run) => run.max_time(),
        }
    }
}

/// Runs a join query over all partitions of its inputs.
pub struct JoinTask {
    readers: Vec<InputReader>,
    /// Per input: its decoder, and its join key expressions (input 0: the first step's
    /// left keys; input `j`: step `j - 1`'s right keys).
    decoders: Vec<SourceExec>,
    entry_keys: Vec<Evaluator>,
    input_key_counts: Vec<usize>,
    /// Per step after the first: its left key expressions over the rows joined so far.
    cascade_keys: Vec<Option<(SchemaRef, Evaluator)>>,
    joins: Vec<JoinExec>,
    result_schema: SchemaRef,
    filter: Option<Evaluator>,
    project: Evaluator,
    sink: SinkExec,
    table_output: bool,
    /// A table result's keys whose last output was a row: only these get tombstones.
    published: KeyedStore<Row, ()>,
    /// The next offset of each input partition (by reader index), committed with the
    /// state: the changelog checkpoint has room for one source position only.
    positions: KeyedStore<i64, i64>,
    /// Commits each batch's output, state and positions together.
    committer: Option<TaskCommitter>,
    pub metrics: TaskMetrics,
    /// Errors since the engine last drained them into the processing log.
    pub errors: Vec<ProcessingError>,
}

impl JoinTask {
    /// A task over every partition of the plan's inputs; each partition resumes from the
    /// offset committed for `group` (the query id), or from what `default_offset` says.
    pub fn try_new(
        log: &Log,
        state: &SessionState,
        plan: &JoinPlan,
        sink: &Source,
        group: &str,
        default_offset: &dyn Fn(&crate::log::Partition) -> u64,
    ) -> Result<Self> {
        let mut partitions = Vec::with_capacity(plan.inputs.len());
        for input in &plan.inputs {
            let topic = log.existing_topic(&input.source.topic)?;
            partitions.push(
                topic
                    .partitions()
                    .iter()
                    .map(|p| (Arc::clone(p), default_offset(p)))
                    .collect(),
            );
        }
        Self::over_partitions(log, state, plan, sink, group, partitions)
    }

    /// A task over the given partitions of each input (per input, in the plan's order:
    /// each partition with the offset a new task starts from). A partition may belong to
    /// an input's repartition topic, whose records are the source's, re-keyed.
    pub fn over_partitions(
        log: &Log,
        state: &SessionState,
        plan: &JoinPlan,
        sink: &Source,
        group: &str,
        partitions: Vec<Vec<(Arc<Partition>, u64)>>,
    ) -> Result<Self> {
        if partitions.len() != plan.inputs.len() {
            return Err(ExecError::Internal(format!(
                "a join of {} inputs given partitions of {} (a bug)",
                plan.inputs.len(),
                partitions.len()
            )));
        }
        let mut readers = Vec::new();
        let mut decoders = Vec::new();
        let mut entry_keys = Vec::new();
        let mut nulls = Vec::new();
        for ((i, input), input_partitions) in plan.inputs.iter().enumerate().zip(partitions) {
            for (partition, start) in input_partitions {
                let routed = partition.topic() != input.source.topic;
                let reader = SourceReader::new(log, partition, group, start);
                readers.push(InputReader {
                    input: i,
                    reader,
                    routed,
                });
            }
            decoders.push(SourceExec::try_new(input)?);
            let keys: &[Typed] = if i == 0 {
                &plan.steps[0].left_keys
            } else {
                &plan.steps[i - 1].right_keys
            };
            entry_keys.push(Evaluator::try_new(state, &input.scope, keys)?);
            nulls.push(null_row(scope_schema(&input.scope)?.as_ref())?);
        }
        let mut cascade_keys = Vec::new();
        let mut joins = Vec::new();
        for (s, step) in plan.steps.iter().enumerate() {
            let prefix = Scope::new(
                plan.inputs[..=s]
                    .iter()
                    .flat_map(|i| i.scope.columns.iter().cloned())
                    .collect(),
            );
            cascade_keys.push(if s == 0 {
                None
            } else {
                Some((
                    scope_schema(&prefix)?,
                    Evaluator::try_new(state, &prefix, &step.left_keys)?,
                ))
            });
            let left_nulls: Row = nulls[..=s].iter().flatten().cloned().collect();
            joins.push(JoinExec::new(step, left_nulls, nulls[s + 1].clone()));
        }
        let filter = plan
            .filter
            .as_ref()
            .map(|f| Evaluator::try_new(state, &plan.scope, std::slice::from_ref(f)))
            .transpose()?;
        let exprs: Vec<_> = plan.output.iter().map(|c| c.expr.clone()).collect();
        let project = Evaluator::try_new(state, &plan.scope, &exprs)?;
        let is_key: Vec<bool> = plan.output.iter().map(|c| c.is_key).collect();
        let topic = log
            .topic(&sink.topic)
            .ok_or_else(|| ExecError::Internal(format!("sink topic {} is missing", sink.topic)))?;
        Ok(JoinTask {
            readers,
            decoders,
            entry_keys,
            input_key_counts: plan
                .inputs
                .iter()
                .map(|i| i.source.schema.key_columns().count())
                .collect(),
            cascade_keys,
            joins,
            result_schema: scope_schema(&plan.scope)?,
            filter,
            project,
            sink: SinkExec::try_new(sink, topic, &is_key)?.with_sink_timestamp(sink)?,
            table_output: plan.kind == SourceKind::Table,
            published: KeyedStore::default(),
            positions: KeyedStore::default(),
            committer: None,
            metrics: TaskMetrics::default(),
            errors: Vec::new(),
        })
    }

    /// Records the task's state in `changelog` (its partition of the query's changelog
    /// topic), restores it from there and resumes every input where the last committed
    /// batch left it, skipping output a crashed run already appended.
    pub fn with_changelog(mut self, changelog: Arc<Partition>) -> Result<Self> {
        for (step, join) in self.joins.iter_mut().enumerate() {
            join.make_durable(step);
        }
        self.published =
            KeyedStore::with_changelog("published", Arc::new(ScalarsCodec), Arc::new(UnitCodec));
        self.positions =
            KeyedStore::with_changelog("positions", Arc::new(I64Codec), Arc::new(I64Codec));
        // The starting positions, which a new task's first checkpoint records and a
        // restored one overwrites.
        for (r, input_reader) in self.readers.iter().enumerate() {
            self.positions
                .put(r as i64, input_reader.reader.next_offset() as i64);
        }
        // A keyless result goes to one fixed partition, so that a replay repeats it.
        self.sink = self.sink.with_null_key_partition(0);
        let committer = TaskCommitter::new(changelog);
        {
            let (mut stores, sink) = self.stores_and_sink();
            committer.restore(&mut stores, sink, 0)?;
        }
        for (r, input_reader) in self.readers.iter_mut().enumerate() {
            if let Some(offset) = self.positions.get(&(r as i64)) {
                input_reader
                    .reader
                    .seek(u64::try_from(*offset).unwrap_or(0));
            }
        }
        for join in &mut self.joins {
            join.resume_clock();
        }
        self.committer = Some(committer);
        Ok(self)
    }

    /// Every store of the task, and the sink, borrowed together for a commit.
    fn stores_and_sink(&mut self) -> (Vec<&mut dyn DurableStore>, &mut SinkExec) {
        let mut stores: Vec<&mut dyn DurableStore> = Vec::new();
        for join in &mut self.joins {
            stores.extend(join.stores_mut());
        }
        stores.push(&mut self.published);
        stores.push(&mut self.positions);
        (stores, &mut self.sink)
    }

    /// How many rows the join steps hold (their buffers and tables).
    pub fn state_rows(&self) -> usize {
        self.joins.iter().map(JoinExec::state_rows).sum()
    }

    /// Processes up to `max_records` available records of each input partition, in
    /// time order across them; returns how many were read.
    pub fn poll_once(&mut self, log: &Log, max_records: usize) -> Result<usize> {
        let mut read: Vec<(usize, Vec<ConsumedRecord>)> = Vec::new();
        let mut queues: Vec<Queue> = Vec::new();
        // A lone stream-table join with a stream result takes its stream side in runs.
        let columnar = self.joins.len() == 1
            && self.joins[0].as_stream_table().is_some()
            && !self.table_output;
        let mut errors = Vec::new();
        for (r, input_reader) in self.readers.iter().enumerate() {
            let records = input_reader.reader.read(max_records)?;
            if records.is_empty() {
                continue;
            }
            let partition = input_reader.reader.partition().id();
            let (batch, mut decode_errors) =
                self.decoders[input_reader.input].decode(partition, &records)?;
            errors.append(&mut decode_errors);
            if columnar && input_reader.input == 0 {
                queues.push(Queue::Stream(self.stream_run(
                    input_reader,
                    batch,
                    &mut errors,
                )?));
            } else {
                queues.push(Queue::Rows(self.pending(
                    input_reader,
                    &batch,
                    &mut errors,
                )?));
            }
            read.push((r, records));
        }
        if read.is_empty() {
            return Ok(0);
        }
        // A partition with more records than this batch holds may have rows older than
        // another partition's later rows: those wait for the next poll, as Kafka Streams
        // waits for every partition to have buffered data before picking the oldest.
        let horizon = read
            .iter()
            .zip(&queues)
            .filter(|((r, records), _)| {
                let end = self.readers[*r].reader.partition().end_offset();
                records.last().is_some_and(|last| last.offset + 1 < end)
            })
            .filter_map(|(_, queue)| queue.max_time())
            .min()
            .unwrap_or(i64::MAX);
        let mut results = Vec::new();
        let mut result_batches = Vec::new();
        // Always the queue whose next row is oldest, as Kafka Streams picks partitions.
        let fronts = |queues: &[Queue], except: Option<usize>| {
            queues
                .iter()
                .enumerate()
                .filter(|(q, _)| Some(*q) != except)
                .filter_map(|(q, queue)| queue.front_time().map(|t| (t, q)))
                .filter(|(rowtime, _)| *rowtime <= horizon)
                .min()
        };
        while let Some((_, next)) = fronts(&queues, None) {
            match &mut queues[next] {
                Queue::Rows(rows) => {
                    let Some(pending) = rows.pop_front() else {
                        break;
                    };
                    self.feed(pending, &mut results, &mut errors)?;
                }
                Queue::Stream(_) => {
                    // Stream rows change no state: the rows that come before every
                    // other queue's next row are looked up together.
                    let bound = fronts(&queues, Some(next)).unwrap_or((i64::MAX, usize::MAX));
                    let Queue::Stream(run) = &mut queues[next] else {
                        break;
                    };
                    let mut end = run.next;
                    while end < run.rowtimes.len() {
                        let rowtime = run.rowtimes.value(end);
                        if rowtime > horizon || (rowtime, next) > bound {
                            break;
                        }
                        end += 1;
                    }
                    let exec = self.joins[0]
                        .as_stream_table_mut()
                        .ok_or_else(|| ExecError::Internal("columnar join step".into()))?;
                    result_batches.extend(run.join(end, exec, &self.result_schema)?);
                }
            }
        }
        // What a partition did not process is read again next time.
        for ((r, records), queue) in read.iter_mut().zip(&queues) {
            if let Some(first_left) = queue.front_offset() {
                records.retain(|record| record.offset < first_left);
                // Their errors are reported when they are processed.
                let partition = self.readers[*r].reader.partition();
                errors.retain(|e| {
                    e.topic != partition.topic()
                        || e.partition != partition.id()
                        || e.offset < first_left
                });
            }
        }
        let mut written = self.emit(results, &mut errors)?;
        for (batch, rowtimes) in result_batches {
            written += self.emit_inserts(batch, rowtimes, &mut errors)?;
        }
        for join in &mut self.joins {
            join.purge();
        }
        let count: usize = read.iter().map(|(_, records)| records.len()).sum();
        let source_records: usize = read
            .iter()
            .filter(|(r, _)| !self.readers[*r].routed)
            .map(|(_, records)| records.len())
            .sum();
        read.retain(|(_, records)| !records.is_empty());
        match self.committer.clone() {
            Some(committer) => {
                for (r, records) in &read {
                    if let Some(last) = records.last() {
                        self.positions.put(*r as i64, last.offset as i64 + 1);
                    }
                }
                let (mut stores, sink) = self.stores_and_sink();
                // The positions store holds the source positions; the checkpoint's own
                // field is left at 0.
                committer.commit_batch(sink, &mut stores, 0, i64::MIN)?;
            }
            None => self.sink.flush()?,
        }
        self.metrics.records_in += source_records as u64;
        self.metrics.records_out += written as u64;
        self.metrics.errors += errors.len() as u64;
        self.errors.append(&mut errors);
        // Kept for `runnel group` (lag); the changelog positions are what a restart uses.
        for (r, records) in read {
            self.readers[r].reader.commit(log, &records)?;
        }
        Ok(count)
    }

    /// The decoded rows of one partition with their join keys, in offset order.
    fn pending(
        &self,
        input_reader: &InputReader,
        batch: &super::change::ChangeBatch,
        errors: &mut Vec<ProcessingError>,
    ) -> Result<VecDeque<Pending>> {
        let input = input_reader.input;
        let rows = &batch.rows;
        let rowtimes = int64_column(rows, ROWTIME)?;
        let offsets = int64_column(rows, ROWOFFSET)?;
        let join_keys = self.join_keys(input_reader, rows, &offsets, errors)?;
        let columns: Vec<ArrayRef> = rows.columns().to_vec();
        let key_count = self.input_key_counts[input];
        let mut out = VecDeque::with_capacity(rows.num_rows());
        for row in 0..rows.num_rows() {
            let values = row_of(&columns, row)?;
            out.push_back(Pending {
                input,
                offset: offsets.value(row) as u64,
                change: JoinChange {
                    kind: batch.kind(row),
                    key: values[..key_count].to_vec(),
                    row: values,
                    rowtime: rowtimes.value(row),
                },
                join_key: row_of(&join_keys, row)?,
            });
        }
        Ok(out)
    }

    /// The join-key columns of `rows`; a row whose key fails to evaluate is reported to
    /// the processing log with its source coordinates.
    fn join_keys(
        &self,
        input_reader: &InputReader,
        rows: &RecordBatch,
        offsets: &Int64Array,
        errors: &mut Vec<ProcessingError>,
    ) -> Result<Vec<ArrayRef>> {
        let evaluated = self.entry_keys[input_reader.input].evaluate(rows)?;
        for (row, message) in &evaluated.failures {
            errors.push(ProcessingError {
                topic: input_reader.reader.partition().topic().to_string(),
                partition: input_reader.reader.partition().id(),
                offset: offsets.value(*row) as u64,
                message: format!("Error evaluating JOIN ON: {message}"),
            });
        }
        Ok(evaluated.arrays)
    }

    /// One stream partition's decoded rows with their join keys, kept columnar.
    fn stream_run(
        &self,
        input_reader: &InputReader,
        batch: super::change::ChangeBatch,
        errors: &mut Vec<ProcessingError>,
    ) -> Result<StreamRun> {
        let rows = &batch.rows;
        let rowtimes = int64_column(rows, ROWTIME)?;
        let offsets = int64_column(rows, ROWOFFSET)?;
        let join_keys = self.join_keys(input_reader, rows, &offsets, errors)?;
        Ok(StreamRun {
            batch,
            join_keys,
            rowtimes,
            offsets,
            next: 0,
        })
    }

    /// Runs one source row through the steps it enters and those after them.
    fn feed(
        &mut self,
        pending: Pending,
        results: &mut Vec<JoinChange>,
        errors: &mut Vec<ProcessingError>,
    ) -> Result<()> {
        let (first, side) = match pending.input {
            0 => (0, Side::Left),
            j => (j - 1, Side::Right),
        };
        let mut changes = Vec::new();
        self.joins[first].apply(side, pending.change, pending.join_key, &mut changes);
        for step in first + 1..self.joins.len() {
            if changes.is_empty() {
                return Ok(());
            }
            let Some((schema, keys)) = &self.cascade_keys[step] else {
                return Err(ExecError::Internal("join step without left keys".into()));
            };
            let refs: Vec<&Row> = changes.iter().map(|c| &c.row).collect();
            let batch = rows_to_batch(schema, &refs)?;
            let evaluated = keys.evaluate(&batch)?;
            for (_, message) in &evaluated.failures {
                errors.push(ProcessingError {
                    topic: String::new(),
                    partition: 0,
                    offset: 0,
                    message: format!("Error evaluating JOIN ON: {message}"),
                });
            }
            let mut next = Vec::new();
            for (row, change) in changes.into_iter().enumerate() {
                let key = row_of(&evaluated.arrays, row)?;
                self.joins[step].apply(Side::Left, change, key, &mut next);
            }
            changes = next;
        }
        results.extend(changes);
        Ok(())
    }

    /// Filters, projects and buffers the results in the sink; returns how many records
    /// were written.
    fn emit(
        &mut self,
        mut results: Vec<JoinChange>,
        errors: &mut Vec<ProcessingError>,
    ) -> Result<usize> {
        if results.is_empty() {
            return Ok(0);
        }
        // The rows move into the batch; kinds, keys and times stay in `results`.
        let rows: Vec<Row> = results
            .iter_mut()
            .map(|c| {
                let mut row = std::mem::take(&mut c.row);
                row.extend(c.key.iter().cloned());
                row
            })
            .collect();
        let batch = rows_into_batch(&self.result_schema, rows)?;
        let mut passes: Vec<bool> = results.iter().map(|c| c.kind != RowKind::Delete).collect();
        self.apply_filter(&batch, &mut passes, errors)?;
        let mut keep = Vec::with_capacity(results.len());
        let mut kinds = Vec::new();
        for (change, pass) in results.iter().zip(passes) {
            let kind = if pass {
                if self.table_output {
                    self.published.put(change.key.clone(), ());
                }
                Some(RowKind::Insert)
            } else if self.table_output && self.published.delete(&change.key).is_some() {
                Some(RowKind::Delete)
            } else {
                None
            };
            keep.push(kind.is_some());
            kinds.extend(kind);
        }
        let batch = arrow::compute::filter_record_batch(&batch, &keep.clone().into())?;
        if batch.num_rows() == 0 {
            return Ok(0);
        }
        let rowtimes = Int64Array::from_iter_values(
            results
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(c, _)| c.rowtime),
        );
        self.project_and_write(&batch, &kinds, &rowtimes, errors)
    }

    /// Filters, projects and buffers result rows that are all inserts (a stream result
    /// assembled columnar); returns how many records were written.
    fn emit_inserts(
        &mut self,
        batch: RecordBatch,
        rowtimes: Int64Array,
        errors: &mut Vec<ProcessingError>,
    ) -> Result<usize> {
        let mut passes = vec![true; batch.num_rows()];
        self.apply_filter(&batch, &mut passes, errors)?;
        let keep = BooleanArray::from(passes);
        let batch = arrow::compute::filter_record_batch(&batch, &keep)?;
        if batch.num_rows() == 0 {
            return Ok(0);
        }
        let rowtimes = arrow::compute::filter(&rowtimes, &keep)?;
        let rowtimes = rowtimes
            .as_any()
            .downcast_ref::<Int64Array>()
            .cloned()
            .ok_or_else(|| ExecError::Internal("row times are not BIGINT".into()))?;
        let kinds = vec![RowKind::Insert; batch.num_rows()];
        self.project_and_write(&batch, &kinds, &rowtimes, errors)
    }

    /// Clears `passes` where the WHERE clause rejects a row or fails on it.
    fn apply_filter(
        &self,
        batch: &RecordBatch,
        passes: &mut [bool],
        errors: &mut Vec<ProcessingError>,
    ) -> Result<()> {
        if let Some(filter) = &self.filter {
            let evaluated = filter.evaluate(batch)?;
            let mask = predicate_mask(&evaluated.arrays[0])?;
            for (row, pass) in passes.iter_mut().enumerate() {
                *pass = *pass && mask.value(row);
            }
            for (row, message) in &evaluated.failures {
                if let Some(pass) = passes.get_mut(*row) {
                    *pass = false;
                }
                errors.push(ProcessingError {
                    topic: String::new(),
                    partition: 0,
                    offset: 0,
                    message: format!("Error evaluating WHERE: {message}"),
                });
            }
        }
        Ok(())
    }

    /// Projects the result rows and buffers them in the sink.
    fn project_and_write(
        &mut self,
        batch: &RecordBatch,
        kinds: &[RowKind],
        rowtimes: &Int64Array,
        errors: &mut Vec<ProcessingError>,
    ) -> Result<usize> {
        let evaluated = self.project.evaluate(batch)?;
        for (_, message) in &evaluated.failures {
            errors.push(ProcessingError {
                topic: String::new(),
                partition: 0,
                offset: 0,
                message: format!("Error evaluating SELECT: {message}"),
            });
        }
        let written = self
            .sink
            .write_buffered(&evaluated.arrays, kinds, rowtimes, None)?;
        for (_, message) in self.sink.skipped.drain(..) {
            errors.push(ProcessingError {
                topic: String::new(),
                partition: 0,
                offset: 0,
                message: format!("Invalid sink timestamp, record skipped: {message}"),
            });
        }
        Ok(written)
    }
}

fn int64_column(batch: &arrow::array::RecordBatch, name: &str) -> Result<Int64Array> {
    let index = batch
        .schema()
        .index_of(name)
        .map_err(|_| ExecError::Internal(format!("source batch without {name}")))?;
    batch
        .column(index)
        .as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .ok_or_else(|| ExecError::Internal(format!("{name} is not BIGINT")))
}
