//! The join operators: windowed stream-stream, stream-table lookup and table-table
//! (primary- or foreign-key), each turning one side's change into result changes.
//!
//! All state lives in [`KeyedStore`]s of plain rows so that a changelog can back it.

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use super::change::RowKind;
use super::error::{ExecError, Result};
use super::join_rows::Row;
use crate::plan::join::{JoinFlavor, JoinStep};
use crate::state::KeyedStore;
use foreign_index::ForeignIndex;
use lookup_table::{LookupTable, Slot};

/// A change entering or leaving a join step.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinChange {
    pub kind: RowKind,
    /// The columns of the inputs joined so far, side by side.
    pub row: Row,
    /// What identifies the row: a source table's key, or the step's result key.
    pub key: Row,
    pub rowtime: i64,
}

/// Which input of a step a change arrives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

/// A running join step.
pub enum JoinExec {
    Windowed(WindowedJoinExec),
    StreamTable(StreamTableJoinExec),
    TableTable(TableTableJoinExec),
}

impl JoinExec {
    /// The operator for `step`; `left_nulls`/`right_nulls` stand in for a missing side.
    pub fn new(step: &JoinStep, left_nulls: Row, right_nulls: Row) -> Self {
        let sides = Sides {
            keeps_left: step.keeps_left(),
            keeps_right: step.keeps_right(),
            left_nulls,
            right_nulls,
        };
        match step.flavor {
            JoinFlavor::Windowed {
                before_ms,
                after_ms,
                grace_ms,
            } => JoinExec::Windowed(WindowedJoinExec {
                before_ms,
                after_ms,
                grace_ms,
                retention_ms: step.flavor.retention_ms(),
                sides,
                left_rows: KeyedStore::default(),
                right_rows: KeyedStore::default(),
                left_seen: i64::MIN,
                right_seen: i64::MIN,
                stream_time: i64::MIN,
                unmatched: KeyedStore::default(),
                clock: KeyedStore::default(),
            }),
            JoinFlavor::StreamTable => JoinExec::StreamTable(StreamTableJoinExec {
                sides,
                table: KeyedStore::default(),
                lookup: None,
            }),
            JoinFlavor::TableTable { foreign } => JoinExec::TableTable(TableTableJoinExec {
                sides,
                foreign,
                left_rows: KeyedStore::default(),
                right_rows: KeyedStore::default(),
                index: None,
            }),
        }
    }

    /// Applies `change`, whose join key is `join_key`, and appends the results to `out`.
    pub fn apply(
        &mut self,
        side: Side,
        change: JoinChange,
        join_key: Row,
        out: &mut Vec<JoinChange>,
    ) {
        let has_null_key = join_key.iter().any(ScalarValue::is_null);
        match self {
            JoinExec::Windowed(exec) => {
                // A stream row without a value or a join key joins nothing.
                if change.kind == RowKind::Delete || has_null_key {
                    return;
                }
                exec.process(side, change.row, join_key, change.rowtime, out);
            }
            JoinExec::StreamTable(exec) => match side {
                Side::Left => {
                    if change.kind != RowKind::Delete {
                        exec.lookup(change, join_key, has_null_key, out);
                    }
                }
                Side::Right => exec.upsert(change, join_key),
            },
            JoinExec::TableTable(exec) => {
                if !has_null_key || change.kind == RowKind::Delete {
                    exec.change(side, change, join_key, out);
                }
            }
        }
    }

    /// Drops rows no future change can join (windowed steps only).
    pub fn purge(&mut self) {
        if let JoinExec::Windowed(exec) = self {
            exec.purge();
        }
    }

    /// How many rows the step holds.
    pub fn state_rows(&self) -> usize {
        match self {
            JoinExec::Windowed(exec) => {
                let count =
                    |s: &KeyedStore<Row, Vec<Row>>| s.iter().map(|(_, v)| v.len()).sum::<usize>();
                count(&exec.left_rows) + count(&exec.right_rows) + count(&exec.unmatched)
            }
            JoinExec::StreamTable(exec) => exec.table.len(),
            JoinExec::TableTable(exec) => exec.left_rows.len() + exec.right_rows.len(),
        }
    }
    /// The step as a stream-table join, for the columnar path of its stream side.
    pub fn as_stream_table(&self) -> Option<&StreamTableJoinExec> {
        match self {
            JoinExec::StreamTable(exec) => Some(exec),
            _ => None,
        }
    }

