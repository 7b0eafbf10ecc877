//! A task of a GROUP BY query: one source partition through filter, grouping,
//! aggregation, HAVING and projection to the sink.
//!
//! When the group is not the source key, the task reads a partition of the query's
//! internal repartition topic instead (see [`super::repartition_task`]), where every
//! group's rows arrive in one partition with their group already computed.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{
    Array, ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::ScalarValue;
use datafusion::execution::SessionState;

use super::aggregate_codec::GroupKeyCodec;
use super::aggregate_exec::{AggregateExec, AggregateRow};
use super::change::{ChangeBatch, RowKind};
use super::error::{ExecError, Result};
use super::eval::{Evaluator, predicate_mask, where_passes};
use super::group_key::{GroupColumns, encode_group_scalars};
use super::processing_log::ProcessingError;
use super::record_cache::{CommitPolicy, RecordCache};
use super::repartition_task::group_key_of;
use super::scalar_columns::scalars_to_array;
use super::select_task::TaskMetrics;
use super::sink::SinkExec;
use super::source::SourceExec;
use super::source_reader::SourceReader;
use super::task_commit::TaskCommitter;
use crate::catalog::Source;
use crate::functions::aggregate::{AggregateFunction, AggregateSpec};
use crate::log::{ConsumedRecord, Log, Partition};
use crate::plan::AggregatePlan;
use crate::plan::select::{ROWOFFSET, ROWTIME};
use crate::state::codec::{
    ListCodec, PairCodec, ScalarsCodec, StateReader, StateWriter, UnitCodec, WindowBoundsCodec,
};
use crate::state::key_bytes::KeyBytes;
use crate::state::{DurableStore, KeyedStore, StateCodec};

/// What a TABLE source row last contributed, to retract it when the row changes.
#[derive(Debug, Clone)]
struct Contribution {
    group: KeyBytes,
    args: Vec<Vec<ScalarValue>>,
    rowtime: i64,
}

/// A contribution in the changelog: group, each aggregate's arguments, rowtime.
struct ContributionCodec;

impl StateCodec<Contribution> for ContributionCodec {
    fn encode(
        &self,
        value: &Contribution,
        out: &mut StateWriter,
    ) -> std::result::Result<(), String> {
        GroupKeyCodec.encode(&value.group, out)?;
        ListCodec(ScalarsCodec).encode(&value.args, out)?;
        out.i64(value.rowtime);
        Ok(())
    }
    fn decode(&self, input: &mut StateReader<'_>) -> std::result::Result<Contribution, String> {
        Ok(Contribution {
            group: GroupKeyCodec.decode(input)?,
            args: ListCodec(ScalarsCodec).decode(input)?,
            rowtime: input.i64()?,
        })
    }
}

/// How many deferred results a flush turns into output rows at a time.
const FLUSH_CHUNK_ROWS: usize = 4_096;

/// Reads one partition of a GROUP BY query's source and maintains its aggregates.
pub struct AggregateTask {
    reader: SourceReader,
    source: SourceExec,
    filter: Option<Evaluator>,
    /// The grouping expressions, then every aggregate's arguments.
    inputs: Evaluator,
    group_count: usize,
    arg_counts: Vec<usize>,
    aggregate: AggregateExec,
    /// A TABLE source's rows by key, so that an update retracts the old row.
    table_rows: Option<KeyedStore<Vec<ScalarValue>, Contribution>>,
    source_key_count: usize,
    scope_schema: SchemaRef,
    null_results: Vec<ScalarValue>,
    having: Option<Evaluator>,
    /// With HAVING: the group-windows whose last output qualified. A group that stops
    /// qualifying is deleted only if it was published; one that never was stays silent.
    published: KeyedStore<(Vec<ScalarValue>, Option<(i64, i64)>), ()>,
    project: Evaluator,
    sink: SinkExec,
    /// Commits each batch's output, store changes and source position together.
    committer: Option<TaskCommitter>,
    /// When the task emits and commits (see [`super::record_cache`]).
    policy: CommitPolicy,
    /// The latest change per group-window since the last commit.
    cache: RecordCache,
    last_commit: Instant,
    /// The last record processed since the last commit: whose position the next
    /// commit records.
    uncommitted: Option<ConsumedRecord>,
    /// The task reads an internal repartition topic: each record's group was computed
    /// by the router (and travels in a header), and its records were counted in there.
    repartitioned: bool,
    /// The current row's group bytes and aggregate arguments, reused row after row.
    group_scratch: Vec<u8>,
    args_scratch: Vec<Vec<ScalarValue>>,
    pub metrics: TaskMetrics,
    /// Errors since the engine last drained them into the processing log.
    pub errors: Vec<ProcessingError>,
}

