//! `runnel bench join`: throughput and memory of the stateful operators over long inputs
//! with advancing time — a stream-stream join and an EMIT FINAL aggregation, whose state
//! must stay bounded, and a stream-table join against a large table.
//!
//! Each scenario appends its input in stretches up to a few checkpoints and runs the
//! engine until idle after each, so the figures at each checkpoint show whether memory
//! grows with the number of records. Input generation is not timed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use clap::{Args, ValueEnum};

use super::bench_engine::{open_log, peak_rss_kib, thread_cpu_time};
use crate::engine::{AUTO_OFFSET_RESET, Engine};
use crate::log::{Log, Record, TopicConfig};

#[derive(Debug, Args)]
pub struct BenchJoinArgs {
    /// Input records of the stream-stream join and of the EMIT FINAL aggregation.
    #[arg(long, default_value_t = 200_000)]
    pub records: usize,
    /// Stream records looked up by the stream-table join.
    #[arg(long, default_value_t = 200_000)]
    pub lookups: usize,
    /// Keys of the stream-table join's table.
    #[arg(long, default_value_t = 100_000)]
    pub table_keys: usize,
    /// Distinct keys of the stream-stream join and the aggregation.
    #[arg(long, default_value_t = 10_000)]
    pub keys: usize,
    /// Which scenario to run.
    #[arg(long, value_enum, default_value_t = Scenario::All)]
    pub scenario: Scenario,
    /// Directory for the scratch log (default: the system temp dir).
    #[arg(long)]
    pub scratch_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    All,
    StreamStream,
    EmitFinal,
    StreamTable,
}

/// Timestamps start here and advance by 1 ms a record.
const BASE_TIMESTAMP: i64 = 1_700_000_000_000;
const APPEND_BATCH: usize = 1_000;

const CREATE_LEFT: &str = "CREATE STREAM bench_left (K STRING KEY, V INT) \
    WITH (kafka_topic='bench_left', value_format='JSON');";
const CREATE_RIGHT: &str = "CREATE STREAM bench_right (K STRING KEY, W INT) \
    WITH (kafka_topic='bench_right', value_format='JSON');";
const CREATE_TABLE: &str = "CREATE TABLE bench_table (K STRING PRIMARY KEY, NAME STRING) \
    WITH (kafka_topic='bench_table', value_format='JSON');";

/// A grace period shorter than ksqlDB's 24-hour default: state is held for 11 s.
const STREAM_STREAM_JOIN: &str = "CREATE STREAM bench_joined AS SELECT L.K AS K, V, W \
    FROM bench_left L JOIN bench_right R WITHIN 10 SECONDS GRACE PERIOD 1 SECOND ON L.K = R.K;";
const EMIT_FINAL: &str = "CREATE TABLE bench_final AS SELECT K, COUNT(*) AS N, SUM(V) AS TOTAL \
    FROM bench_left WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 1 SECOND) \
    GROUP BY K EMIT FINAL;";
const STREAM_TABLE_JOIN: &str = "CREATE STREAM bench_enriched AS SELECT L.K AS K, V, NAME \
    FROM bench_left L JOIN bench_table T ON L.K = T.K;";

/// The figures of a scenario up to one checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub records_in: u64,
    pub records_out: u64,
    /// Engine time of the stretch since the previous checkpoint.
    pub elapsed: Duration,
    pub cpu: Option<Duration>,
    /// Records the stretch read.
    pub stretch_records: u64,
    pub rss_kib: Option<u64>,
    pub peak_rss_kib: Option<u64>,
}

impl Checkpoint {
    fn per_sec(&self, time: Duration) -> f64 {
        self.stretch_records as f64 / time.as_secs_f64().max(1e-9)
    }
}

/// One scenario's run: its name and its checkpoints.
#[derive(Debug, Clone)]
pub struct ScenarioFigures {
    pub name: &'static str,
    pub checkpoints: Vec<Checkpoint>,
}

/// Where the stretches end: 5%, 25%, 50% and 100% of `records` (1M, 5M, 10M, 20M of 20M).
fn checkpoints(records: usize) -> Vec<usize> {
    let mut ends: Vec<usize> = [records / 20, records / 4, records / 2, records]
        .into_iter()
        .filter(|n| *n > 0)
        .collect();
    ends.dedup();
    ends
}

fn key(index: usize) -> String {
    format!("key-{index:07}")
}