    /// The step as a stream-table join, to look up a run of its stream side.
    pub fn as_stream_table_mut(&mut self) -> Option<&mut StreamTableJoinExec> {
        match self {
            JoinExec::StreamTable(exec) => Some(exec),
            _ => None,
        }
    }
}

/// What an outer join keeps, and the NULL rows that stand in for a missing side.
struct Sides {
    keeps_left: bool,
    keeps_right: bool,
    left_nulls: Row,
    right_nulls: Row,
}

impl Sides {
    fn joined(&self, left: Option<&[ScalarValue]>, right: Option<&[ScalarValue]>) -> Row {
        let mut row = left.unwrap_or(&self.left_nulls).to_vec();
        row.extend_from_slice(right.unwrap_or(&self.right_nulls));
        row
    }

    fn keeps(&self, side: Side) -> bool {
        match side {
            Side::Left => self.keeps_left,
            Side::Right => self.keeps_right,
        }
    }
}

/// A row as a step stores it: its columns, then its time.
fn stored(mut row: Row, rowtime: i64) -> Row {
    row.push(ScalarValue::Int64(Some(rowtime)));
    row
}

/// Splits a stored row into its columns and its time.
fn unstored(row: &[ScalarValue]) -> (&[ScalarValue], i64) {
    match row.split_last() {
        Some((ScalarValue::Int64(Some(t)), columns)) => (columns, *t),
        _ => (row, i64::MIN),
    }
}

/// A stream-stream join: both sides buffered by join key for the window plus grace,
/// as Kafka Streams' KStreamKStreamJoin does. Without a grace period outer results are
/// emitted at once; with one they wait in `unmatched` until their window closes.
pub struct WindowedJoinExec {
    before_ms: i64,
    after_ms: i64,
    grace_ms: Option<i64>,
    retention_ms: i64,
    sides: Sides,
    left_rows: KeyedStore<Row, Vec<Row>>,
    right_rows: KeyedStore<Row, Vec<Row>>,
    /// The largest time stored on each side: rows older than it by the retention are gone.
    left_seen: i64,
    right_seen: i64,
    /// The largest time seen on either side.
    stream_time: i64,
    /// Rows without a match yet, by `[is_left, time, join key...]`.
    unmatched: KeyedStore<Row, Vec<Row>>,
    /// `[left_seen, right_seen, stream_time]` as of the last batch, for a restart.
    clock: KeyedStore<(), Vec<i64>>,
}

