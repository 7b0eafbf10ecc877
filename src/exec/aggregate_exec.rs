//! AggregateExec: per-group (and per-window) aggregate state, updated row by row.
//!
//! Each input row adds to (or, for a TABLE source, retracts from) the state of its
//! group in every window it falls in, and yields one [`AggregateRow`] per changed
//! group-window: the new result, or a tombstone for a session window merged away.

use std::collections::{BTreeMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::common::ScalarValue;
use smallvec::SmallVec;

use super::aggregate_codec::{GroupKeyCodec, SharedCodec, WindowKeyCodec, WindowStateCodec};
use super::change::RowKind;
use super::group_key::group_scalars;
use super::suppress::SuppressBuffer;
use crate::catalog::WindowType;
use crate::functions::aggregate::{AggregateFunction, AggregateSpec, AggregateState};
use crate::functions::error::FunctionError;
use crate::plan::WindowPlan;
use crate::state::codec::ListCodec;
use crate::state::fast_hash::fast_hash;
use crate::state::key_bytes::KeyBytes;
use crate::state::store::Prehashed;
use crate::state::{DurableStore, KeyedStore, StateCodec};

type FnResult<T> = std::result::Result<T, FunctionError>;

/// One change of the aggregate's output, a row of the plan's aggregate scope.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateRow {
    /// `Insert` for a new result, `Delete` for a tombstone.
    pub kind: RowKind,
    pub group: Vec<ScalarValue>,
    /// One value per aggregate; empty for a tombstone.
    pub results: Vec<ScalarValue>,
    pub rowtime: i64,
    /// `[start, end)` of a time window; `[start, end]` of a session.
    pub window: Option<(i64, i64)>,
}

/// A group-window's aggregate states, kept in its entry when there are two or fewer:
/// every row reaches them, and a separate list would cost one more cache miss.
pub(super) type AggregateStates = SmallVec<[Box<dyn AggregateState>; 2]>;

/// The state of one group in one window.
#[derive(Debug)]
pub(super) struct WindowState {
    pub(super) aggregates: AggregateStates,
    /// The largest timestamp folded in: the output records' ROWTIME.
    pub(super) max_rowtime: i64,
    /// The stream time of the last change: what RETENTION of a non-windowed table
    /// counts idleness from.
    pub(super) touched: i64,
    pub(super) start: i64,
    pub(super) end: i64,
    /// Changed since the last flush of deferred results (see [`DeferredResults`]).
    pub(super) pending: bool,
}

/// Where a group's state lives: one key per time window (or the group alone).
///
/// The group is its encoded bytes ([`super::group_key`]), and the key hashes them once,
/// when it is made: a row looks its key up several times (in the store and in its
/// changelog's set of changed keys).
#[derive(Debug, Clone)]
pub(super) struct WindowKey {
    pub(super) group: KeyBytes,
    pub(super) start: i64,
    hash: u64,
}

impl WindowKey {
    pub(super) fn new(group: KeyBytes, start: i64) -> Self {
        let hash = fast_hash(&(group.as_bytes(), start));
        WindowKey { group, start, hash }
    }
}

/// The values of a group key, for an emitted row.
fn scalars_of(group: &KeyBytes) -> FnResult<Vec<ScalarValue>> {
    group_scalars(group).map_err(|message| FunctionError::CorruptState {
        name: "GROUP BY".into(),
        message,
    })
}

impl Hash for WindowKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for WindowKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.start == other.start && self.group == other.group
    }
}

impl Eq for WindowKey {}

/// With a record cache, the group-windows changed since the last flush, in the order
/// they first changed. Their results are computed once, when they are flushed, rather
/// than on every row: a group updated six times between commits costs one result.
#[derive(Debug, Default)]
struct DeferredResults {
    keys: VecDeque<WindowKey>,
    /// The estimated bytes the flush will emit, which the cache's bound counts.
    bytes: usize,
    /// Closed windows were kept for their results: the next purge must scan again.
    closed_kept: bool,
}

