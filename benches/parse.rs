//! Parse throughput: every statement of ksqlDB's QTT corpus (cases expecting no error),
//! tokenized and parsed into the AST; reports statements/s.
//!
//! Run: `cargo bench --bench parse`

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use runnel::sql::parse_statements;
use serde_json::Value;

/// The corpus next to the repository (`../shared`); from a worktree under `wt/`, one
/// level further up.
fn corpus_dir() -> PathBuf {
    let near = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/ksql-qtt"));
    if near.is_dir() {
        return near.to_path_buf();
    }
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/ksql-qtt"
    ))
    .to_path_buf()
}

fn corpus_statements() -> Vec<String> {
    let mut statements = Vec::new();
    let corpus = corpus_dir();
    for dir in [corpus.clone(), corpus.join("rest")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(file) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            for case in file["tests"].as_array().into_iter().flatten() {
                if case.get("expectedException").is_some() || case.get("expectedError").is_some() {
                    continue;
                }
                for statement in case["statements"].as_array().into_iter().flatten() {
                    if let Some(statement) = statement.as_str() {
                        statements.push(statement.replace("{FORMAT}", "JSON"));
                    }
                }
            }
        }
    }
    statements
}

fn parse_corpus(c: &mut Criterion) {
    let statements = corpus_statements();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(statements.len() as u64));
    group.bench_function("qtt_corpus", |b| {
        b.iter(|| {
            let mut parsed = 0;
            for text in &statements {
                if let Ok(trees) = parse_statements(std::hint::black_box(text)) {
                    parsed += trees.len();
                }
            }
            parsed
        })
    });
    group.finish();
}

criterion_group!(benches, parse_corpus);
criterion_main!(benches);