impl WindowedJoinExec {
    fn process(&mut self, side: Side, row: Row, key: Row, rowtime: i64, out: &mut Vec<JoinChange>) {
        self.stream_time = self.stream_time.max(rowtime);
        if self.grace_ms.is_some() && rowtime == self.stream_time {
            self.emit_closed(out);
        }
        let retention = self.retention_ms;
        let (own, own_seen, other, other_seen) = match side {
            Side::Left => (
                &mut self.left_rows,
                &mut self.left_seen,
                &self.right_rows,
                self.right_seen,
            ),
            Side::Right => (
                &mut self.right_rows,
                &mut self.right_seen,
                &self.left_rows,
                self.left_seen,
            ),
        };
        *own_seen = (*own_seen).max(rowtime);
        if rowtime > own_seen.saturating_sub(retention) {
            let entry = stored(row.clone(), rowtime);
            match own.get_mut(&key) {
                Some(rows) => rows.push(entry),
                None => {
                    own.put(key.clone(), vec![entry]);
                }
            }
        }
        // The other side's rows this one meets, oldest first.
        let (from, to) = match side {
            Side::Left => (
                rowtime.saturating_sub(self.before_ms),
                rowtime.saturating_add(self.after_ms),
            ),
            Side::Right => (
                rowtime.saturating_sub(self.after_ms),
                rowtime.saturating_add(self.before_ms),
            ),
        };
        let visible_from = other_seen.saturating_sub(retention);
        let mut matches: Vec<(&[ScalarValue], i64)> = other
            .get(&key)
            .map(|rows| {
                rows.iter()
                    .map(|r| unstored(r))
                    .filter(|(_, t)| *t >= from && *t <= to && *t > visible_from)
                    .collect()
            })
            .unwrap_or_default();
        matches.sort_by_key(|(_, t)| *t);
        let mut matched_times = Vec::with_capacity(matches.len());
        for (other_row, other_time) in &matches {
            let joined = match side {
                Side::Left => self.sides.joined(Some(&row), Some(other_row)),
                Side::Right => self.sides.joined(Some(other_row), Some(&row)),
            };
            out.push(JoinChange {
                kind: RowKind::Insert,
                row: joined,
                key: key.clone(),
                rowtime: rowtime.max(*other_time),
            });
            matched_times.push(*other_time);
        }
        for time in matched_times {
            self.unmatched
                .delete(&unmatched_key(side == Side::Right, time, &key));
        }
        if !matches.is_empty() || !self.sides.keeps(side) {
            return;
        }
        let window_end = match side {
            Side::Left => rowtime.saturating_add(self.after_ms),
            Side::Right => rowtime.saturating_add(self.before_ms),
        };
        if self.grace_ms.is_none() || window_end < self.stream_time {
            out.push(self.unmatched_result(side, &row, &key, rowtime));
        } else {
            let id = unmatched_key(side == Side::Left, rowtime, &key);
            match self.unmatched.get_mut(&id) {
                Some(rows) => rows.push(row),
                None => {
                    self.unmatched.put(id, vec![row]);
                }
            }
        }
    }

    fn unmatched_result(
        &self,
        side: Side,
        row: &[ScalarValue],
        key: &Row,
        rowtime: i64,
    ) -> JoinChange {
        let joined = match side {
            Side::Left => self.sides.joined(Some(row), None),
            Side::Right => self.sides.joined(None, Some(row)),
        };
        JoinChange {
            kind: RowKind::Insert,
            row: joined,
            key: key.clone(),
            rowtime,
        }
    }

    /// Emits the unmatched rows whose window and grace have passed, oldest first.
    fn emit_closed(&mut self, out: &mut Vec<JoinChange>) {
        let grace = self.grace_ms.unwrap_or(0);
        let mut closed: Vec<(i64, bool, String, Row)> = self
            .unmatched
            .iter()
            .filter_map(|(id, _)| {
                let (is_left, time) = match id.as_slice() {
                    [
                        ScalarValue::Boolean(Some(l)),
                        ScalarValue::Int64(Some(t)),
                        ..,
                    ] => (*l, *t),
                    _ => return None,
                };
                let look_back = if is_left {
                    self.after_ms
                } else {
                    self.before_ms
                };
                (time.saturating_add(look_back).saturating_add(grace) < self.stream_time)
                    .then(|| (time, is_left, format!("{:?}", &id[2..]), id.clone()))
            })
            .collect();
        // Kafka Streams orders its outer store by time, then side (right first), then key.
        closed.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
        for (time, is_left, _, id) in closed {
            let Some(rows) = self.unmatched.delete(&id) else {
                continue;
            };
            let key: Row = id[2..].to_vec();
            let side = if is_left { Side::Left } else { Side::Right };
            for row in rows {
                out.push(self.unmatched_result(side, &row, &key, time));
            }
        }
    }

    fn purge(&mut self) {
        let retention = self.retention_ms;
        for (store, seen) in [
            (&mut self.left_rows, self.left_seen),
            (&mut self.right_rows, self.right_seen),
        ] {
            let horizon = seen.saturating_sub(retention);
            let stale: Vec<Row> = store
                .iter()
                .filter(|(_, rows)| rows.iter().any(|r| unstored(r).1 <= horizon))
                .map(|(k, _)| k.clone())
                .collect();
            for key in stale {
                if let Some(rows) = store.get_mut(&key) {
                    rows.retain(|r| unstored(r).1 > horizon);
                }
            }
            store.purge(|_, rows| rows.is_empty());
        }
        self.save_clock();
    }
}