impl AggregateTask {
    /// A task for `partition` of the plan's source; it resumes from the offset committed
    /// for `group_id` (the query id), or from `default_offset`.
    pub fn try_new(
        log: &Log,
        state: &SessionState,
        plan: &AggregatePlan,
        sink: &Source,
        partition: Arc<Partition>,
        group_id: &str,
        default_offset: u64,
    ) -> Result<Self> {
        let scope = &plan.input.scope;
        let filter = plan
            .filter
            .as_ref()
            .map(|f| Evaluator::try_new(state, scope, std::slice::from_ref(f)))
            .transpose()?;
        let mut input_exprs = plan.group_by.clone();
        for call in &plan.aggregates {
            input_exprs.extend(call.args.iter().cloned());
        }
        let inputs = Evaluator::try_new(state, scope, &input_exprs)?;
        let post = &plan.aggregate_scope;
        let having = plan
            .having
            .as_ref()
            .map(|h| Evaluator::try_new(state, post, std::slice::from_ref(h)))
            .transpose()?;
        let exprs: Vec<_> = plan.output.iter().map(|c| c.expr.clone()).collect();
        let project = Evaluator::try_new(state, post, &exprs)?;
        let fields = post
            .columns
            .iter()
            .map(|c| {
                let dt = c.ty.to_arrow().ok_or_else(|| {
                    ExecError::Internal(format!("unresolved type {} at execution", c.ty))
                })?;
                Ok(Field::new(&c.name, dt, true))
            })
            .collect::<Result<Vec<_>>>()?;
        let null_results = plan
            .aggregates
            .iter()
            .map(|a| ScalarValue::try_from(&a.spec.arrow_return_type))
            .collect::<datafusion::error::Result<Vec<_>>>()?;
        let is_key: Vec<bool> = plan.output.iter().map(|c| c.is_key).collect();
        let topic = log
            .topic(&sink.topic)
            .ok_or_else(|| ExecError::Internal(format!("sink topic {} is missing", sink.topic)))?;
        let functions = plan
            .aggregates
            .iter()
            .map(|a| (Arc::clone(&a.function), a.spec.clone()))
            .collect();
        Ok(AggregateTask {
            reader: SourceReader::new(log, partition, group_id, default_offset),
            source: source_reading(plan, filter.as_ref(), &inputs)?,
            filter,
            inputs,
            group_count: plan.group_by.len(),
            arg_counts: plan.aggregates.iter().map(|a| a.args.len()).collect(),
            aggregate: aggregate_exec(functions, plan),
            table_rows: plan.input.source.is_table().then(KeyedStore::default),
            source_key_count: plan.input.source.schema.key_columns().count(),
            scope_schema: Arc::new(Schema::new(fields)),
            null_results,
            having,
            published: KeyedStore::default(),
            project,
            sink: SinkExec::try_new(sink, topic, &is_key)?,
            committer: None,
            policy: CommitPolicy::default(),
            cache: RecordCache::default(),
            last_commit: Instant::now(),
            uncommitted: None,
            repartitioned: false,
            group_scratch: Vec::new(),
            args_scratch: plan.aggregates.iter().map(|_| Vec::new()).collect(),
            metrics: TaskMetrics::default(),
            errors: Vec::new(),
        })
    }

