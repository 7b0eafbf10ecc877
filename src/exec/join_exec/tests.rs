//! Unit tests of the join operators.

use datafusion::common::ScalarValue;

use super::*;
use crate::plan::join::{JoinFlavor, JoinStep};
use crate::sql::ast::JoinKind;

fn int(v: i64) -> ScalarValue {
    ScalarValue::Int64(Some(v))
}

fn text(v: &str) -> ScalarValue {
    ScalarValue::Utf8(Some(v.into()))
}

fn step(kind: JoinKind, flavor: JoinFlavor) -> JoinStep {
    JoinStep {
        kind,
        flavor,
        left_keys: Vec::new(),
        right_keys: Vec::new(),
        co_partitioned: true,
    }
}

fn exec(kind: JoinKind, flavor: JoinFlavor) -> JoinExec {
    JoinExec::new(
        &step(kind, flavor),
        vec![ScalarValue::Utf8(None)],
        vec![ScalarValue::Utf8(None)],
    )
}

fn change(kind: RowKind, value: Option<&str>, key: i64, rowtime: i64) -> JoinChange {
    JoinChange {
        kind,
        row: vec![ScalarValue::Utf8(value.map(str::to_string))],
        key: vec![int(key)],
        rowtime,
    }
}

fn apply(exec: &mut JoinExec, side: Side, c: JoinChange) -> Vec<(RowKind, Row, i64)> {
    let key = c.key.clone();
    let mut out = Vec::new();
    exec.apply(side, c, key, &mut out);
    out.into_iter()
        .map(|c| (c.kind, c.row, c.rowtime))
        .collect()
}

fn windowed(grace_ms: Option<i64>) -> JoinFlavor {
    JoinFlavor::Windowed {
        before_ms: 10,
        after_ms: 10,
        grace_ms,
    }
}

#[test]
fn eager_left_join_emits_unmatched_rows_at_once_and_matches_within_the_window() {
    let mut join = exec(JoinKind::Left, windowed(None));
    let insert = |v, t| change(RowKind::Insert, Some(v), 1, t);
    assert_eq!(
        apply(&mut join, Side::Left, insert("a", 100)),
        [(
            RowKind::Insert,
            vec![text("a"), ScalarValue::Utf8(None)],
            100
        )]
    );
    assert_eq!(
        apply(&mut join, Side::Right, insert("x", 105)),
        [(RowKind::Insert, vec![text("a"), text("x")], 105)]
    );
    // Outside the window: a right row alone is not a LEFT join result.
    assert!(apply(&mut join, Side::Right, insert("y", 200)).is_empty());
}

#[test]
fn with_grace_an_unmatched_row_waits_for_its_window_to_close() {
    let mut join = exec(JoinKind::Left, windowed(Some(5)));
    let insert = |v, k, t| change(RowKind::Insert, Some(v), k, t);
    assert!(apply(&mut join, Side::Left, insert("a", 1, 100)).is_empty());
    // Stream time 115 is not past 100 + 10 + 5 yet.
    assert!(apply(&mut join, Side::Left, insert("b", 2, 115)).is_empty());
    assert_eq!(
        apply(&mut join, Side::Left, insert("c", 3, 116)),
        [(
            RowKind::Insert,
            vec![text("a"), ScalarValue::Utf8(None)],
            100
        )]
    );
    // A late match removes the waiting row: it is never emitted unmatched.
    assert_eq!(
        apply(&mut join, Side::Right, insert("x", 2, 116)),
        [(RowKind::Insert, vec![text("b"), text("x")], 116)]
    );
    assert!(
        apply(&mut join, Side::Left, insert("d", 4, 200))
            .iter()
            .all(|(_, row, _)| row[0] != text("b"))
    );
}

#[test]
fn windowed_state_is_purged_past_window_and_grace() {
    let mut join = exec(JoinKind::Inner, windowed(Some(0)));
    for t in 0..1000 {
        apply(
            &mut join,
            Side::Left,
            change(RowKind::Insert, Some("v"), t % 7, t * 10),
        );
        join.purge();
    }
    // Retention is 20 ms: only the last few rows stay.
    assert!(join.state_rows() <= 3, "{} rows kept", join.state_rows());
}