/// What a deferred group-window holds until its commit, besides its group's bytes: its
/// key in the deferred list and in the changelog's set of changed keys (about 110
/// bytes), then, once flushed, its output record in the sink's buffer and its changelog
/// record (about 250 bytes). With this estimate the windowed benchmark (4 tasks sharing
/// 10 MB) peaks about 20 MiB above its uncached run: the bound is an estimate, as Kafka
/// Streams' is.
const DEFERRED_ENTRY_BYTES: usize = 384;

/// The aggregates of a query and their state.
pub struct AggregateExec {
    functions: Vec<(Arc<AggregateFunction>, AggregateSpec)>,
    window: Option<WindowPlan>,
    windows: KeyedStore<WindowKey, WindowState, Prehashed>,
    sessions: KeyedStore<KeyBytes, Vec<WindowState>>,
    /// The largest timestamp seen: what closes windows.
    stream_time: i64,
    /// With EMIT FINAL: the results held until their window closes.
    suppress: Option<SuppressBuffer>,
    /// RETENTION of a non-windowed table: groups untouched for longer are expired.
    retention_ms: Option<i64>,
    /// Groups by the stream time they were last touched, oldest first; an entry whose
    /// group was touched again since is stale and skipped.
    idle: BTreeMap<i64, Vec<WindowKey>>,
    /// The latest time window start written: what the window store's retention counts
    /// from when EMIT FINAL releases a window (as Kafka Streams' window store does).
    latest_window_start: i64,
    /// No open time window ends before this: purging scans the windows only once one
    /// may have closed. `None` when unknown (after a restore), which forces a scan.
    earliest_open_end: Option<i64>,
    /// Results computed at flush instead of per row (`None`: every row yields its result).
    deferred: Option<DeferredResults>,
}

impl AggregateExec {
    pub fn new(
        functions: Vec<(Arc<AggregateFunction>, AggregateSpec)>,
        window: Option<WindowPlan>,
    ) -> Self {
        AggregateExec {
            functions,
            window,
            windows: KeyedStore::default(),
            sessions: KeyedStore::default(),
            stream_time: i64::MIN,
            suppress: None,
            latest_window_start: i64::MIN,
            retention_ms: None,
            idle: BTreeMap::new(),
            earliest_open_end: None,
            deferred: None,
        }
    }

    /// Defers the results of time windows and plain groups to [`Self::take_deferred`]:
    /// `apply` then yields no row for them. Sessions, EMIT FINAL and RETENTION keep
    /// yielding rows (their tombstones must stay ordered with the results).
    pub fn defer_results(&mut self) {
        let eligible = self.suppress.is_none()
            && self.retention_ms.is_none()
            && self.window.is_none_or(|w| w.kind != WindowType::Session);
        if eligible {
            self.deferred = Some(DeferredResults::default());
        }
    }

    /// The estimated bytes of the results waiting for [`Self::take_deferred`].
    pub fn deferred_bytes(&self) -> usize {
        self.deferred.as_ref().map_or(0, |d| d.bytes)
    }

    /// Appends the current result of up to `limit` group-windows changed since the last
    /// call, in the order they first changed; a result that fails to compute is
    /// reported in `failures` instead. Returns how many were taken: taking results in
    /// chunks keeps a flush from building every output row at once.
    pub fn take_deferred(
        &mut self,
        limit: usize,
        out: &mut Vec<AggregateRow>,
        failures: &mut Vec<String>,
    ) -> usize {
        let Some(deferred) = &mut self.deferred else {
            return 0;
        };
        let windowed = self.window.is_some();
        let taken = limit.min(deferred.keys.len());
        for key in deferred.keys.drain(..taken) {
            let Some(state) = self.windows.get_mut_untracked(&key) else {
                continue;
            };
            state.pending = false;
            match results(state).and_then(|r| Ok((r, scalars_of(&key.group)?))) {
                Ok((results, group)) => out.push(AggregateRow {
                    kind: RowKind::Insert,
                    group,
                    results,
                    rowtime: state.max_rowtime,
                    window: windowed.then_some((state.start, state.end)),
                }),
                Err(e) => failures.push(format!("Error computing an aggregate: {e}")),
            }
        }
        if deferred.keys.is_empty() {
            deferred.bytes = 0;
            if std::mem::take(&mut deferred.closed_kept) {
                self.earliest_open_end = None;
            }
        }
        taken
    }