    /// The task reads the repartition topic that the query's routers wrote: the group
    /// of each record is taken from it rather than computed again (a function may
    /// answer differently on a second call), and its records are not counted as the
    /// query's input again.
    pub fn reading_repartition_topic(
        mut self,
        state: &SessionState,
        plan: &AggregatePlan,
    ) -> Result<Self> {
        let args: Vec<_> = plan
            .aggregates
            .iter()
            .flat_map(|call| call.args.iter().cloned())
            .collect();
        self.inputs = Evaluator::try_new(state, &plan.input.scope, &args)?;
        self.source = source_reading(plan, self.filter.as_ref(), &self.inputs)?;
        self.repartitioned = true;
        Ok(self)
    }

    /// Emits and commits as `policy` says (ksqlDB's record cache and commit interval).
    pub fn with_commit_policy(mut self, policy: CommitPolicy) -> Self {
        self.policy = policy;
        if !policy.is_uncached() {
            self.aggregate.defer_results();
        }
        self
    }

    /// Records every store in `changelog` (this task's partition of the query's
    /// changelog topic), restores them from it and resumes from its latest checkpoint,
    /// skipping output a crashed run already appended.
    pub fn with_changelog(mut self, changelog: Arc<Partition>) -> Result<Self> {
        self.aggregate.make_durable();
        if self.table_rows.is_some() {
            self.table_rows = Some(KeyedStore::with_changelog(
                "table-rows",
                Arc::new(ScalarsCodec),
                Arc::new(ContributionCodec),
            ));
        }
        self.published = KeyedStore::with_changelog(
            "published",
            Arc::new(PairCodec(ScalarsCodec, WindowBoundsCodec)),
            Arc::new(UnitCodec),
        );
        self.sink = self
            .sink
            .with_null_key_partition(self.reader.partition().id());
        let committer = TaskCommitter::new(changelog);
        let start = self.reader.next_offset();
        let resume = {
            let (mut stores, sink) = self.stores_and_sink();
            committer.restore(&mut stores, sink, start)?
        };
        self.reader.seek(resume.source_offset);
        self.aggregate.set_stream_time(resume.stream_time);
        self.committer = Some(committer);
        Ok(self)
    }

    /// Every store of the task, and the sink, borrowed together for a commit.
    fn stores_and_sink(&mut self) -> (Vec<&mut dyn DurableStore>, &mut SinkExec) {
        let mut stores: Vec<&mut dyn DurableStore> = Vec::with_capacity(4);
        stores.extend(self.aggregate.stores_mut());
        if let Some(rows) = &mut self.table_rows {
            stores.push(rows);
        }
        stores.push(&mut self.published);
        (stores, &mut self.sink)
    }

    /// Processes up to `max_records` available records; returns how many were read.
    ///
    /// The changes are emitted and committed at once without a cache; with one, they
    /// wait in it until the commit policy says so (a read that leaves the task caught
    /// up always commits, so an idle task holds nothing back).
    pub fn poll_once(&mut self, log: &Log, max_records: usize) -> Result<usize> {
        let records = self.reader.read(max_records)?;
        let Some(last) = records.last() else {
            if self.uncommitted.is_some() {
                let mut errors = Vec::new();
                self.flush_and_commit(log, &mut errors)?;
                self.record_errors(errors);
            }
            return Ok(0);
        };
        let next_offset = last.offset + 1;
        let partition = self.reader.partition().id();
        let (batch, mut errors) = self.source.decode(partition, &records)?;
        if !self.repartitioned {
            self.metrics.records_in += records.len() as u64;
        }
        let changes = self.aggregate_batch(&batch, &records, &mut errors)?;
        if self.policy.is_uncached() {
            self.metrics.records_out += self.emit(changes, &mut errors)? as u64;
        } else {
            for change in changes {
                self.cache.put(change);
            }
        }
        self.aggregate.purge_closed();
        self.metrics.suppressed_rows = self.aggregate.suppressed_rows() as u64;
        self.reader.seek(next_offset);
        self.uncommitted = Some(last.clone());
        let elapsed_ms = self.last_commit.elapsed().as_millis() as u64;
        let caught_up = records.len() < max_records;
        let cached_bytes = self.cache.bytes() + self.aggregate.deferred_bytes();
        if self.policy.is_due(cached_bytes, caught_up, elapsed_ms) {
            self.flush_and_commit(log, &mut errors)?;
        }
        self.record_errors(errors);
        Ok(records.len())
    }

