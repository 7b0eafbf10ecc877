//! End-to-end throughput of the two queries of `runnel bench engine` (decode, filter,
//! project or windowed aggregate, encode, append) over 100,000 generated ~100-byte
//! JSON records in 4 partitions with 10,000 keys; the generation is not timed.
//! Run: `cargo bench --bench engine`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use runnel::cli::bench_engine::{
    FILTER_PROJECT, WINDOWED_AGGREGATE, bounded_engine, generate, open_log, run_query,
};

const RECORDS: usize = 100_000;
const KEYS: usize = 10_000;
const PARTITIONS: u32 = 4;

fn bench_query(c: &mut Criterion, name: &'static str, statement: &'static str) {
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function(name, |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("temp dir");
                let log = open_log(dir.path()).expect("log opens");
                generate(&log, RECORDS, KEYS, PARTITIONS).expect("input generated");
                let engine = bounded_engine(&log).expect("engine starts");
                (dir, log, engine)
            },
            |(dir, log, mut engine)| {
                let figures = run_query(&mut engine, name, statement).expect("query runs");
                assert_eq!(figures.records_in, RECORDS as u64);
                (dir, log, engine)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn filter_projection(c: &mut Criterion) {
    bench_query(c, "filter_projection", FILTER_PROJECT);
}

fn tumbling_count_sum(c: &mut Criterion) {
    bench_query(c, "tumbling_count_sum", WINDOWED_AGGREGATE);
}

criterion_group!(benches, filter_projection, tumbling_count_sum);
criterion_main!(benches);
