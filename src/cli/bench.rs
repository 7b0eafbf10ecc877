//! `runnel bench log`: append and read-back throughput of the log against a plain
//! sequential file write of the same bytes, measured in one run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Subcommand;

use crate::log::{
    FlushPolicy, Log, LogError, LogOptions, Partition, ReadLimits, Record, Result, TopicConfig,
};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Append 100-byte values in batches of 1,000 (no per-batch fsync), write the same
    /// bytes to a plain file, and read the records back from the page cache.
    Log {
        #[arg(long, default_value_t = 2_000_000)]
        records: usize,
        /// Directory for the scratch files (default: the system temp dir).
        #[arg(long)]
        scratch_dir: Option<PathBuf>,
    },
    /// End-to-end query throughput and peak memory (see `cli::bench_engine`).
    Engine(super::bench_engine::BenchEngineArgs),
}

/// The measured figures.
#[derive(Debug, Clone, Copy)]
pub struct LogBenchFigures {
    pub records: usize,
    pub log_bytes: u64,
    pub append: Duration,
    pub plain_write: Duration,
    pub read: Duration,
}

impl LogBenchFigures {
    pub fn append_records_per_sec(&self) -> f64 {
        self.records as f64 / self.append.as_secs_f64()
    }
    pub fn append_mb_per_sec(&self) -> f64 {
        self.log_bytes as f64 / 1e6 / self.append.as_secs_f64()
    }
    pub fn plain_mb_per_sec(&self) -> f64 {
        self.log_bytes as f64 / 1e6 / self.plain_write.as_secs_f64()
    }
    pub fn read_records_per_sec(&self) -> f64 {
        self.records as f64 / self.read.as_secs_f64()
    }
}

pub fn run(_data_dir: &Path, command: BenchCommand) -> Result<ExitCode> {
    let BenchCommand::Log {
        records,
        scratch_dir,
    } = command
    else {
        return Err(LogError::Internal(
            "`bench engine` is run by cli::bench_engine::run (a bug)".into(),
        ));
    };
    let base = scratch_dir.unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("runnel-bench-log-{}", std::process::id()));
    let figures = bench_log(&dir, records);
    let _ = std::fs::remove_dir_all(&dir);
    let f = figures?;
    println!(
        "records: {} x 100-byte values, batches of 1,000, no per-batch fsync",
        f.records
    );
    println!(
        "append:      {:>12.0} records/s  {:>8.1} MB/s",
        f.append_records_per_sec(),
        f.append_mb_per_sec()
    );
    println!(
        "plain write: {:>12} {:>19.1} MB/s (same {} bytes, same chunks)",
        "",
        f.plain_mb_per_sec(),
        f.log_bytes
    );
    println!(
        "ratio:       {:>12.1} % of plain sequential write bandwidth",
        100.0 * f.append_mb_per_sec() / f.plain_mb_per_sec()
    );
    println!(
        "read back:   {:>12.0} records/s (page cache)",
        f.read_records_per_sec()
    );
    Ok(ExitCode::SUCCESS)
}

/// Rounds of each measurement; the best of each is kept, because on a shared machine
/// the page cache's writeback of one run's dirty pages slows whatever runs next.
const ROUNDS: usize = 3;

/// Runs the measurement in `dir` (created, left for the caller to remove).
pub fn bench_log(dir: &Path, records: usize) -> Result<LogBenchFigures> {
    const BATCH: usize = 1000;
    let value = Bytes::from(vec![b'x'; 100]);
    let batch: Vec<Record> = (0..BATCH)
        .map(|_| Record {
            value: Some(value.clone()),
            ..Record::default()
        })
        .collect();
    let batches = records.div_ceil(BATCH);
    let records = batches * BATCH;
    let log = Log::open(
        dir.join("log"),
        LogOptions::default()
            .with_flush(FlushPolicy::Never)
            .with_background_cleaner(false),
    )?;
    let mut best_append = Duration::MAX;
    let mut best_plain = Duration::MAX;
    let mut best_read = Duration::MAX;
    let mut log_bytes = 0;
    for round in 0..ROUNDS {
        let name = format!("bench-{round}");
        let topic = log.create_topic(&name, TopicConfig::default())?;
        let partition = Arc::clone(topic.partition(0)?);
        let started = Instant::now();
        for _ in 0..batches {
            partition.append(&batch)?;
        }
        best_append = best_append.min(started.elapsed());
        log_bytes = partition.info().size_bytes;

        let started = Instant::now();
        let count = read_all(&partition)?;
        best_read = best_read.min(started.elapsed());
        if count != records {
            return Err(LogError::Internal(format!(
                "bench read back {count} records, appended {records}"
            )));
        }
        drop(partition);
        log.delete_topic(&name)?;

        let plain_path = dir.join("plain.bin");
        let chunk = vec![b'x'; (log_bytes / batches as u64) as usize];
        let started = Instant::now();
        let mut file = std::fs::File::create(&plain_path)
            .map_err(|e| LogError::io("creating", &plain_path, e))?;
        for _ in 0..batches {
            file.write_all(&chunk)
                .map_err(|e| LogError::io("writing", &plain_path, e))?;
        }
        drop(file);
        best_plain = best_plain.min(started.elapsed());
        std::fs::remove_file(&plain_path).map_err(|e| LogError::io("removing", &plain_path, e))?;
    }
    Ok(LogBenchFigures {
        records,
        log_bytes,
        append: best_append,
        plain_write: best_plain,
        read: best_read,
    })
}

fn read_all(partition: &Partition) -> Result<usize> {
    let limits = ReadLimits {
        max_records: 10_000,
        max_bytes: 16 << 20,
    };
    let mut offset = 0u64;
    let mut count = 0usize;
    while offset < partition.end_offset() {
        let read = partition.read(offset, limits)?;
        let Some(last) = read.last() else { break };
        offset = last.offset + 1;
        count += read.len();
    }
    Ok(count)
}