/// Appends records `indices` of a generated input to `topic`: record `i` has key
/// `key_of(i)`, value `value_of(i)` and time `BASE_TIMESTAMP + i`.
fn append(
    log: &Log,
    topic: &str,
    indices: impl Iterator<Item = usize>,
    key_of: &dyn Fn(usize) -> usize,
    value_of: &dyn Fn(usize) -> String,
) -> crate::log::Result<()> {
    let partition = log.partition(topic, 0)?;
    let mut batch = Vec::with_capacity(APPEND_BATCH);
    for i in indices {
        batch.push(Record {
            key: Some(Bytes::from(key(key_of(i)))),
            value: Some(Bytes::from(value_of(i))),
            timestamp: Some(BASE_TIMESTAMP + i as i64),
            headers: Vec::new(),
        });
        if batch.len() == APPEND_BATCH {
            partition.append(&batch)?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        partition.append(&batch)?;
    }
    Ok(())
}

/// A multiplicative step visits every key in a scrambled order.
fn scrambled(i: usize, keys: usize) -> usize {
    i.wrapping_mul(7_919) % keys.max(1)
}

/// A fresh log and engine with the bench's single-partition topics declared.
fn setup(dir: &Path) -> anyhow::Result<Engine> {
    let log = open_log(dir)?;
    for topic in ["bench_left", "bench_right", "bench_table"] {
        let config = TopicConfig {
            partitions: 1,
            retention_ms: -1,
            ..TopicConfig::default()
        };
        log.create_topic(topic, config)?;
    }
    let mut engine = Engine::new(log)?;
    engine.set_property(AUTO_OFFSET_RESET, "earliest");
    engine.execute(&format!("{CREATE_LEFT}{CREATE_RIGHT}{CREATE_TABLE}"))?;
    Ok(engine)
}

/// Starts `query`, then for each checkpoint appends the input up to it with `feed` and
/// runs the engine until idle, measuring that stretch.
fn measure(
    engine: &mut Engine,
    name: &'static str,
    query: &str,
    records: usize,
    feed: &dyn Fn(&Log, std::ops::Range<usize>) -> crate::log::Result<()>,
) -> anyhow::Result<ScenarioFigures> {
    let before: Vec<String> = engine
        .query_metrics()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    engine.execute(query)?;
    let mut figures = ScenarioFigures {
        name,
        checkpoints: Vec::new(),
    };
    let (mut fed, mut read_before) = (0, 0);
    for end in checkpoints(records) {
        feed(engine.log(), fed..end)?;
        fed = end;
        let cpu_before = thread_cpu_time();
        let started = std::time::Instant::now();
        engine.run_until_idle()?;
        let elapsed = started.elapsed();
        let cpu = thread_cpu_time()
            .zip(cpu_before)
            .map(|(after, before)| after.saturating_sub(before));
        let (_, metrics) = engine
            .query_metrics()
            .into_iter()
            .find(|(id, _)| !before.contains(id))
            .ok_or_else(|| anyhow::anyhow!("{name}: no query was started"))?;
        figures.checkpoints.push(Checkpoint {
            records_in: metrics.records_in,
            records_out: metrics.records_out,
            elapsed,
            cpu,
            stretch_records: metrics.records_in - read_before,
            rss_kib: rss_kib(),
            peak_rss_kib: peak_rss_kib(),
        });
        read_before = metrics.records_in;
    }
    Ok(figures)
}

/// Stream-stream join: records alternate between the two streams, 1 ms apart.
fn stream_stream(dir: &Path, records: usize, keys: usize) -> anyhow::Result<ScenarioFigures> {
    let mut engine = setup(dir)?;
    let feed = |log: &Log, range: std::ops::Range<usize>| {
        // Records 2j and 2j + 1 share a key: the left side takes the even ones.
        let key_of = |i: usize| scrambled(i / 2, keys);
        for (topic, column, parity) in [("bench_left", "V", 0), ("bench_right", "W", 1)] {
            let side = range.clone().filter(|i| i % 2 == parity);
            append(log, topic, side, &key_of, &|i| {
                format!("{{\"{column}\":{i}}}")
            })?;
        }
        Ok(())
    };
    measure(
        &mut engine,
        "stream-stream join",
        STREAM_STREAM_JOIN,
        records,
        &feed,
    )
}

/// EMIT FINAL: ten-second tumbling windows over one stream, 1 ms a record.
fn emit_final(dir: &Path, records: usize, keys: usize) -> anyhow::Result<ScenarioFigures> {
    let mut engine = setup(dir)?;
    let feed = |log: &Log, range: std::ops::Range<usize>| {
        append(log, "bench_left", range, &|i| scrambled(i, keys), &|i| {
            format!("{{\"V\":{}}}", i % 1000)
        })
    };
    measure(
        &mut engine,
        "EMIT FINAL aggregate",
        EMIT_FINAL,
        records,
        &feed,
    )
}

/// Stream-table join: the table's keys are loaded first (not measured), then every
/// stream record finds its key.
fn stream_table(dir: &Path, lookups: usize, table_keys: usize) -> anyhow::Result<ScenarioFigures> {
    let mut engine = setup(dir)?;
    append(engine.log(), "bench_table", 0..table_keys, &|i| i, &|i| {
        format!("{{\"NAME\":\"name-{i}\"}}")
    })?;
    let feed = |log: &Log, range: std::ops::Range<usize>| {
        // Stream times follow the table's, so every lookup sees the whole table.
        let shifted = range.start + table_keys..range.end + table_keys;
        append(
            log,
            "bench_left",
            shifted,
            &|i| scrambled(i, table_keys),
            &|i| format!("{{\"V\":{}}}", i % 1000),
        )
    };
    let mut figures = measure(
        &mut engine,
        "stream-table join",
        STREAM_TABLE_JOIN,
        lookups,
        &feed,
    )?;
    // The first stretch also loaded the table: count lookups only.
    if let Some(first) = figures.checkpoints.first_mut() {
        first.stretch_records = first.stretch_records.saturating_sub(table_keys as u64);
    }
    Ok(figures)
}

/// Runs the selected scenarios in a scratch directory under `dir`.
pub fn bench(dir: &Path, args: &BenchJoinArgs) -> anyhow::Result<Vec<ScenarioFigures>> {
    let mut figures = Vec::new();
    let wanted = |s: Scenario| args.scenario == Scenario::All || args.scenario == s;
    if wanted(Scenario::StreamStream) {
        figures.push(stream_stream(
            &dir.join("stream-stream"),
            args.records,
            args.keys,
        )?);
    }
    if wanted(Scenario::EmitFinal) {
        figures.push(emit_final(
            &dir.join("emit-final"),
            args.records,
            args.keys,
        )?);
    }
    if wanted(Scenario::StreamTable) {
        figures.push(stream_table(
            &dir.join("stream-table"),
            args.lookups,
            args.table_keys,
        )?);
    }
    Ok(figures)
}

/// The process' resident set (VmRSS) in KiB.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("unknown".into(), |k| {
        format!("{:.1} MiB", k as f64 / 1024.0)
    })
}