    /// RETENTION for a non-windowed table: a group untouched (by stream time) for
    /// longer than `retention_ms` is expired, and a tombstone published for it.
    pub fn with_retention(mut self, retention_ms: i64) -> Self {
        self.retention_ms = Some(retention_ms.max(0));
        self
    }

    /// Expires the groups idle for longer than the retention, oldest first, appending
    /// a tombstone for each to `out`.
    fn expire_idle(&mut self, out: &mut Vec<AggregateRow>) -> FnResult<()> {
        let Some(retention) = self.retention_ms else {
            return Ok(());
        };
        let horizon = self.stream_time.saturating_sub(retention);
        // Strictly older than the horizon: "untouched for longer than" the retention.
        let still_fresh = self.idle.split_off(&horizon);
        let expired = std::mem::replace(&mut self.idle, still_fresh);
        for (touched, keys) in expired {
            for key in keys {
                let current = self.windows.get(&key).is_some_and(|s| s.touched == touched);
                if current && self.windows.delete(&key).is_some() {
                    out.push(AggregateRow {
                        kind: RowKind::Delete,
                        group: scalars_of(&key.group)?,
                        results: Vec::new(),
                        rowtime: self.stream_time,
                        window: None,
                    });
                }
            }
        }
        Ok(())
    }

    /// EMIT FINAL: each window's result is published once, when the window closes.
    pub fn with_emit_final(mut self) -> Self {
        self.suppress = Some(SuppressBuffer::default());
        self
    }

    /// How many results EMIT FINAL holds back (0 without EMIT FINAL).
    pub fn suppressed_rows(&self) -> usize {
        self.suppress.as_ref().map_or(0, SuppressBuffer::len)
    }

    fn fresh(&self, start: i64, end: i64, rowtime: i64) -> FnResult<WindowState> {
        Ok(WindowState {
            aggregates: self
                .functions
                .iter()
                .map(|(f, spec)| f.create(spec))
                .collect::<FnResult<_>>()?,
            max_rowtime: rowtime,
            touched: self.stream_time,
            start,
            end,
            pending: false,
        })
    }

    /// Folds one row into its group: `args` holds each aggregate's column arguments;
    /// `addition` is false to retract a row added before. Appends the changes to `out`.
    pub fn apply(
        &mut self,
        group: KeyBytes,
        args: &[Vec<ScalarValue>],
        rowtime: i64,
        addition: bool,
        out: &mut Vec<AggregateRow>,
    ) -> FnResult<()> {
        self.stream_time = self.stream_time.max(rowtime);
        self.expire_idle(out)?;
        let (Some(mut buffer), Some(plan)) = (self.suppress.take(), self.window) else {
            return self.apply_unsuppressed(group, args, rowtime, addition, out);
        };
        let mut changes = Vec::new();
        let applied = self.apply_unsuppressed(group, args, rowtime, addition, &mut changes);
        for change in changes {
            let due = plan.final_result_due(change.window.unwrap_or((0, 0)));
            buffer.hold(change, due);
        }
        let retained_from = self
            .latest_window_start
            .saturating_sub(plan.store_retention_ms());
        let is_session = plan.kind == WindowType::Session;
        buffer.release(
            self.stream_time,
            |row| is_session || row.window.is_some_and(|(start, _)| start >= retained_from),
            out,
        );
        self.suppress = Some(buffer);
        applied
    }

    fn apply_unsuppressed(
        &mut self,
        group: KeyBytes,
        args: &[Vec<ScalarValue>],
        rowtime: i64,
        addition: bool,
        out: &mut Vec<AggregateRow>,
    ) -> FnResult<()> {
        match self.window {
            None => self.apply_window(group, None, args, rowtime, addition, out),
            Some(plan) if plan.kind == WindowType::Session => {
                self.apply_session(group, plan, args, rowtime, addition, out)
            }
            Some(plan) => {
                let stream_time = self.stream_time;
                for window in plan.windows_holding(rowtime) {
                    if !plan.is_closed(window.1, stream_time) {
                        let group = group.clone();
                        self.apply_window(group, Some(window), args, rowtime, addition, out)?;
                    }
                }
                Ok(())
            }
        }
    }

