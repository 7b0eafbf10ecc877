//! SuppressBuffer: EMIT FINAL's buffer, each open window's latest result held until it closes.
//!
//! A windowed aggregation with EMIT FINAL publishes nothing while a window is open: every
//! change replaces the window's pending row here, and the row is released once stream
//! time reaches the window's due time (its end plus grace; for a session, the end plus
//! gap plus grace, exclusive). The buffer is bounded by the number of open windows,
//! since every window is released (or dropped) when it closes.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use datafusion::common::ScalarValue;

use super::aggregate_exec::AggregateRow;
use super::change::RowKind;
use crate::state::KeyedStore;

/// A window of one group: the group's key values and the window start.
type WindowId = (Vec<ScalarValue>, i64);

/// A window's latest result and the stream time at which it is final.
#[derive(Debug)]
struct Pending {
    row: AggregateRow,
    due: i64,
}

/// The pending final results of a query task's open windows.
#[derive(Debug, Default)]
pub struct SuppressBuffer {
    pending: KeyedStore<WindowId, Pending>,
    /// Windows by due time; an entry whose window was since replaced, merged away or
    /// given another due time is stale and skipped when it comes due.
    by_due: BTreeMap<i64, Vec<WindowId>>,
}

impl SuppressBuffer {
    /// Holds `row` as its window's pending result, final at stream time `due`. A
    /// tombstone (a session merged into another) withdraws the window instead.
    pub fn hold(&mut self, row: AggregateRow, due: i64) {
        let Some((start, _)) = row.window else {
            // Only windowed results are suppressed; the planner refuses the rest.
            return;
        };
        let id = (row.group.clone(), start);
        if row.kind == RowKind::Delete {
            self.pending.delete(&id);
            return;
        }
        let previous_due = self.pending.get(&id).map(|p| p.due);
        if previous_due != Some(due) {
            self.by_due.entry(due).or_default().push(id.clone());
        }
        self.pending.put(id, Pending { row, due });
    }

    /// Releases every window due at `stream_time` into `out`, ordered by window end,
    /// then start, then group; `keep` says whether a released row is published (a
    /// window that fell out of the store's retention is dropped silently).
    pub fn release(
        &mut self,
        stream_time: i64,
        keep: impl Fn(&AggregateRow) -> bool,
        out: &mut Vec<AggregateRow>,
    ) {
        let later = match stream_time.checked_add(1) {
            Some(next) => self.by_due.split_off(&next),
            None => BTreeMap::new(),
        };
        let due = std::mem::replace(&mut self.by_due, later);
        let mut released: Vec<AggregateRow> = Vec::new();
        for (due_time, ids) in due {
            for id in ids {
                let current = self.pending.get(&id).is_some_and(|p| p.due == due_time);
                if !current {
                    continue;
                }
                if let Some(pending) = self.pending.delete(&id) {
                    if keep(&pending.row) {
                        released.push(pending.row);
                    }
                }
            }
        }
        released.sort_by(|a, b| {
            let bounds = |r: &AggregateRow| r.window.map(|(s, e)| (e, s));
            bounds(a)
                .cmp(&bounds(b))
                .then_with(|| compare_groups(&a.group, &b.group))
        });
        out.append(&mut released);
    }

    /// How many windows wait for their final result: the `suppressed_rows` gauge.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Orders groups value by value; incomparable values (different types) count as equal.
fn compare_groups(a: &[ScalarValue], b: &[ScalarValue]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.partial_cmp(y).unwrap_or(Ordering::Equal))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or_else(|| a.len().cmp(&b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, window: (i64, i64), count: i64) -> AggregateRow {
        AggregateRow {
            kind: RowKind::Insert,
            group: vec![ScalarValue::Utf8(Some(key.into()))],
            results: vec![ScalarValue::Int64(Some(count))],
            rowtime: window.0,
            window: Some(window),
        }
    }

    fn counts(rows: &[AggregateRow]) -> Vec<(String, i64, i64)> {
        rows.iter()
            .map(|r| match (&r.group[0], &r.results[0]) {
                (ScalarValue::Utf8(Some(k)), ScalarValue::Int64(Some(c))) => {
                    (k.clone(), r.window.map_or(-1, |w| w.0), *c)
                }
                other => panic!("unexpected row {other:?}"),
            })
            .collect()
    }

    #[test]
    fn holds_the_latest_result_until_the_window_is_due() {
        let mut buffer = SuppressBuffer::default();
        buffer.hold(row("b", (0, 2), 1), 3);
        buffer.hold(row("a", (0, 2), 1), 3);
        buffer.hold(row("a", (0, 2), 2), 3);
        buffer.hold(row("a", (2, 4), 1), 5);
        assert_eq!(buffer.len(), 3);
        let mut out = Vec::new();
        buffer.release(2, |_| true, &mut out);
        assert!(out.is_empty());
        buffer.release(3, |_| true, &mut out);
        assert_eq!(
            counts(&out),
            vec![("a".into(), 0, 2), ("b".into(), 0, 1)],
            "one final row per window, ordered by window then key"
        );
        assert_eq!(buffer.len(), 1);
    }

    #[test]
    fn a_tombstone_withdraws_and_a_new_due_time_replaces_the_old_one() {
        let mut buffer = SuppressBuffer::default();
        buffer.hold(row("a", (0, 5), 1), 10);
        buffer.hold(row("a", (0, 8), 2), 13);
        buffer.hold(row("b", (1, 1), 1), 6);
        let mut tombstone = row("b", (1, 1), 0);
        tombstone.kind = RowKind::Delete;
        buffer.hold(tombstone, 6);
        let mut out = Vec::new();
        buffer.release(12, |_| true, &mut out);
        assert!(out.is_empty(), "the old due time of `a` is stale: {out:?}");
        buffer.release(
            13,
            |r| r.results[0] != ScalarValue::Int64(Some(3)),
            &mut out,
        );
        assert_eq!(counts(&out), vec![("a".into(), 0, 2)]);
        assert!(buffer.is_empty());
    }
}