fn unmatched_key(is_left: bool, time: i64, key: &[ScalarValue]) -> Row {
    let mut id = vec![
        ScalarValue::Boolean(Some(is_left)),
        ScalarValue::Int64(Some(time)),
    ];
    id.extend_from_slice(key);
    id
}

/// A stream-table join: the table materialized by key, each stream row looked up.
pub struct StreamTableJoinExec {
    sides: Sides,
    table: KeyedStore<Row, Row>,
    /// The table as Arrow for the columnar stream path, built from `table` on its first
    /// run (so a restored step rebuilds it) and kept up to date by `upsert`.
    lookup: Option<LookupTable>,
}

impl StreamTableJoinExec {
    fn lookup(&self, change: JoinChange, key: Row, null_key: bool, out: &mut Vec<JoinChange>) {
        let found = if null_key { None } else { self.table.get(&key) };
        if found.is_none() && !self.sides.keeps_left {
            return;
        }
        // The stream row is not needed after this: it becomes the result's left side.
        let mut row = change.row;
        row.extend_from_slice(found.unwrap_or(&self.sides.right_nulls));
        out.push(JoinChange {
            kind: RowKind::Insert,
            row,
            key,
            rowtime: change.rowtime,
        });
    }

    /// Looks up the stream rows `rows` of a batch whose join keys are `keys`: for each
    /// result, the stream row it comes from and where the table row it meets is (`None`:
    /// the table side is NULL), for [`StreamTableJoinExec::gather`]. Rows `skip` marks
    /// (retractions) join nothing, as do unmatched rows of an INNER join.
    pub fn lookup_run(
        &mut self,
        keys: &[ArrayRef],
        rows: std::ops::Range<usize>,
        skip: impl Fn(usize) -> bool,
    ) -> Result<(Vec<u32>, Vec<Option<Slot>>)> {
        let key_types: Vec<&DataType> = keys.iter().map(|k| k.data_type()).collect();
        let lookup = match &mut self.lookup {
            Some(lookup) if lookup.keys_have_types(&key_types) => {
                lookup.refresh(&self.table)?;
                lookup
            }
            slot => {
                let types = key_types.into_iter().cloned().collect();
                let mut lookup = LookupTable::try_new(types, &self.sides.right_nulls)?;
                lookup.load(&self.table)?;
                slot.insert(lookup)
            }
        };
        let run: Vec<ArrayRef> = keys
            .iter()
            .map(|k| k.slice(rows.start, rows.len()))
            .collect();
        let encoded = lookup.encode_stream_keys(&run)?;
        let mut from = Vec::with_capacity(rows.len());
        let mut found = Vec::with_capacity(rows.len());
        for (i, row) in rows.enumerate() {
            if skip(row) {
                continue;
            }
            let null_key = run.iter().any(|k| k.is_null(i));
            let slot = if null_key {
                None
            } else {
                lookup.slot(encoded.row(i).as_ref())
            };
            if slot.is_none() && !self.sides.keeps_left {
                continue;
            }
            let index = u32::try_from(row)
                .map_err(|_| ExecError::Internal(format!("stream batch row {row} too far")))?;
            from.push(index);
            found.push(slot);
        }
        Ok((from, found))
    }

    /// The table columns of the rows [`StreamTableJoinExec::lookup_run`] found.
    pub fn gather(&self, found: &[Option<Slot>]) -> Result<Vec<ArrayRef>> {
        let lookup = self
            .lookup
            .as_ref()
            .ok_or_else(|| ExecError::Internal("gather before any lookup run".into()))?;
        lookup.gather(found)
    }

    fn upsert(&mut self, change: JoinChange, key: Row) {
        if let Some(lookup) = &mut self.lookup {
            lookup.changed(&key);
        }
        if change.kind == RowKind::Delete {
            self.table.delete(&key);
        } else if change.kind.is_addition() {
            self.table.put(key, change.row);
        }
    }
}

