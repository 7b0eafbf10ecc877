//! Isolates the log's append and read paths: appending 1,000 records of 100-byte values
//! as one batch (no fsync), and reading 1,000 records back from the page cache.
//! Run with `cargo bench --bench log`.

use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use runnel::log::{FlushPolicy, Log, LogOptions, ReadLimits, Record, TopicConfig};

fn batch() -> Vec<Record> {
    let value = Bytes::from(vec![b'x'; 100]);
    (0..1000)
        .map(|_| Record {
            value: Some(value.clone()),
            ..Record::default()
        })
        .collect()
}

fn log_benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Log::open(
        dir.path(),
        LogOptions::ephemeral().with_flush(FlushPolicy::Never),
    )
    .expect("open");
    let partition = Arc::clone(
        log.create_topic("bench", TopicConfig::default())
            .expect("topic")
            .partition(0)
            .expect("partition"),
    );
    let records = batch();
    let mut group = c.benchmark_group("log");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("append_1000x100B", |b| {
        b.iter(|| partition.append(&records).expect("append"))
    });
    let end = partition.end_offset();
    let mut next = 0u64;
    group.bench_function("read_1000", |b| {
        b.iter(|| {
            if next + 1000 > end {
                next = 0;
            }
            let read = partition
                .read(next, ReadLimits::records(1000))
                .expect("read");
            next += read.len() as u64;
            read
        })
    });
    group.finish();
}

criterion_group!(benches, log_benches);
criterion_main!(benches);