    fn apply_window(
        &mut self,
        group: KeyBytes,
        window: Option<(i64, i64)>,
        args: &[Vec<ScalarValue>],
        rowtime: i64,
        addition: bool,
        out: &mut Vec<AggregateRow>,
    ) -> FnResult<()> {
        let (start, end) = window.unwrap_or((0, 0));
        self.latest_window_start = self.latest_window_start.max(start);
        let key = WindowKey::new(group, start);
        let stream_time = self.stream_time;
        let deferring = self.deferred.is_some();
        // One lookup for a group-window that exists, the common case. A deferring store
        // records the key as changed only on its first change since the flush.
        let existing = if deferring {
            self.windows.get_mut_untracked(&key)
        } else {
            self.windows.get_mut(&key)
        };
        let (change, newly_pending) = match existing {
            Some(state) => {
                let newly_pending = deferring && !std::mem::replace(&mut state.pending, deferring);
                let change = update(state, args, rowtime, addition, stream_time, false)?;
                (change, newly_pending)
            }
            None => {
                if !addition {
                    // Nothing was added to this group: nothing to take back.
                    return Ok(());
                }
                let mut fresh = self.fresh(start, end, rowtime)?;
                fresh.pending = deferring;
                let change = update(&mut fresh, args, rowtime, addition, stream_time, true)?;
                self.windows.put(key.clone(), fresh);
                if let Some(earliest) = &mut self.earliest_open_end {
                    *earliest = (*earliest).min(end);
                }
                (change, deferring)
            }
        };
        if self.retention_ms.is_some() && change.moved {
            self.idle.entry(stream_time).or_default().push(key.clone());
        }
        match &mut self.deferred {
            Some(deferred) => {
                if newly_pending {
                    self.windows.touch(&key);
                    deferred.bytes += DEFERRED_ENTRY_BYTES + key.group.as_bytes().len();
                    deferred.keys.push_back(key);
                }
            }
            None => {
                out.push(AggregateRow {
                    kind: RowKind::Insert,
                    results: change.results.unwrap_or_default(),
                    group: scalars_of(&key.group)?,
                    rowtime: change.rowtime,
                    window,
                });
            }
        }
        Ok(())
    }

    fn apply_session(
        &mut self,
        group: KeyBytes,
        plan: WindowPlan,
        args: &[Vec<ScalarValue>],
        rowtime: i64,
        addition: bool,
        out: &mut Vec<AggregateRow>,
    ) -> FnResult<()> {
        let gap = plan.size_ms;
        let close_time = self
            .stream_time
            .saturating_sub(gap)
            .saturating_sub(plan.grace_ms);
        // Sessions past retention are gone from the store, as in Kafka Streams'
        // segmented session store: a late record starts a new session instead.
        let retention = plan
            .retention_ms
            .unwrap_or_else(|| gap.saturating_add(plan.grace_ms));
        let expiry = self.stream_time.saturating_sub(retention);
        let mut sessions = self.sessions.delete(&group).unwrap_or_default();
        sessions.retain(|s| s.end >= expiry);
        let (mut merging, mut others): (Vec<WindowState>, Vec<WindowState>) =
            sessions.into_iter().partition(|s| {
                s.end.saturating_add(gap) >= rowtime && s.start.saturating_sub(gap) <= rowtime
            });
        let start = merging.iter().map(|s| s.start).fold(rowtime, i64::min);
        let end = merging.iter().map(|s| s.end).fold(rowtime, i64::max);
        if end < close_time || (!addition && merging.is_empty()) {
            // Too late for any open session (or nothing to retract): the row is dropped.
            others.append(&mut merging);
            self.sessions.put(group, others);
            return Ok(());
        }
        merging.sort_by_key(|s| s.start);
        let values = scalars_of(&group)?;
        let unchanged = merging.len() == 1 && merging[0].start == start && merging[0].end == end;
        let mut merged = self.fresh(start, end, rowtime)?;
        for old in &merging {
            for (into, from) in merged.aggregates.iter_mut().zip(&old.aggregates) {
                into.merge(from.as_ref())?;
            }
            merged.max_rowtime = merged.max_rowtime.max(old.max_rowtime);
            if !unchanged {
                out.push(AggregateRow {
                    kind: RowKind::Delete,
                    group: values.clone(),
                    results: Vec::new(),
                    rowtime: old.max_rowtime,
                    window: Some((old.start, old.end)),
                });
            }
        }
        fold(&mut merged, args, addition)?;
        out.push(AggregateRow {
            kind: RowKind::Insert,
            group: values,
            results: results(&merged)?,
            rowtime: merged.max_rowtime,
            window: Some((start, end)),
        });
        others.push(merged);
        self.sessions.put(group, others);
        Ok(())
    }