#[test]
fn stream_table_join_sees_the_table_as_of_each_stream_row() {
    let mut join = exec(JoinKind::Left, JoinFlavor::StreamTable);
    apply(
        &mut join,
        Side::Right,
        change(RowKind::Insert, Some("t1"), 1, 0),
    );
    assert_eq!(
        apply(
            &mut join,
            Side::Left,
            change(RowKind::Insert, Some("s"), 1, 5)
        ),
        [(RowKind::Insert, vec![text("s"), text("t1")], 5)]
    );
    apply(&mut join, Side::Right, change(RowKind::Delete, None, 1, 6));
    assert_eq!(
        apply(
            &mut join,
            Side::Left,
            change(RowKind::Insert, Some("s"), 1, 7)
        ),
        [(RowKind::Insert, vec![text("s"), ScalarValue::Utf8(None)], 7)]
    );
}

#[test]
fn table_table_inner_join_deletes_when_either_side_goes() {
    let mut join = exec(JoinKind::Inner, JoinFlavor::TableTable { foreign: false });
    let first = apply(
        &mut join,
        Side::Left,
        change(RowKind::Insert, Some("l"), 1, 1),
    );
    assert_eq!(
        first[0].0,
        RowKind::Delete,
        "no match yet: nothing to publish"
    );
    assert_eq!(
        apply(
            &mut join,
            Side::Right,
            change(RowKind::Insert, Some("r"), 1, 3)
        ),
        [(RowKind::Insert, vec![text("l"), text("r")], 3)]
    );
    let deleted = apply(&mut join, Side::Right, change(RowKind::Delete, None, 1, 4));
    assert_eq!((deleted[0].0, deleted[0].2), (RowKind::Delete, 4));
}

/// Drains every store of `join` into changelog records.
fn drain(join: &mut JoinExec) -> Vec<crate::state::changelog::ChangelogRecord> {
    let mut records = Vec::new();
    for store in join.stores_mut() {
        store.drain_changes(&mut records).expect("encodes");
    }
    records
}

/// A fresh durable step restored from `records`.
fn restored(
    kind: JoinKind,
    flavor: JoinFlavor,
    records: &[crate::state::changelog::ChangelogRecord],
) -> JoinExec {
    let mut join = exec(kind, flavor);
    join.make_durable(0);
    for record in records {
        let change = record.as_store_change().expect("a store record");
        let mut stores = join.stores_mut();
        let store = stores
            .iter_mut()
            .find(|s| s.store_name() == change.store)
            .expect("a known store");
        store.restore_change(change).expect("decodes");
    }
    join.resume_clock();
    join
}

#[test]
fn expired_window_rows_are_tombstoned_in_the_changelog() {
    let mut join = exec(JoinKind::Inner, windowed(Some(0)));
    join.make_durable(0);
    let insert = |v, k, t| change(RowKind::Insert, Some(v), k, t);
    apply(&mut join, Side::Left, insert("a", 1, 100));
    apply(&mut join, Side::Left, insert("b", 2, 105));
    join.purge();
    let mut log = drain(&mut join);
    assert!(
        log.iter()
            .all(|r| r.as_store_change().is_some_and(|c| c.value.is_some()))
    );
    // Time 200 expires both rows: their keys leave the buffer as tombstones.
    apply(&mut join, Side::Left, insert("c", 3, 200));
    join.purge();
    let expired = drain(&mut join);
    let tombstones = expired
        .iter()
        .filter_map(|r| r.as_store_change())
        .filter(|c| c.store == "join0-left" && c.value.is_none())
        .count();
    assert_eq!(tombstones, 2, "keys 1 and 2 expired");
    log.extend(expired);
    let mut again = restored(JoinKind::Inner, windowed(Some(0)), &log);
    assert_eq!(again.state_rows(), 1, "only the row at 200 is left");
    // The restored stream time still hides what expired: a late right row meets nothing.
    assert!(apply(&mut again, Side::Right, insert("x", 1, 101)).is_empty());
    assert_eq!(
        apply(&mut again, Side::Right, insert("y", 3, 201)),
        [(RowKind::Insert, vec![text("c"), text("y")], 201)]
    );
}

