//! Concurrent push queries on one stream share one source read: each record is decoded
//! once, each query still gets exactly the rows it gets alone, a query starting at
//! `earliest` hands over from its private catch-up without gaps or duplicates, and a
//! slow query falls back to a private read without loss.

use std::sync::Arc;
use std::time::{Duration, Instant};

use runnel::engine::shared_source::SUBSCRIBER_QUEUE_DEPTH;
use runnel::engine::{AUTO_OFFSET_RESET, Engine, PushQuery, SharedFeedStats};
use runnel::log::{Log, LogOptions};
use serde_json::Value;

/// A generous bound: the threaded test proves delivery, not speed.
const PATIENCE: Duration = Duration::from_secs(60);

const QUERIES: [&str; 3] = [
    "SELECT * FROM clicks EMIT CHANGES;",
    "SELECT page, ms * 2 AS double_ms FROM clicks WHERE ms > 40 EMIT CHANGES;",
    "SELECT visitor FROM clicks WHERE page = '/home' EMIT CHANGES;",
];

fn engine() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("log");
    let mut engine = Engine::new(Arc::clone(&log)).expect("engine");
    engine
        .execute(
            "CREATE STREAM clicks (visitor STRING KEY, page STRING, ms INT) \
             WITH (kafka_topic='clicks', value_format='JSON', partitions=2);",
        )
        .expect("create stream");
    (dir, engine)
}

/// Inserts clicks numbered `from..to`, spread over visitors (so both partitions) and
/// pages.
fn insert(engine: &mut Engine, from: usize, to: usize) {
    for n in from..to {
        let page = ["/home", "/cart", "/faq"][n % 3];
        engine
            .execute(&format!(
                "INSERT INTO clicks (visitor, page, ms) VALUES ('v{}', '{page}', {n});",
                n % 7
            ))
            .expect("insert");
    }
}

fn start(engine: &mut Engine, sql: &str, offset_reset: &str) -> PushQuery {
    engine.set_property(AUTO_OFFSET_RESET, offset_reset);
    engine.push_query(sql).expect(sql)
}

/// Polls until the query has read everything there is now.
fn drain(push: &mut PushQuery) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    loop {
        let more = push.poll().expect("poll");
        if more.is_empty() {
            return rows;
        }
        rows.extend(more);
    }
}

/// What `sql` returns alone, replaying the stream from the beginning.
fn alone(engine: &mut Engine, sql: &str) -> Vec<Vec<Value>> {
    let mut push = start(engine, sql, "earliest");
    drain(&mut push)
}

fn sorted(mut rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    rows.sort_by_key(|r| r.iter().map(Value::to_string).collect::<Vec<_>>());
    rows
}

fn feed(engine: &Engine) -> SharedFeedStats {
    let stats = engine.shared_sources().stats();
    assert_eq!(stats.len(), 1, "one shared read of clicks: {stats:?}");
    stats[0].clone()
}

#[test]
fn concurrent_push_queries_decode_each_record_once_and_get_their_own_rows() {
    let (_dir, mut engine) = engine();
    let mut pushes: Vec<PushQuery> = QUERIES
        .iter()
        .map(|sql| start(&mut engine, sql, "latest"))
        .collect();
    assert_eq!(feed(&engine).subscribers, 3);
    insert(&mut engine, 0, 60);
    let received: Vec<Vec<Vec<Value>>> = pushes.iter_mut().map(drain).collect();

    let stats = feed(&engine);
    assert_eq!(
        stats.records_decoded, 60,
        "each new record decoded once for all three"
    );
    assert_eq!(stats.evictions, 0);
    for push in &pushes {
        assert_eq!(push.records_read_privately(), 0);
        assert!(push.is_shared());
    }
    drop(pushes);
    assert!(
        engine.shared_sources().stats().is_empty(),
        "the shared read stops with its last subscriber"
    );

    for (sql, rows) in QUERIES.iter().zip(received) {
        assert!(!rows.is_empty(), "{sql} matched some rows");
        assert_eq!(sorted(rows), sorted(alone(&mut engine, sql)), "{sql}");
    }
}

#[test]
fn a_query_joining_ahead_of_the_feed_skips_what_it_had_not_subscribed_to() {
    let (_dir, mut engine) = engine();
    let mut first = start(&mut engine, QUERIES[0], "latest");
    insert(&mut engine, 0, 5);
    // The feed has not read these five yet; the second query starts after them.
    let mut second = start(&mut engine, QUERIES[0], "latest");
    assert_eq!(drain(&mut first).len(), 5);
    assert!(drain(&mut second).is_empty(), "records before its start");
    insert(&mut engine, 5, 8);
    assert_eq!(drain(&mut first).len(), 3);
    assert_eq!(sorted(drain(&mut second)).len(), 3);
    assert_eq!(feed(&engine).records_decoded, 8);
}

