//! `runnel bench engine`: end-to-end throughput and peak memory of a filter+projection
//! and a tumbling-window aggregate over generated ~100-byte JSON records.
//!
//! The queries run exactly as under `runnel run --bounded`: statements through
//! [`Engine::execute`], then [`Engine::run_until_idle`] until the source is drained.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;

use crate::engine::{AUTO_OFFSET_RESET, Engine};
use crate::log::{FlushPolicy, Log, LogOptions, Record, TopicConfig, partition_for_key};

#[derive(Debug, Args)]
pub struct BenchEngineArgs {
    /// How many input records to generate.
    #[arg(long, default_value_t = 1_000_000)]
    pub records: usize,
    /// Distinct keys.
    #[arg(long, default_value_t = 10_000)]
    pub keys: usize,
    /// Partitions of the input topic.
    #[arg(long, default_value_t = 4)]
    pub partitions: u32,
    /// Directory for the scratch log (default: the system temp dir).
    #[arg(long)]
    pub scratch_dir: Option<PathBuf>,
    /// Which queries to run: both, or only one of them.
    #[arg(long, value_enum, default_value_t = BenchQueries::All)]
    pub query: BenchQueries,
    /// A session property for the queries, as `SET 'NAME'='VALUE';` gives it (for
    /// example `commit.interval.ms=60000`); repeatable.
    #[arg(long = "property", value_name = "NAME=VALUE", value_parser = parse_property)]
    pub properties: Vec<(String, String)>,
}

fn parse_property(raw: &str) -> Result<(String, String), String> {
    let (name, value) = raw
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got '{raw}'"))?;
    Ok((name.trim().to_string(), value.trim().to_string()))
}

/// The queries `runnel bench engine` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchQueries {
    All,
    /// Only the filter+projection.
    Filter,
    /// Only the tumbling-window aggregate.
    Windowed,
}

/// The input topic the generator writes.
pub const INPUT_TOPIC: &str = "bench_input";

/// Declares the generated input.
pub const CREATE_INPUT: &str = "CREATE STREAM bench_input (K STRING KEY, ID BIGINT, \
    AMOUNT DOUBLE, QTY INT, CATEGORY STRING, ACTIVE BOOLEAN, NOTE STRING) \
    WITH (kafka_topic='bench_input', value_format='JSON');";

/// The filter+projection query (keeps 70% of the records).
pub const FILTER_PROJECT: &str = "CREATE STREAM bench_filtered AS SELECT K, ID, \
    AMOUNT * 2 AS DOUBLED, CATEGORY FROM bench_input WHERE QTY > 2;";

/// The windowed aggregate: one-minute tumbling windows closed a minute after they end.
pub const WINDOWED_AGGREGATE: &str = "CREATE TABLE bench_windowed AS SELECT K, \
    COUNT(*) AS N, SUM(AMOUNT) AS TOTAL FROM bench_input \
    WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 1 MINUTE) GROUP BY K;";

/// What generating the input produced.
#[derive(Debug, Clone, Copy)]
pub struct Generated {
    pub records: usize,
    pub value_bytes: usize,
    pub elapsed: Duration,
}

/// One query's figures.
#[derive(Debug, Clone)]
pub struct QueryFigures {
    pub name: &'static str,
    pub records_in: u64,
    pub records_out: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// CPU time the engine's thread spent (None when /proc does not tell): on a shared
    /// machine, records per CPU-second is the per-core figure wall time cannot give.
    pub cpu: Option<Duration>,
    /// Peak resident memory of the process while the query ran, in KiB (None when
    /// /proc does not tell).
    pub peak_rss_kib: Option<u64>,
}