    /// Drops the state of windows that no record can reach any more.
    pub fn purge_closed(&mut self) {
        let Some(plan) = self.window else {
            return;
        };
        let stream_time = self.stream_time;
        match plan.kind {
            WindowType::Session => {
                let close_time = stream_time
                    .saturating_sub(plan.size_ms)
                    .saturating_sub(plan.grace_ms);
                self.sessions
                    .purge(|_, sessions| sessions.iter().all(|s| s.end < close_time));
            }
            _ => {
                if self
                    .earliest_open_end
                    .is_some_and(|earliest| !plan.is_closed(earliest, stream_time))
                {
                    return;
                }
                let mut earliest = i64::MAX;
                let mut kept_for_flush = false;
                self.windows.purge(|_, state| {
                    let closed = plan.is_closed(state.end, stream_time);
                    if !closed {
                        earliest = earliest.min(state.end);
                    } else if state.pending {
                        // Its deferred result is still to be emitted: it goes once the
                        // flush has read it (which asks for a new scan).
                        kept_for_flush = true;
                        return false;
                    }
                    closed
                });
                self.earliest_open_end = Some(earliest);
                if let Some(deferred) = &mut self.deferred {
                    deferred.closed_kept |= kept_for_flush;
                }
            }
        }
    }

    /// Records every change of the state in the task's changelog from now on (call
    /// before the first row; a restore then refills the stores).
    pub fn make_durable(&mut self) {
        self.earliest_open_end = None;
        let state = Arc::new(WindowStateCodec::new(self.functions.clone()));
        self.windows = KeyedStore::with_changelog(
            "windows",
            Arc::new(WindowKeyCodec),
            Arc::clone(&state) as Arc<dyn StateCodec<WindowState>>,
        );
        self.sessions = KeyedStore::with_changelog(
            "sessions",
            Arc::new(GroupKeyCodec),
            Arc::new(ListCodec(SharedCodec(state))),
        );
    }

    /// The stores, for the task's changelog.
    pub fn stores_mut(&mut self) -> [&mut dyn DurableStore; 2] {
        [&mut self.windows, &mut self.sessions]
    }

    /// The largest timestamp seen, which a checkpoint records.
    pub fn stream_time(&self) -> i64 {
        self.stream_time
    }

    /// Restores the stream time from a checkpoint.
    pub fn set_stream_time(&mut self, stream_time: i64) {
        self.stream_time = stream_time;
    }

    /// How many group-windows hold state.
    pub fn open_windows(&self) -> usize {
        self.windows.len() + self.sessions.len()
    }
}

fn fold(state: &mut WindowState, args: &[Vec<ScalarValue>], addition: bool) -> FnResult<()> {
    for (aggregate, row) in state.aggregates.iter_mut().zip(args) {
        if addition {
            aggregate.add(row)?;
        } else {
            aggregate.retract(row)?;
        }
    }
    Ok(())
}

/// What folding a row into a group-window changed.
struct WindowChange {
    /// The new results, unless they are deferred.
    results: Option<Vec<ScalarValue>>,
    /// The output's ROWTIME: the largest timestamp folded in.
    rowtime: i64,
    /// Whether the group-window was created or last touched at an earlier stream time,
    /// so that RETENTION must track it anew.
    moved: bool,
}