#[test]
fn a_query_from_earliest_catches_up_privately_then_shares_without_gaps_or_duplicates() {
    let (_dir, mut engine) = engine();
    insert(&mut engine, 0, 10);
    let mut tail = start(&mut engine, QUERIES[0], "latest");
    let mut replay = start(&mut engine, QUERIES[0], "earliest");
    assert!(!replay.is_shared());
    let mut replayed = replay.poll().expect("poll");
    insert(&mut engine, 10, 20);
    assert_eq!(drain(&mut tail).len(), 10, "the feed moved on meanwhile");
    replayed.extend(drain(&mut replay));
    assert!(replay.is_shared(), "caught up, it follows the feed");
    insert(&mut engine, 20, 30);
    replayed.extend(drain(&mut replay));
    assert_eq!(drain(&mut tail).len(), 10);

    assert_eq!(replayed.len(), 30, "every record once");
    assert_eq!(sorted(replayed), sorted(alone(&mut engine, QUERIES[0])));
    assert_eq!(replay.records_read_privately(), 20);
}

#[test]
fn a_slow_query_is_dropped_from_the_feed_and_catches_up_from_its_own_offsets() {
    let (_dir, mut engine) = engine();
    let mut fast = start(&mut engine, QUERIES[0], "latest");
    let mut slow = start(&mut engine, QUERIES[0], "latest");
    let total = SUBSCRIBER_QUEUE_DEPTH + 10;
    let mut fast_rows = Vec::new();
    for n in 0..total {
        insert(&mut engine, n, n + 1);
        // One batch per insert: the slow query, never polled, overflows its queue.
        fast_rows.extend(drain(&mut fast));
    }
    let stats = feed(&engine);
    assert_eq!(stats.evictions, 1);
    assert_eq!(stats.subscribers, 1);
    assert_eq!(stats.records_decoded, total as u64);

    let slow_rows = drain(&mut slow);
    assert!(slow.records_read_privately() > 0);
    assert!(slow.is_shared(), "caught up again, it rejoins the feed");
    assert_eq!(slow_rows.len(), total);
    assert_eq!(sorted(slow_rows), sorted(fast_rows));
    insert(&mut engine, total, total + 2);
    assert_eq!(drain(&mut slow).len(), 2);
    assert_eq!(drain(&mut fast).len(), 2);
}

#[test]
fn push_queries_on_threads_share_the_read_while_records_arrive() {
    let (_dir, mut engine) = engine();
    let log = Arc::clone(engine.log());
    let total = 200;
    // Expected row counts, known from the inserted data.
    let expected = [
        total,
        (41..total).count(),
        (0..total).filter(|n| n % 3 == 0).count(),
    ];
    let mut threads = Vec::new();
    for (sql, expected) in QUERIES.iter().zip(expected) {
        let mut push = start(&mut engine, sql, "latest");
        let log = Arc::clone(&log);
        threads.push(std::thread::spawn(move || {
            let deadline = Instant::now() + PATIENCE;
            let mut rows = Vec::new();
            while rows.len() < expected && Instant::now() < deadline {
                let seen = log.append_sequence();
                let more = push.poll().expect("poll");
                if more.is_empty() {
                    log.wait_for_append(seen, Duration::from_millis(100));
                }
                rows.extend(more);
            }
            (rows, push)
        }));
    }
    let mut limited = start(
        &mut engine,
        "SELECT page FROM clicks EMIT CHANGES LIMIT 5;",
        "latest",
    );
    insert(&mut engine, 0, total);
    assert_eq!(drain(&mut limited).len(), 5);
    assert!(limited.is_done());
    drop(limited);
    let finished: Vec<(Vec<Vec<Value>>, PushQuery)> = threads
        .into_iter()
        .map(|t| t.join().expect("query thread"))
        .collect();
    // However the threads interleaved, the shared read decoded no record twice; and
    // unless a thread lagged and was dropped to a private read, it read them all.
    let decoded = feed(&engine).records_decoded;
    let private: u64 = finished
        .iter()
        .map(|(_, push)| push.records_read_privately())
        .sum();
    assert!(decoded <= total as u64, "{decoded} decoded");
    if private == 0 {
        assert_eq!(decoded, total as u64);
    }
    let received: Vec<Vec<Vec<Value>>> = finished.into_iter().map(|(rows, _)| rows).collect();
    let stats = engine.shared_sources().stats();
    assert!(stats.is_empty(), "every subscriber left: {stats:?}");
    for ((sql, rows), expected) in QUERIES.iter().zip(received).zip(expected) {
        assert_eq!(rows.len(), expected, "{sql}");
        assert_eq!(sorted(rows), sorted(alone(&mut engine, sql)), "{sql}");
    }
}
