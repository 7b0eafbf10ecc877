//! The three figures of `runnel bench log`, under criterion: appending batches of 1,000
//! records of 100-byte values (no fsync), a plain sequential write of the same bytes in
//! the same write sizes to a file beside the segment, and reading records back from the
//! page cache 10,000 per read.
//! Run with `cargo bench --profile dev --bench log -- --warm-up-time 1 --measurement-time 5`.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use runnel::log::{FlushPolicy, Log, LogOptions, Partition, ReadLimits, Record, TopicConfig};

const BATCH: usize = 1000;
const READ_RECORDS: usize = 10_000;

fn batch() -> Vec<Record> {
    let value = Bytes::from(vec![b'x'; 100]);
    (0..BATCH)
        .map(|_| Record {
            value: Some(value.clone()),
            ..Record::default()
        })
        .collect()
}

/// A fresh topic per sample keeps the disk use bounded; creating and deleting it is not
/// timed.
fn fresh_partition(log: &Log, name: &str) -> Arc<Partition> {
    let topic = log
        .create_topic(name, TopicConfig::default())
        .expect("topic");
    Arc::clone(topic.partition(0).expect("partition"))
}

fn log_benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Log::open(
        dir.path(),
        LogOptions::ephemeral().with_flush(FlushPolicy::Never),
    )
    .expect("open");
    let records = batch();
    let batch_bytes = {
        let partition = fresh_partition(&log, "sizing");
        partition.append(&records).expect("append");
        let bytes = partition.info().size_bytes;
        drop(partition);
        log.delete_topic("sizing").expect("delete");
        bytes
    };

    let mut group = c.benchmark_group("log");
    group.throughput(Throughput::Bytes(batch_bytes));
    group.bench_function("append_1000x100B", |b| {
        b.iter_custom(|iters| {
            let partition = fresh_partition(&log, "append");
            let started = Instant::now();
            for _ in 0..iters {
                partition.append(&records).expect("append");
            }
            let elapsed = started.elapsed();
            drop(partition);
            log.delete_topic("append").expect("delete");
            elapsed
        })
    });
    group.bench_function("plain_write_same_bytes", |b| {
        let chunk = vec![b'x'; batch_bytes as usize];
        b.iter_custom(|iters| {
            // Beside a segment file: same directory, same file system.
            let partition = fresh_partition(&log, "plain");
            let path = partition.dir().join("plain.bin");
            let started = Instant::now();
            let mut file = std::fs::File::create(&path).expect("create");
            for _ in 0..iters {
                file.write_all(&chunk).expect("write");
            }
            drop(file);
            let elapsed = started.elapsed();
            drop(partition);
            log.delete_topic("plain").expect("delete");
            elapsed
        })
    });

    let partition = fresh_partition(&log, "read");
    for _ in 0..100 {
        partition.append(&records).expect("append");
    }
    let end = partition.end_offset();
    let mut next = 0u64;
    let mut read = Vec::new();
    group.throughput(Throughput::Elements(READ_RECORDS as u64));
    group.bench_function("read_10000", |b| {
        b.iter(|| {
            if next + READ_RECORDS as u64 > end {
                next = 0;
            }
            read.clear();
            partition
                .read_into(next, ReadLimits::records(READ_RECORDS), &mut read)
                .expect("read");
            next += read.len() as u64;
            read.len()
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default().measurement_time(Duration::from_secs(5))
}

criterion_group! {
    name = benches;
    config = config();
    targets = log_benches
}
criterion_main!(benches);