    fn record_errors(&mut self, mut errors: Vec<ProcessingError>) {
        self.metrics.errors += errors.len() as u64;
        self.errors.append(&mut errors);
    }

    /// Emits the cached changes, then commits the output, the stores' changes and the
    /// position after the last record processed, together.
    fn flush_and_commit(&mut self, log: &Log, errors: &mut Vec<ProcessingError>) -> Result<()> {
        loop {
            let mut rows = Vec::new();
            let mut failures = Vec::new();
            let taken = self
                .aggregate
                .take_deferred(FLUSH_CHUNK_ROWS, &mut rows, &mut failures);
            for message in failures {
                errors.push(self.error(0, message));
            }
            if taken == 0 {
                break;
            }
            self.metrics.records_out += self.emit(rows, errors)? as u64;
        }
        if !self.cache.is_empty() {
            let rows = self.cache.drain();
            self.metrics.records_out += self.emit(rows, errors)? as u64;
        }
        match self.committer.clone() {
            Some(committer) => {
                let stream_time = self.aggregate.stream_time();
                let next_offset = self.reader.next_offset();
                let (mut stores, sink) = self.stores_and_sink();
                committer.commit_batch(sink, &mut stores, next_offset, stream_time)?;
            }
            None => self.sink.flush()?,
        }
        if let Some(last) = self.uncommitted.take() {
            self.reader.commit(log, std::slice::from_ref(&last))?;
        }
        self.last_commit = Instant::now();
        Ok(())
    }

    fn error(&self, offset: u64, message: String) -> ProcessingError {
        ProcessingError {
            topic: self.reader.partition().topic().to_string(),
            partition: self.reader.partition().id(),
            offset,
            message,
        }
    }

