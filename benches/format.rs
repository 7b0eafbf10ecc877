//! Decode and encode throughput of ~100-byte JSON records with 5 columns, isolated from
//! the log and the operators. Run: `cargo bench --bench format`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use runnel::format::{Column, FormatKind, FormatSpec, RecordDecoder, RecordEncoder, SerdePart};
use runnel::sql::SqlType;

const BATCH: usize = 10_000;

fn columns() -> Vec<Column> {
    vec![
        Column::new("ID", SqlType::BigInt),
        Column::new("NAME", SqlType::String),
        Column::new("AMOUNT", SqlType::Double),
        Column::new("ACTIVE", SqlType::Boolean),
        Column::new("CATEGORY", SqlType::String),
    ]
}

fn records() -> Vec<Vec<u8>> {
    (0..BATCH)
        .map(|i| {
            format!(
                r#"{{"ID":{},"NAME":"user-{:06}","AMOUNT":{}.{:02},"ACTIVE":{},"CATEGORY":"category-{}"}}"#,
                1_000_000 + i,
                i,
                i % 10_000,
                i % 100,
                i % 2 == 0,
                i % 10
            )
            .into_bytes()
        })
        .collect()
}

fn json(c: &mut Criterion) {
    let records = records();
    let mean = records.iter().map(Vec::len).sum::<usize>() / records.len();
    let payloads: Vec<Option<&[u8]>> = records.iter().map(|r| Some(r.as_slice())).collect();
    let spec = FormatSpec::new(FormatKind::Json);
    let decoder =
        RecordDecoder::try_new(&spec, SerdePart::Value, &columns()).expect("valid schema");
    let encoder =
        RecordEncoder::try_new(&spec, SerdePart::Value, &columns()).expect("valid schema");
    let decoded = decoder.decode(&payloads).expect("decodes");
    assert!(decoded.errors.is_empty());

    let mut group = c.benchmark_group(format!("json_{mean}_byte_records_5_columns"));
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("decode", |b| {
        b.iter(|| {
            decoder
                .decode(std::hint::black_box(&payloads))
                .expect("decodes")
        })
    });
    group.bench_function("encode", |b| {
        b.iter(|| {
            encoder
                .encode(std::hint::black_box(&decoded.arrays), BATCH, None)
                .expect("encodes")
        })
    });
    group.finish();
}

criterion_group!(benches, json);
criterion_main!(benches);