/// A table-table join. On the primary key, the result is keyed by the join key; as a
/// foreign-key join (left column = right key), by the left row's own key.
pub struct TableTableJoinExec {
    sides: Sides,
    foreign: bool,
    /// Left rows by their own key: columns, time, then join key.
    left_rows: KeyedStore<Row, (Row, Row)>,
    /// Right rows by their key: columns, then time.
    right_rows: KeyedStore<Row, Row>,
    /// A foreign-key join's left keys by the right key they refer to; built from
    /// `left_rows` on first use, so a restored step rebuilds it.
    index: Option<ForeignIndex>,
}

impl TableTableJoinExec {
    fn change(&mut self, side: Side, change: JoinChange, join_key: Row, out: &mut Vec<JoinChange>) {
        let delete = change.kind == RowKind::Delete;
        let rowtime = change.rowtime;
        match side {
            Side::Left => {
                let own_key = if self.foreign {
                    change.key.clone()
                } else {
                    join_key.clone()
                };
                let previous = if delete {
                    self.left_rows.delete(&own_key)
                } else if change.kind.is_addition() {
                    self.left_rows.put(
                        own_key.clone(),
                        (stored(change.row, rowtime), join_key.clone()),
                    )
                } else {
                    return;
                };
                if let Some(index) = &mut self.index {
                    if let Some((_, previous_key)) = &previous {
                        index.remove(previous_key, &own_key);
                    }
                    if !delete {
                        index.insert(&join_key, &own_key);
                    }
                }
                if self.foreign {
                    out.push(self.foreign_result(&own_key, rowtime));
                } else {
                    out.push(self.key_result(&join_key, rowtime));
                }
            }
            Side::Right => {
                if delete {
                    self.right_rows.delete(&join_key);
                } else if change.kind.is_addition() {
                    self.right_rows
                        .put(join_key.clone(), stored(change.row, rowtime));
                } else {
                    return;
                }
                if self.foreign {
                    let left_rows = &self.left_rows;
                    let index = self.index.get_or_insert_with(|| {
                        ForeignIndex::build(left_rows.iter().map(|(k, (_, fk))| (k, fk)))
                    });
                    for left_key in index.referrers(&join_key) {
                        out.push(self.foreign_result(&left_key, rowtime));
                    }
                } else {
                    out.push(self.key_result(&join_key, rowtime));
                }
            }
        }
    }

    /// The result for join key `key` from both stores: a row, or a delete.
    fn key_result(&self, key: &Row, rowtime: i64) -> JoinChange {
        let left = self.left_rows.get(key).map(|(r, _)| unstored(r));
        let right = self.right_rows.get(key).map(|r| unstored(r));
        self.result(left, right, key, rowtime)
    }

    /// The result for the left row `left_key` of a foreign-key join.
    fn foreign_result(&self, left_key: &Row, rowtime: i64) -> JoinChange {
        let Some((left, fk)) = self.left_rows.get(left_key) else {
            return self.result(None, None, left_key, rowtime);
        };
        let right = self.right_rows.get(fk).map(|r| unstored(r));
        self.result(Some(unstored(left)), right, left_key, rowtime)
    }

    fn result(
        &self,
        left: Option<(&[ScalarValue], i64)>,
        right: Option<(&[ScalarValue], i64)>,
        key: &Row,
        rowtime: i64,
    ) -> JoinChange {
        let time = [left.map(|l| l.1), right.map(|r| r.1), Some(rowtime)]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(rowtime);
        let kept = match (left, right) {
            (Some(_), Some(_)) => true,
            (Some(_), None) => self.sides.keeps_left,
            (None, Some(_)) => self.sides.keeps_right,
            (None, None) => false,
        };
        JoinChange {
            kind: if kept {
                RowKind::Insert
            } else {
                RowKind::Delete
            },
            row: self.sides.joined(left.map(|l| l.0), right.map(|r| r.0)),
            key: key.clone(),
            rowtime: time,
        }
    }
}

mod foreign_index;
mod lookup_table;
mod stores;
#[cfg(test)]
mod tests;