    /// Folds every row of `batch` into the aggregates, in order; returns the changes.
    fn aggregate_batch(
        &mut self,
        batch: &ChangeBatch,
        records: &[ConsumedRecord],
        errors: &mut Vec<ProcessingError>,
    ) -> Result<Vec<AggregateRow>> {
        let mut out = Vec::new();
        if batch.is_empty() {
            return Ok(out);
        }
        let rows = batch.num_rows();
        let offsets = int64_column(&batch.rows, ROWOFFSET)?;
        let rowtimes = int64_column(&batch.rows, ROWTIME)?;
        // Rows that pass the filter and evaluate; a TABLE row that does not is a delete.
        let passes = where_passes(self.filter.as_ref(), &batch.rows, |row, message| {
            errors.push(self.error(offsets.value(row) as u64, message))
        })?;
        let evaluated = self.inputs.evaluate(&batch.rows)?;
        for (row, message) in &evaluated.failures {
            let offset = offsets.value(*row) as u64;
            errors.push(self.error(offset, format!("Error evaluating GROUP BY: {message}")));
        }
        let groups = match self.repartitioned {
            true => None,
            false => Some(
                GroupColumns::new(&evaluated.arrays[..self.group_count])
                    .map_err(ExecError::Internal)?,
            ),
        };
        for row in 0..rows {
            let kind = batch.kind(row);
            let offset = offsets.value(row) as u64;
            let rowtime = rowtimes.value(row);
            // This row's contribution, in the scratch buffers: whether its group is
            // NULL, or `None` when it contributes nothing.
            let new = if passes[row] && kind != RowKind::Delete && kind.is_addition() {
                match self.routed_group(records, offset) {
                    Ok(routed) => Some(self.read_contribution(
                        &evaluated.arrays,
                        groups.as_ref(),
                        row,
                        routed,
                    )?),
                    Err(message) => {
                        errors.push(self.error(offset, message));
                        None
                    }
                }
            } else {
                None
            };
            let group = new.map(|_| KeyBytes::new(&self.group_scratch));
            if self.table_rows.is_some() {
                let key = (0..self.source_key_count)
                    .map(|c| ScalarValue::try_from_array(batch.column(c), row))
                    .collect::<datafusion::error::Result<Vec<_>>>()?;
                let old = self.table_rows.as_mut().and_then(|rows| rows.delete(&key));
                if let Some(old) = old {
                    let before = out.len();
                    let same_group = group.as_ref() == Some(&old.group);
                    if let Err(e) = self.aggregate.apply(
                        old.group,
                        &old.args,
                        old.rowtime.max(rowtime),
                        false,
                        &mut out,
                    ) {
                        errors.push(self.error(offset, e.to_string()));
                    }
                    if same_group {
                        // An update within one group is one change: the addition below
                        // reports it (as Kafka Streams does since KIP-904).
                        out.truncate(before);
                    }
                }
                if let (Some(group), Some(rows)) = (&group, &mut self.table_rows) {
                    let contribution = Contribution {
                        group: group.clone(),
                        args: self.args_scratch.clone(),
                        rowtime,
                    };
                    rows.put(key, contribution);
                }
            }
            let (Some(group), Some(null_group)) = (group, new) else {
                continue;
            };
            if null_group {
                errors.push(self.error(
                    offset,
                    "GROUP BY expression evaluated to NULL: the row is excluded from the aggregation"
                        .into(),
                ));
                continue;
            }
            if let Err(e) = self
                .aggregate
                .apply(group, &self.args_scratch, rowtime, true, &mut out)
            {
                errors.push(self.error(offset, e.to_string()));
            }
        }
        Ok(out)
    }

    /// The group a router computed for the record at `offset`; `None` when the task
    /// computes groups itself.
    fn routed_group(
        &self,
        records: &[ConsumedRecord],
        offset: u64,
    ) -> std::result::Result<Option<Vec<ScalarValue>>, String> {
        if !self.repartitioned {
            return Ok(None);
        }
        let record = records
            .binary_search_by_key(&offset, |r| r.offset)
            .map(|i| &records[i])
            .map_err(|_| format!("no record read at offset {offset}"))?;
        group_key_of(record).map(Some)
    }

    /// Reads a row's contribution into the scratch buffers: its group (`routed`, or
    /// evaluated first in `arrays`, whose grouping columns are `groups`) and its
    /// aggregates' arguments (the rest of `arrays`). Returns whether the group has a
    /// NULL value.
    fn read_contribution(
        &mut self,
        arrays: &[ArrayRef],
        groups: Option<&GroupColumns<'_>>,
        row: usize,
        routed: Option<Vec<ScalarValue>>,
    ) -> Result<bool> {
        let (null_group, mut next) = match routed {
            Some(group) => {
                encode_group_scalars(&group, &mut self.group_scratch)
                    .map_err(ExecError::Internal)?;
                (group.iter().any(ScalarValue::is_null), 0)
            }
            None => {
                let groups = groups
                    .ok_or_else(|| ExecError::Internal("no grouping columns (a bug)".into()))?;
                let null_group = groups
                    .encode(row, &mut self.group_scratch)
                    .map_err(ExecError::Internal)?;
                (null_group, self.group_count)
            }
        };
        for (args, count) in self.args_scratch.iter_mut().zip(&self.arg_counts) {
            args.clear();
            for column in &arrays[next..next + count] {
                args.push(scalar_at(column, row)?);
            }
            next += count;
        }
        Ok(null_group)
    }

