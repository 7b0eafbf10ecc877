//! Isolates a pull query's key lookup on a table of 1,000,000 keys: parse, plan, look
//! the key up in the table's materialization, decode and project the row. The table is
//! a source table whose topic is filled directly; the first query folds it.
//! Run with `cargo bench --bench pull` (or `--profile dev` for a quick figure). Besides
//! criterion's mean, it times single lookups and prints their median and 99th percentile.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use runnel::engine::{Engine, Outcome};
use runnel::log::{FlushPolicy, Log, LogOptions, Record};

const KEYS: usize = 1_000_000;
/// Single lookups timed one by one for the median.
const TIMED_LOOKUPS: usize = 20_000;

/// Looks up the key `user{index}` and checks that exactly its row came back.
fn lookup(engine: &mut Engine, index: usize) {
    let sql = format!("SELECT * FROM users WHERE id = 'user{index}';");
    match engine.execute(&sql).expect("lookup").pop() {
        Some(Outcome::Rows(rows)) => assert_eq!(rows.rows.len(), 1),
        other => panic!("expected one row, got {other:?}"),
    }
}

/// Times `TIMED_LOOKUPS` lookups of keys spread over the table and prints the median,
/// mean and 99th percentile (criterion reports the mean only).
fn report_latency_distribution(engine: &mut Engine) {
    let mut samples: Vec<Duration> = (0..TIMED_LOOKUPS)
        .map(|i| {
            let started = Instant::now();
            lookup(engine, (i * 104_729) % KEYS);
            started.elapsed()
        })
        .collect();
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / TIMED_LOOKUPS as u32;
    let median = samples[TIMED_LOOKUPS / 2];
    let p99 = samples[TIMED_LOOKUPS * 99 / 100];
    println!(
        "pull/key_lookup_1M_keys over {TIMED_LOOKUPS} single lookups: median {median:?}, mean {mean:?}, p99 {p99:?}"
    );
}

fn pull_benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Log::open(
        dir.path(),
        LogOptions::ephemeral().with_flush(FlushPolicy::Never),
    )
    .expect("open");
    let mut engine = Engine::new(Arc::clone(&log)).expect("engine");
    engine
        .execute(
            "CREATE TABLE users (id STRING PRIMARY KEY, score INT) \
             WITH (kafka_topic='users', value_format='JSON', partitions=1);",
        )
        .expect("create table");
    let partition = Arc::clone(
        log.existing_topic("users")
            .expect("topic")
            .partition(0)
            .expect("partition"),
    );
    for chunk in (0..KEYS).collect::<Vec<_>>().chunks(10_000) {
        let records: Vec<Record> = chunk
            .iter()
            .map(|i| {
                Record::new(
                    Some(format!("user{i}").into_bytes()),
                    Some(format!("{{\"SCORE\":{}}}", i % 100).into_bytes()),
                )
            })
            .collect();
        partition.append(&records).expect("append");
    }
    // The first pull query folds the whole topic into the materialization.
    engine
        .execute("SELECT * FROM users WHERE id = 'user0';")
        .expect("warm up");

    let mut group = c.benchmark_group("pull");
    group.throughput(Throughput::Elements(1));
    let mut next = 0usize;
    group.bench_function("key_lookup_1M_keys", |b| {
        b.iter(|| {
            next = (next + 7919) % KEYS;
            lookup(&mut engine, next);
        })
    });
    group.finish();
    report_latency_distribution(&mut engine);
}

criterion_group!(benches, pull_benches);
criterion_main!(benches);