#[test]
fn table_sides_restore_from_their_changelog() {
    let flavor = || JoinFlavor::TableTable { foreign: false };
    let mut join = exec(JoinKind::Inner, flavor());
    join.make_durable(0);
    let upsert = |v, k, t| change(RowKind::Insert, Some(v), k, t);
    apply(&mut join, Side::Left, upsert("a", 1, 10));
    apply(&mut join, Side::Right, upsert("x", 1, 11));
    apply(&mut join, Side::Left, upsert("b", 2, 12));
    apply(&mut join, Side::Left, change(RowKind::Delete, None, 2, 13));
    let log = drain(&mut join);
    let mut again = restored(JoinKind::Inner, flavor(), &log);
    assert_eq!(again.state_rows(), 2);
    assert_eq!(
        apply(
            &mut again,
            Side::Right,
            change(RowKind::Delete, None, 1, 14)
        ),
        [(
            RowKind::Delete,
            vec![text("a"), ScalarValue::Utf8(None)],
            14
        )]
    );
}

/// Applies a change whose join key differs from its own key (a foreign-key join's left
/// rows refer to a right key by a column).
fn apply_on(
    exec: &mut JoinExec,
    side: Side,
    c: JoinChange,
    join_key: i64,
) -> Vec<(RowKind, Row, i64)> {
    let mut out = Vec::new();
    exec.apply(side, c, vec![int(join_key)], &mut out);
    out.into_iter()
        .map(|c| (c.kind, c.row, c.rowtime))
        .collect()
}

fn foreign_index_len(join: &JoinExec) -> Option<usize> {
    match join {
        JoinExec::TableTable(exec) => exec.index.as_ref().map(ForeignIndex::len),
        _ => None,
    }
}

#[test]
fn foreign_key_index_is_rebuilt_after_a_restart_and_follows_changed_references() {
    let flavor = || JoinFlavor::TableTable { foreign: true };
    let mut join = exec(JoinKind::Left, flavor());
    join.make_durable(0);
    let upsert = |v, k, t| change(RowKind::Insert, Some(v), k, t);
    apply_on(&mut join, Side::Left, upsert("a", 1, 1), 10);
    apply_on(&mut join, Side::Left, upsert("b", 2, 2), 10);
    apply_on(&mut join, Side::Left, upsert("c", 3, 3), 20);
    // The first right change builds the index; left 2 then moves from 10 to 20.
    assert_eq!(
        apply_on(&mut join, Side::Right, upsert("x", 10, 4), 10).len(),
        2
    );
    apply_on(&mut join, Side::Left, upsert("b2", 2, 5), 20);
    assert_eq!(foreign_index_len(&join), Some(3));
    let log = drain(&mut join);

    let mut again = restored(JoinKind::Left, flavor(), &log);
    assert_eq!(foreign_index_len(&again), None, "built on first use");
    assert_eq!(
        apply_on(&mut again, Side::Right, upsert("y", 20, 6), 20),
        [
            (RowKind::Insert, vec![text("b2"), text("y")], 6),
            (RowKind::Insert, vec![text("c"), text("y")], 6),
        ]
    );
    assert_eq!(foreign_index_len(&again), Some(3));
    // Only left 1 still refers to 10: it loses its right side.
    assert_eq!(
        apply_on(
            &mut again,
            Side::Right,
            change(RowKind::Delete, None, 10, 7),
            10
        ),
        [(RowKind::Insert, vec![text("a"), ScalarValue::Utf8(None)], 7)]
    );
    // A deleted left row leaves the index: a change at 20 reaches left 3 alone.
    apply_on(
        &mut again,
        Side::Left,
        change(RowKind::Delete, None, 2, 8),
        20,
    );
    assert_eq!(foreign_index_len(&again), Some(2));
    assert_eq!(
        apply_on(&mut again, Side::Right, upsert("z", 20, 9), 20),
        [(RowKind::Insert, vec![text("c"), text("z")], 9)]
    );
}