pub fn run(args: BenchJoinArgs) -> anyhow::Result<ExitCode> {
    let base = args.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("runnel-bench-join-{}", std::process::id()));
    println!(
        "engine: single-threaded, so records/s of CPU time is records/s per core; \
         rates are of each stretch between checkpoints; input generation is not timed"
    );
    let result = bench(&dir, &args);
    let _ = std::fs::remove_dir_all(&dir);
    for scenario in result? {
        println!("{}:", scenario.name);
        for c in &scenario.checkpoints {
            println!(
                "  at {:>10} in {:>10} out  wall {:>7.2} s {:>9.0} records/s  CPU {:>9.0} records/s/core  RSS {}  peak RSS {}",
                c.records_in,
                c.records_out,
                c.elapsed.as_secs_f64(),
                c.per_sec(c.elapsed),
                c.cpu.map_or(f64::NAN, |cpu| c.per_sec(cpu)),
                mib(c.rss_kib),
                mib(c.peak_rss_kib),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_reads_its_whole_input_and_produces_results() {
        let dir = tempfile::tempdir().expect("temp dir");
        let args = BenchJoinArgs {
            records: 40_000,
            lookups: 2_000,
            table_keys: 500,
            keys: 20_000,
            scenario: Scenario::All,
            scratch_dir: None,
        };
        let figures = bench(dir.path(), &args).expect("bench runs");
        let names: Vec<&str> = figures.iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "stream-stream join",
                "EMIT FINAL aggregate",
                "stream-table join"
            ]
        );
        let last = |i: usize| figures[i].checkpoints.last().cloned().expect("checkpoints");
        assert_eq!(figures[0].checkpoints.len(), 4);
        assert_eq!(last(0).records_in, 40_000);
        assert_eq!(last(1).records_in, 40_000);
        // 20,000 keys over 20,000 pairs: each key is one left and one right record.
        assert_eq!(last(0).records_out, 20_000);
        // 40 s of windows of 10 s, the last still open; 10,000 keys in each.
        assert_eq!(last(1).records_out, 3 * 10_000);
        // Every lookup finds its key; the table's rows are input too.
        assert_eq!(last(2).records_in, 2_500);
        assert_eq!(last(2).records_out, 2_000);
    }
}