    /// Applies HAVING and the projection to the changes and writes them to the sink.
    fn emit(
        &mut self,
        changes: Vec<AggregateRow>,
        errors: &mut Vec<ProcessingError>,
    ) -> Result<usize> {
        if changes.is_empty() {
            return Ok(0);
        }
        let mut kinds: Vec<RowKind> = changes.iter().map(|c| c.kind).collect();
        let rowtimes = Int64Array::from_iter_values(changes.iter().map(|c| c.rowtime));
        let windowed = changes.iter().any(|c| c.window.is_some());
        let starts =
            Int64Array::from_iter_values(changes.iter().map(|c| c.window.map_or(0, |w| w.0)));
        let ends =
            Int64Array::from_iter_values(changes.iter().map(|c| c.window.map_or(0, |w| w.1)));
        // Only HAVING needs the groups once the batch has taken them.
        let published_ids: Vec<_> = match self.having {
            Some(_) => changes
                .iter()
                .map(|c| (c.group.clone(), c.window))
                .collect(),
            None => Vec::new(),
        };
        let batch = self.scope_batch(changes)?;
        if let Some(having) = &self.having {
            let evaluated = having.evaluate(&batch)?;
            let mask = predicate_mask(&evaluated.arrays[0])?;
            let mut passes: Vec<bool> = (0..kinds.len()).map(|row| mask.value(row)).collect();
            for (row, message) in &evaluated.failures {
                errors.push(self.error(0, format!("Error evaluating HAVING: {message}")));
                passes[*row] = false;
            }
            for ((kind, pass), id) in kinds.iter_mut().zip(passes).zip(published_ids) {
                if pass && *kind != RowKind::Delete {
                    self.published.put(id, ());
                } else if self.published.delete(&id).is_some() {
                    *kind = RowKind::Delete;
                } else {
                    // Never published: nothing downstream to delete.
                    *kind = RowKind::UpdateBefore;
                }
            }
        }
        let evaluated = self.project.evaluate(&batch)?;
        for (_, message) in &evaluated.failures {
            errors.push(self.error(0, format!("Error evaluating SELECT: {message}")));
        }
        let written = self.sink.write_buffered(
            &evaluated.arrays,
            &kinds,
            &rowtimes,
            windowed.then_some((&starts, &ends)),
        )?;
        Ok(written)
    }

    /// The changes as a batch of the aggregate scope: keys, aggregates, ROWTIME and,
    /// when windowed, WINDOWSTART and WINDOWEND. The scalars move into the arrays.
    fn scope_batch(&self, mut changes: Vec<AggregateRow>) -> Result<RecordBatch> {
        let take = |values: &mut Vec<ScalarValue>, i: usize| {
            values
                .get_mut(i)
                .map(|v| std::mem::replace(v, ScalarValue::Null))
        };
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.scope_schema.fields().len());
        for i in 0..self.group_count {
            columns.push(scalars_to_array(
                changes
                    .iter_mut()
                    .map(|c| take(&mut c.group, i).unwrap_or(ScalarValue::Null))
                    .collect(),
            )?);
        }
        for (i, null) in self.null_results.iter().enumerate() {
            columns.push(scalars_to_array(
                changes
                    .iter_mut()
                    .map(|c| take(&mut c.results, i).unwrap_or_else(|| null.clone()))
                    .collect(),
            )?);
        }
        columns.push(Arc::new(Int64Array::from_iter_values(
            changes.iter().map(|c| c.rowtime),
        )));
        if self.scope_schema.fields().len() > columns.len() {
            columns.push(Arc::new(Int64Array::from_iter_values(
                changes.iter().map(|c| c.window.map_or(0, |w| w.0)),
            )));
            columns.push(Arc::new(Int64Array::from_iter_values(
                changes.iter().map(|c| c.window.map_or(0, |w| w.1)),
            )));
        }
        // Values built from scalars may differ from the declared type in details (a
        // list's field name, a decimal's precision): cast them to what the scope says.
        let columns = columns
            .into_iter()
            .zip(self.scope_schema.fields())
            .map(|(array, field)| conform(array, field.data_type()))
            .collect::<Result<Vec<_>>>()?;
        Ok(RecordBatch::try_new(
            Arc::clone(&self.scope_schema),
            columns,
        )?)
    }
}