impl QueryFigures {
    pub fn records_per_sec(&self) -> f64 {
        self.records_in as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn records_per_cpu_sec(&self) -> Option<f64> {
        self.cpu
            .map(|cpu| self.records_in as f64 / cpu.as_secs_f64().max(1e-9))
    }
}

/// Timestamps start here (2023-11-14) and advance by 1 ms a record.
const BASE_TIMESTAMP: i64 = 1_700_000_000_000;
const BATCH: usize = 1_000;

/// Opens a log for benchmarking: no fsync, no background thread.
pub fn open_log(dir: &Path) -> crate::log::Result<Arc<Log>> {
    Log::open(
        dir,
        LogOptions::default()
            .with_flush(FlushPolicy::Never)
            .with_background_cleaner(false),
    )
}

/// Writes `records` JSON records of about 100 bytes into [`INPUT_TOPIC`], spread over
/// `keys` keys placed by Kafka's partitioner, timestamps advancing.
pub fn generate(
    log: &Log,
    records: usize,
    keys: usize,
    partitions: u32,
) -> crate::log::Result<Generated> {
    let started = Instant::now();
    let config = TopicConfig {
        partitions,
        retention_ms: -1,
        ..TopicConfig::default()
    };
    let topic = log.create_topic(INPUT_TOPIC, config)?;
    let keys = keys.max(1);
    let mut pending: Vec<Vec<Record>> = (0..partitions).map(|_| Vec::new()).collect();
    let mut value_bytes = 0;
    for i in 0..records {
        // A multiplicative step visits every key in a scrambled order.
        let key_index = (i.wrapping_mul(7_919)) % keys;
        let key = format!("key-{key_index:06}");
        let value = format!(
            r#"{{"ID":{},"AMOUNT":{}.{:02},"QTY":{},"CATEGORY":"category-{}","ACTIVE":{},"NOTE":"n-{:08}"}}"#,
            1_000_000 + i,
            i % 1_000,
            i % 100,
            i % 10,
            i % 7,
            i % 2 == 0,
            i
        );
        value_bytes += value.len();
        let partition = partition_for_key(key.as_bytes(), partitions) as usize;
        pending[partition].push(Record {
            key: Some(Bytes::from(key)),
            value: Some(Bytes::from(value)),
            timestamp: Some(BASE_TIMESTAMP + i as i64),
            headers: Vec::new(),
        });
        if pending[partition].len() == BATCH {
            topic
                .partition(partition as u32)?
                .append(&pending[partition])?;
            pending[partition].clear();
        }
    }
    for (partition, batch) in pending.iter().enumerate() {
        if !batch.is_empty() {
            topic.partition(partition as u32)?.append(batch)?;
        }
    }
    Ok(Generated {
        records,
        value_bytes,
        elapsed: started.elapsed(),
    })
}

/// Runs `statement` (a persistent query) on an engine over `log` until its source is
/// drained, as `runnel run --bounded` does, and measures it.
pub fn run_query(
    engine: &mut Engine,
    name: &'static str,
    statement: &str,
) -> crate::engine::Result<QueryFigures> {
    let before: Vec<String> = engine
        .query_metrics()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    reset_peak_rss();
    let cpu_before = thread_cpu_time();
    let started = Instant::now();
    engine.execute(statement)?;
    engine.run_until_idle()?;
    let elapsed = started.elapsed();
    let cpu = thread_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let peak_rss_kib = peak_rss_kib();
    let (_, metrics) = engine
        .query_metrics()
        .into_iter()
        .find(|(id, _)| !before.contains(id))
        .ok_or_else(|| {
            crate::engine::EngineError::Statement(format!("{name}: no query was started"))
        })?;
    Ok(QueryFigures {
        name,
        records_in: metrics.records_in,
        records_out: metrics.records_out,
        errors: metrics.errors,
        elapsed,
        cpu,
        peak_rss_kib,
    })
}

/// A fresh engine over `log` that reads sources from the beginning.
pub fn bounded_engine(log: &Arc<Log>) -> crate::engine::Result<Engine> {
    let mut engine = Engine::new(Arc::clone(log))?;
    engine.set_property(AUTO_OFFSET_RESET, "earliest");
    engine.execute(CREATE_INPUT)?;
    Ok(engine)
}

/// CPU time of the calling thread so far (the first field of its schedstat, in ns).
pub fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// The process' peak resident set (VmHWM) in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets VmHWM to the current RSS (Linux 4.0+), so the next reading covers what follows.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| {
            let parts: Vec<&str> = l.split_whitespace().take(3).collect();
            (parts.len() == 3).then(|| parts.join(" "))
        })
        .unwrap_or_else(|| "unknown".into())
}