/// Folds one row into `state` at `stream_time`; `created` for a state made for it. The
/// results are computed unless the state waits for a deferred flush.
fn update(
    state: &mut WindowState,
    args: &[Vec<ScalarValue>],
    rowtime: i64,
    addition: bool,
    stream_time: i64,
    created: bool,
) -> FnResult<WindowChange> {
    fold(state, args, addition)?;
    state.max_rowtime = state.max_rowtime.max(rowtime);
    let moved = created || state.touched != stream_time;
    state.touched = stream_time;
    Ok(WindowChange {
        results: if state.pending {
            None
        } else {
            Some(results(state)?)
        },
        rowtime: state.max_rowtime,
        moved,
    })
}

fn results(state: &WindowState) -> FnResult<Vec<ScalarValue>> {
    state.aggregates.iter().map(|a| a.result()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::group_key::group_from_scalars;
    use crate::functions::registry::FunctionRegistry;
    use crate::sql::SqlType;

    fn exec(function: &str, arg: SqlType, window: Option<WindowPlan>) -> AggregateExec {
        let f = FunctionRegistry::global()
            .aggregate(function)
            .expect("builtin aggregate");
        let spec = f.spec(&[arg], &[]).expect("valid call");
        AggregateExec::new(vec![(f, spec)], window)
    }

    /// A window of `size_ms` (a session's gap) that advances by its size.
    fn window_plan(kind: WindowType, size_ms: i64, grace_ms: i64) -> WindowPlan {
        WindowPlan {
            kind,
            size_ms,
            advance_ms: if kind == WindowType::Session {
                0
            } else {
                size_ms
            },
            grace_ms,
            retention_ms: None,
        }
    }

    fn values(k: i64) -> Vec<ScalarValue> {
        vec![ScalarValue::Int64(Some(k))]
    }

    fn key(k: i64) -> KeyBytes {
        group_from_scalars(&values(k)).expect("encodes")
    }

    fn arg(v: i64) -> Vec<Vec<ScalarValue>> {
        vec![vec![ScalarValue::Int64(Some(v))]]
    }

    #[test]
    fn sums_per_group_and_retracts_table_updates() {
        let mut sum = exec("SUM", SqlType::BigInt, None);
        let mut out = Vec::new();
        sum.apply(key(1), &arg(5), 10, true, &mut out).expect("add");
        sum.apply(key(1), &arg(7), 20, true, &mut out).expect("add");
        sum.apply(key(2), &arg(1), 5, true, &mut out).expect("add");
        sum.apply(key(1), &arg(5), 30, false, &mut out)
            .expect("retract");
        let shown: Vec<(i64, i64)> = out
            .iter()
            .map(|r| match (&r.results[0], r.rowtime) {
                (ScalarValue::Int64(Some(v)), t) => (*v, t),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(shown, vec![(5, 10), (12, 20), (1, 5), (7, 30)]);
    }

    #[test]
    fn window_keys_are_equal_exactly_when_group_and_start_are() {
        use std::collections::HashSet;
        let keys: HashSet<WindowKey> = [
            WindowKey::new(key(1), 0),
            WindowKey::new(key(1), 0),
            WindowKey::new(key(1), 10),
            WindowKey::new(key(2), 0),
            WindowKey::new(
                group_from_scalars(&vec![ScalarValue::Utf8(Some("1".into()))]).expect("encodes"),
                0,
            ),
        ]
        .into_iter()
        .collect();
        assert_eq!(keys.len(), 4);
        assert!(keys.contains(&WindowKey::new(key(2), 0)));
        assert!(!keys.contains(&WindowKey::new(key(2), 10)));
    }

    #[test]
    fn a_row_counts_in_every_open_hopping_window_of_its_group() {
        let window = WindowPlan {
            advance_ms: 10,
            ..window_plan(WindowType::Hopping, 30, 0)
        };
        let mut count = exec("SUM", SqlType::BigInt, Some(window));
        let mut out = Vec::new();
        count
            .apply(key(3), &arg(1), 25, true, &mut out)
            .expect("add");
        count
            .apply(key(3), &arg(2), 35, true, &mut out)
            .expect("add");
        let shown: Vec<(Vec<ScalarValue>, Option<(i64, i64)>, ScalarValue)> = out
            .into_iter()
            .map(|r| (r.group, r.window, r.results[0].clone()))
            .collect();
        let sum = |v: i64| ScalarValue::Int64(Some(v));
        assert_eq!(
            shown,
            vec![
                (values(3), Some((0, 30)), sum(1)),
                (values(3), Some((10, 40)), sum(1)),
                (values(3), Some((20, 50)), sum(1)),
                // [0, 30) closed at stream time 35 (no grace).
                (values(3), Some((10, 40)), sum(3)),
                (values(3), Some((20, 50)), sum(3)),
                (values(3), Some((30, 60)), sum(2)),
            ]
        );
    }

    #[test]
    fn late_records_past_grace_are_dropped_from_time_windows() {
        let window = window_plan(WindowType::Tumbling, 30_000, 60_000);
        let mut max = exec("MAX", SqlType::BigInt, Some(window));
        let mut out = Vec::new();
        max.apply(key(0), &arg(0), 0, true, &mut out).expect("add");
        max.apply(key(0), &arg(0), 90_000, true, &mut out)
            .expect("add");
        max.apply(key(0), &arg(6), 10_010, true, &mut out)
            .expect("late");
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].window, Some((90_000, 120_000)));
        max.purge_closed();
        assert_eq!(max.open_windows(), 1);
    }

    #[test]
    fn purging_drops_exactly_the_closed_windows_in_any_arrival_order() {
        let window = window_plan(WindowType::Tumbling, 10, 100);
        let mut sum = exec("SUM", SqlType::BigInt, Some(window));
        let mut out = Vec::new();
        for ts in [25, 3, 14] {
            sum.apply(key(1), &arg(1), ts, true, &mut out).expect("add");
        }
        let mut open_after = |stream_time: i64| {
            sum.set_stream_time(stream_time);
            sum.purge_closed();
            sum.open_windows()
        };
        assert_eq!(open_after(25), 3, "none closed yet");
        assert_eq!(open_after(110), 2, "[0, 10) closed at 10 + grace");
        assert_eq!(open_after(119), 2, "[10, 20) closes at 120");
        assert_eq!(open_after(120), 1);
        assert_eq!(open_after(130), 0);
    }

    #[test]
    fn emit_final_publishes_a_window_once_when_it_closes_within_retention() {
        let window = window_plan(WindowType::Tumbling, 2, 1);
        let mut max = exec("MAX", SqlType::BigInt, Some(window)).with_emit_final();
        let mut out = Vec::new();
        for (value, ts) in [(1, 0), (2, 1), (3, 2), (4, 1), (5, 0)] {
            max.apply(key(0), &arg(value), ts, true, &mut out)
                .expect("add");
        }
        assert!(out.is_empty(), "nothing is final yet: {out:?}");
        assert_eq!(max.suppressed_rows(), 2);
        max.apply(key(0), &arg(6), 5, true, &mut out).expect("add");
        // [0,2) fell out of the window store's retention (size + grace, counted from
        // the latest window start) before it closed, as in Kafka Streams: only [2,4).
        let shown: Vec<(Option<(i64, i64)>, i64)> =
            out.iter().map(|r| (r.window, r.rowtime)).collect();
        assert_eq!(shown, vec![(Some((2, 4)), 2)]);
        assert_eq!(max.suppressed_rows(), 1);
    }

    #[test]
    fn retention_expires_idle_groups_with_a_tombstone() {
        let mut sum = exec("SUM", SqlType::BigInt, None).with_retention(10);
        let mut out = Vec::new();
        sum.apply(key(1), &arg(5), 0, true, &mut out).expect("add");
        sum.apply(key(2), &arg(1), 5, true, &mut out).expect("add");
        sum.apply(key(2), &arg(1), 10, true, &mut out).expect("add");
        assert_eq!(out.len(), 3, "idle for exactly the retention is kept");
        sum.apply(key(2), &arg(1), 11, true, &mut out).expect("add");
        assert_eq!(out[3].kind, RowKind::Delete);
        assert_eq!(out[3].group, values(1));
        assert_eq!(out[3].rowtime, 11);
        assert_eq!(sum.open_windows(), 1);
        sum.apply(key(1), &arg(7), 12, true, &mut out).expect("add");
        assert_eq!(
            out[5].results,
            vec![ScalarValue::Int64(Some(7))],
            "starts afresh"
        );
    }

    #[test]
    fn merging_sessions_emits_tombstones_for_the_old_ones() {
        let window = window_plan(WindowType::Session, 30_000, 86_400_000);
        let mut max = exec("MAX", SqlType::BigInt, Some(window));
        let mut out = Vec::new();
        max.apply(key(0), &arg(0), 0, true, &mut out).expect("add");
        max.apply(key(0), &arg(1), 70_010, true, &mut out)
            .expect("add");
        max.apply(key(0), &arg(5), 10_009, true, &mut out)
            .expect("merge");
        let shown: Vec<(RowKind, Option<(i64, i64)>, i64)> =
            out.iter().map(|r| (r.kind, r.window, r.rowtime)).collect();
        assert_eq!(
            shown,
            vec![
                (RowKind::Insert, Some((0, 0)), 0),
                (RowKind::Insert, Some((70_010, 70_010)), 70_010),
                (RowKind::Delete, Some((0, 0)), 0),
                (RowKind::Insert, Some((0, 10_009)), 10_009),
            ]
        );
    }

    #[test]
    fn deferred_results_are_computed_once_per_group_window_at_the_flush() {
        let window = window_plan(WindowType::Tumbling, 10, 0);
        let mut sum = exec("SUM", SqlType::BigInt, Some(window));
        sum.defer_results();
        let mut out = Vec::new();
        for (group, value, ts) in [(1, 1, 1), (2, 5, 2), (1, 2, 3), (1, 4, 12)] {
            sum.apply(key(group), &arg(value), ts, true, &mut out)
                .expect("add");
        }
        assert!(out.is_empty(), "no result before the flush: {out:?}");
        assert!(sum.deferred_bytes() >= 3 * DEFERRED_ENTRY_BYTES);
        // [0, 10) closed at stream time 12, but its result is still to be read.
        sum.purge_closed();
        let mut failures = Vec::new();
        sum.take_deferred(2, &mut out, &mut failures);
        assert_eq!(out.len(), 2, "a chunk of two");
        assert!(sum.deferred_bytes() > 0, "one still waits");
        sum.take_deferred(2, &mut out, &mut failures);
        assert!(failures.is_empty(), "{failures:?}");
        let shown: Vec<(Vec<ScalarValue>, Option<(i64, i64)>, ScalarValue, i64)> = out
            .iter()
            .map(|r| (r.group.clone(), r.window, r.results[0].clone(), r.rowtime))
            .collect();
        let sum_of = |v: i64| ScalarValue::Int64(Some(v));
        assert_eq!(
            shown,
            vec![
                (values(1), Some((0, 10)), sum_of(3), 3),
                (values(2), Some((0, 10)), sum_of(5), 2),
                (values(1), Some((10, 20)), sum_of(4), 12),
            ]
        );
        assert_eq!(sum.deferred_bytes(), 0);
        sum.purge_closed();
        assert_eq!(sum.open_windows(), 1, "read, the closed window goes");
        out.clear();
        sum.take_deferred(usize::MAX, &mut out, &mut failures);
        assert!(out.is_empty(), "each change is flushed once");
    }

    #[test]
    fn sessions_emit_final_and_retention_never_defer() {
        let session = window_plan(WindowType::Session, 10, 0);
        let mut max = exec("MAX", SqlType::BigInt, Some(session));
        max.defer_results();
        let mut out = Vec::new();
        max.apply(key(1), &arg(1), 1, true, &mut out).expect("add");
        assert_eq!(out.len(), 1);
        let mut sum = exec("SUM", SqlType::BigInt, None).with_retention(10);
        sum.defer_results();
        sum.apply(key(1), &arg(1), 1, true, &mut out).expect("add");
        assert_eq!(out.len(), 2);
    }
}