/// The decoder of the plan's source that builds only the value columns the filter, the
/// grouping and the aggregates read: the others are still decoded, so a bad value still
/// fails its record, but come out as all-NULL arrays that cost nothing to build.
fn source_reading(
    plan: &AggregatePlan,
    filter: Option<&Evaluator>,
    inputs: &Evaluator,
) -> Result<SourceExec> {
    let mut used = inputs.used_columns(plan.input.scope.columns.len());
    if let Some(filter) = filter {
        filter.mark_used_columns(&mut used);
    }
    Ok(SourceExec::try_new(&plan.input)?.with_used_columns(&used))
}

/// The aggregate operator of `plan`, with EMIT FINAL and RETENTION as it asks.
fn aggregate_exec(
    functions: Vec<(Arc<AggregateFunction>, AggregateSpec)>,
    plan: &AggregatePlan,
) -> AggregateExec {
    let mut exec = AggregateExec::new(functions, plan.window);
    if plan.emit_final {
        exec = exec.with_emit_final();
    }
    if let Some(retention_ms) = plan.retention_ms {
        exec = exec.with_retention(retention_ms);
    }
    exec
}

/// The value at `row` of `array`, as `ScalarValue::try_from_array` gives it, without
/// its general dispatch for the types group keys and numeric arguments mostly have.
fn scalar_at(array: &ArrayRef, row: usize) -> datafusion::error::Result<ScalarValue> {
    if array.is_valid(row) {
        let any = array.as_any();
        match array.data_type() {
            DataType::Utf8 => {
                if let Some(strings) = any.downcast_ref::<StringArray>() {
                    return Ok(ScalarValue::Utf8(Some(strings.value(row).to_owned())));
                }
            }
            DataType::Int64 => {
                if let Some(ints) = any.downcast_ref::<Int64Array>() {
                    return Ok(ScalarValue::Int64(Some(ints.value(row))));
                }
            }
            DataType::Int32 => {
                if let Some(ints) = any.downcast_ref::<Int32Array>() {
                    return Ok(ScalarValue::Int32(Some(ints.value(row))));
                }
            }
            DataType::Float64 => {
                if let Some(floats) = any.downcast_ref::<Float64Array>() {
                    return Ok(ScalarValue::Float64(Some(floats.value(row))));
                }
            }
            _ => {}
        }
    }
    ScalarValue::try_from_array(array, row)
}

fn conform(array: ArrayRef, ty: &DataType) -> Result<ArrayRef> {
    if array.data_type() == ty {
        return Ok(array);
    }
    Ok(arrow::compute::cast(&array, ty)?)
}

pub(super) fn int64_column(batch: &RecordBatch, name: &str) -> Result<Int64Array> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::BooleanArray;

    #[test]
    fn the_fast_scalar_is_the_general_one() {
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![Some("k-1"), None, Some("")])),
            Arc::new(Int64Array::from(vec![Some(-3), None, Some(i64::MAX)])),
            Arc::new(Int32Array::from(vec![Some(7), None, Some(0)])),
            Arc::new(Float64Array::from(vec![Some(1.5), None, Some(f64::NAN)])),
            Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
        ];
        for array in &arrays {
            for row in 0..array.len() {
                let general = ScalarValue::try_from_array(array, row).expect("general");
                let fast = scalar_at(array, row).expect("fast");
                assert_eq!(fast, general, "{:?} row {row}", array.data_type());
            }
        }
    }
}