pub fn run(args: BenchEngineArgs) -> anyhow::Result<ExitCode> {
    let base = args.scratch_dir.unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("runnel-bench-engine-{}", std::process::id()));
    let result = bench(
        &dir,
        args.records,
        args.keys,
        args.partitions,
        args.query,
        &args.properties,
    );
    let _ = std::fs::remove_dir_all(&dir);
    let (generated, figures) = result?;
    println!(
        "input: {} JSON records (avg {:.0} bytes), {} partitions, {} keys, generated in {:.1} s",
        generated.records,
        generated.value_bytes as f64 / generated.records.max(1) as f64,
        args.partitions,
        args.keys,
        generated.elapsed.as_secs_f64()
    );
    println!(
        "engine: single-threaded (every task runs on the calling thread), so records/s is also records/s per core"
    );
    for f in &figures {
        println!(
            "{:<18} {:>9} in {:>9} out {:>3} errors  wall {:>6.2} s {:>9.0} records/s  CPU {:>6.2} s {:>9.0} records/s/core  peak RSS {}",
            f.name,
            f.records_in,
            f.records_out,
            f.errors,
            f.elapsed.as_secs_f64(),
            f.records_per_sec(),
            f.cpu.map_or(f64::NAN, |c| c.as_secs_f64()),
            f.records_per_cpu_sec().unwrap_or(f64::NAN),
            f.peak_rss_kib.map_or("unknown".to_string(), |k| format!(
                "{:.1} MiB",
                k as f64 / 1024.0
            ))
        );
    }
    println!("load average (1/5/15 min): {}", load_average());
    Ok(ExitCode::SUCCESS)
}

fn bench(
    dir: &Path,
    records: usize,
    keys: usize,
    partitions: u32,
    queries: BenchQueries,
    properties: &[(String, String)],
) -> anyhow::Result<(Generated, Vec<QueryFigures>)> {
    let log = open_log(dir)?;
    let generated = generate(&log, records, keys, partitions)?;
    // One engine (a second would replay the first's catalog); the first query is idle
    // while the second runs.
    let mut engine = bounded_engine(&log)?;
    for (name, value) in properties {
        engine.set_property(name, value);
    }
    let mut figures = Vec::new();
    if queries != BenchQueries::Windowed {
        figures.push(run_query(&mut engine, "filter+projection", FILTER_PROJECT)?);
    }
    if queries != BenchQueries::Filter {
        figures.push(run_query(
            &mut engine,
            "tumbling COUNT/SUM",
            WINDOWED_AGGREGATE,
        )?);
    }
    Ok((generated, figures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_queries_read_every_generated_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (generated, figures) =
            bench(dir.path(), 3_000, 50, 4, BenchQueries::All, &[]).expect("bench runs");
        let average = generated.value_bytes / generated.records;
        assert!((80..=120).contains(&average), "about 100 bytes: {average}");
        let [filter, windowed] = figures.as_slice() else {
            panic!("two queries");
        };
        assert_eq!(filter.records_in, 3_000);
        // QTY = i % 10 > 2 keeps 7 in 10.
        assert_eq!(filter.records_out, 2_100);
        assert_eq!(windowed.records_in, 3_000);
        assert_eq!((filter.errors, windowed.errors), (0, 0));
        assert!(windowed.records_out > 0);
    }

    #[test]
    fn one_query_can_run_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (_, figures) =
            bench(dir.path(), 1_000, 10, 2, BenchQueries::Filter, &[]).expect("bench runs");
        let names: Vec<&str> = figures.iter().map(|f| f.name).collect();
        assert_eq!(names, ["filter+projection"]);
        assert_eq!(figures[0].records_in, 1_000);
    }
}
