//! `runnel bench log`: append and read-back throughput of the log against a plain
//! sequential file write of the same bytes, measured in one run.
//!
//! What is compared: 2,000,000 records of 100-byte values appended in batches of 1,000
//! (no fsync), against a plain `write` of the same number of bytes in chunks of one
//! encoded batch each (no fsync), to a new file in the segment's directory; then the
//! records read back from the page cache, 10,000 per read. Each figure is the best of
//! [`ROUNDS`] rounds, which alternate which write goes first.
//!
//! # Measured (2 cores, AMD EPYC, ext4)
//!
//! `./target/release/runnel bench log` (`[profile.release]`), five runs at load 2.0–2.7:
//! ratio 78.4, 67.4, 70.0, 72.0, 68.6% (median 70.0%), append 12.1–14.9M records/s,
//! read back 14.3–17.5M records/s. Before the active segment reserved its space ahead
//! and `push_all` dropped its sizing pass: 62.1% median, append 10.45M records/s.
//!
//! Where the append's time goes (thread CPU time per record): the kernel's write ~60 ns
//! for either file, of which ext4's per-page block allocation is about a sixth (what the
//! reservation saves); encoding ~20 ns (CRC-32C ~4 ns of it, hardware path).

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
    /// Joins and EMIT FINAL over long inputs: throughput and memory at checkpoints (see
    /// `cli::bench_join`).
    Join(super::bench_join::BenchJoinArgs),
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
            "`bench engine` and `bench join` run elsewhere (a bug)".into(),
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
/// other work slows some rounds. Rounds alternate which of the two writes goes first, so
/// neither always starts with the other's freshly dirtied pages in the page cache.
const ROUNDS: usize = 4;
/// Records per appended batch.
const BATCH: usize = 1000;
/// Records per read: a consumer's poll.
const READ_RECORDS: usize = 10_000;

/// Runs the measurement in `dir` (created, left for the caller to remove).
pub fn bench_log(dir: &Path, records: usize) -> Result<LogBenchFigures> {
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
    // The size of one encoded batch, known once the first round has appended.
    let mut batch_bytes = None;
    for round in 0..ROUNDS {
        let name = format!("bench-{round}");
        let topic = log.create_topic(&name, TopicConfig::default())?;
        let partition = Arc::clone(topic.partition(0)?);
        // The plain file sits beside the segment file: same directory, same file system.
        let plain_path = partition.dir().join("plain.bin");
        let plain_first = round % 2 == 1;
        if let (true, Some(chunk)) = (plain_first, batch_bytes) {
            best_plain = best_plain.min(plain_write(&plain_path, chunk, batches)?);
        }

        let started = Instant::now();
        for _ in 0..batches {
            partition.append(&batch)?;
        }
        best_append = best_append.min(started.elapsed());
        let log_bytes = partition.info().size_bytes;
        // Every batch encodes to the same size, so the plain write can use the same chunks.
        if !log_bytes.is_multiple_of(batches as u64) {
            return Err(LogError::Internal(format!(
                "bench batches differ in size: {log_bytes} bytes in {batches} batches"
            )));
        }
        let chunk = (log_bytes / batches as u64) as usize;
        if batch_bytes.is_some_and(|known| known != chunk) {
            return Err(LogError::Internal(format!(
                "bench batch size changed between rounds to {chunk} bytes"
            )));
        }
        batch_bytes = Some(chunk);
        if !plain_first {
            best_plain = best_plain.min(plain_write(&plain_path, chunk, batches)?);
        }

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
    }
    Ok(LogBenchFigures {
        records,
        log_bytes: batch_bytes.map_or(0, |chunk| (chunk * batches) as u64),
        append: best_append,
        plain_write: best_plain,
        read: best_read,
    })
}

/// Writes `writes` chunks of `chunk` bytes to a new file at `path` (no fsync), as
/// [`Partition::append`] writes its batches; returns the time taken and removes the file.
fn plain_write(path: &Path, chunk: usize, writes: usize) -> Result<Duration> {
    let bytes = vec![b'x'; chunk];
    let started = Instant::now();
    let mut file = std::fs::File::create(path).map_err(|e| LogError::io("creating", path, e))?;
    for _ in 0..writes {
        file.write_all(&bytes)
            .map_err(|e| LogError::io("writing", path, e))?;
    }
    drop(file);
    let elapsed = started.elapsed();
    std::fs::remove_file(path).map_err(|e| LogError::io("removing", path, e))?;
    Ok(elapsed)
}

/// Reads the partition from the start as a consumer polls it, reusing one vector.
fn read_all(partition: &Partition) -> Result<usize> {
    let limits = ReadLimits {
        max_records: READ_RECORDS,
        max_bytes: 16 << 20,
    };
    let mut records = Vec::new();
    let mut offset = 0u64;
    let mut count = 0usize;
    while offset < partition.end_offset() {
        records.clear();
        partition.read_into(offset, limits, &mut records)?;
        let Some(last) = records.last() else { break };
        offset = last.offset + 1;
        count += records.len();
    }
    Ok(count)
}
