//! Every function the ksqlDB test corpus calls resolves in the registry, with ksqlDB's
//! return types for the corpus' typical argument types.

use std::path::PathBuf;

use regex::Regex;
use runnel::functions::{FunctionRef, FunctionRegistry};
use runnel::sql::SqlType;

/// Words followed by `(` in statements that are not function calls.
const NOT_FUNCTIONS: &[&str] = &[
    "STRUCT",
    "ARRAY",
    "MAP",
    "DECIMAL",
    "VARCHAR",
    "CAST",
    "IN",
    "VALUES",
    "WITH",
    "AS",
    "BY",
    "WITHIN",
    "SELECT",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "ON",
    "HOPPING",
    "TUMBLING",
    "SESSION",
    "INT",
    "INTEGER",
    "BIGINT",
    "DOUBLE",
    "STRING",
    "BOOLEAN",
    "BYTES",
    "DATE",
    "TIME",
    "TIMESTAMP",
    "EXISTS",
    "KEY",
];
/// Lambda functions (out of scope) and the name the corpus uses to test unknown functions.
const EXCLUDED: &[&str] = &["TRANSFORM", "REDUCE", "FILTER", "WONT_FIND_ME"];
/// A word after these names a source or a column list, not a function.
const SOURCE_PREFIXES: &[&str] = &["STREAM", "TABLE", "INTO", "EXISTS", "JOIN", "FROM", "TYPE"];

fn corpus_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [
        manifest.join("../shared/ksql-qtt"),
        manifest.join("../../shared/ksql-qtt"),
    ]
    .into_iter()
    .find(|p| p.is_dir())
    .expect("the ksqlDB corpus is in ../shared/ksql-qtt next to the repository")
}

fn corpus_files(dir: &PathBuf, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("corpus directory is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            corpus_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn called_names() -> Vec<String> {
    let call = Regex::new(r"([A-Za-z_][A-Za-z_0-9]*)\s*\(").expect("valid regex");
    let previous_word = Regex::new(r"([A-Za-z_]+)\s*$").expect("valid regex");
    // Text inside string literals is data, not calls (the corpus embeds Java code there).
    let string_literal = Regex::new(r"'(?:[^']|'')*'").expect("valid regex");
    let mut files = Vec::new();
    corpus_files(&corpus_dir(), &mut files);
    let mut names = std::collections::BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("corpus file is readable");
        let json: serde_json::Value = serde_json::from_str(&text).expect("corpus file is JSON");
        let tests = json["tests"].as_array().cloned().unwrap_or_default();
        for test in tests {
            for statement in test["statements"].as_array().cloned().unwrap_or_default() {
                let statement =
                    string_literal.replace_all(statement.as_str().unwrap_or_default(), "''");
                for found in call.captures_iter(&statement) {
                    let whole = found.get(0).expect("match");
                    let name = found[1].to_ascii_uppercase();
                    let before = previous_word
                        .captures(&statement[..whole.start()])
                        .map(|c| c[1].to_ascii_uppercase());
                    if before.is_some_and(|w| SOURCE_PREFIXES.contains(&w.as_str()))
                        || NOT_FUNCTIONS.contains(&name.as_str())
                        || EXCLUDED.contains(&name.as_str())
                    {
                        continue;
                    }
                    names.insert(name);
                }
            }
        }
    }
    names.into_iter().collect()
}

#[test]
fn every_function_the_corpus_calls_resolves() {
    let registry = FunctionRegistry::builtin().with_test_functions();
    let names = called_names();
    assert!(names.len() > 40, "the scan found only {names:?}");
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| registry.lookup(n).is_none())
        .collect();
    assert!(missing.is_empty(), "not in the registry: {missing:?}");
}

fn scalar_type(name: &str, args: &[SqlType]) -> SqlType {
    match FunctionRegistry::global().lookup(name) {
        Some(FunctionRef::Scalar(f)) => f.return_type(args).expect("arguments are accepted"),
        other => panic!("{name} is not a scalar function: {other:?}"),
    }
}

#[test]
fn return_types_follow_ksqldb() {
    assert_eq!(scalar_type("ROUND", &[SqlType::Double]), SqlType::BigInt);
    assert_eq!(
        scalar_type("ROUND", &[SqlType::Double, SqlType::Int]),
        SqlType::Double
    );
    assert_eq!(
        scalar_type("round", &[SqlType::decimal(33, 16)]),
        SqlType::decimal(17, 0)
    );
    assert_eq!(
        scalar_type("ROUND", &[SqlType::decimal(33, 16), SqlType::Int]),
        SqlType::decimal(33, 16)
    );
    assert_eq!(scalar_type("TRUNC", &[SqlType::Int]), SqlType::Int);
    assert_eq!(scalar_type("ABS", &[SqlType::Int]), SqlType::Int);
    assert_eq!(scalar_type("EXP", &[SqlType::Int]), SqlType::Double);
    assert_eq!(scalar_type("SIGN", &[SqlType::Double]), SqlType::Int);
    assert_eq!(scalar_type("LEN", &[SqlType::String]), SqlType::Int);
    assert_eq!(
        scalar_type("SUBSTRING", &[SqlType::Bytes, SqlType::Int]),
        SqlType::Bytes
    );
    assert_eq!(
        scalar_type("PARSE_DATE", &[SqlType::String, SqlType::String]),
        SqlType::Date
    );
    assert_eq!(
        scalar_type("TIMESTAMPTOSTRING", &[SqlType::BigInt, SqlType::String]),
        SqlType::String
    );
    assert_eq!(scalar_type("AS_VALUE", &[SqlType::BigInt]), SqlType::BigInt);
    let coalesce = FunctionRegistry::global()
        .scalar("COALESCE")
        .expect("COALESCE");
    let (ty, filled) = coalesce
        .return_type_with_nulls(&[None, Some(SqlType::String)])
        .expect("a NULL literal takes the other argument's type");
    assert_eq!(
        (ty, filled),
        (SqlType::String, vec![SqlType::String, SqlType::String])
    );
}

#[test]
fn aggregate_and_table_types_follow_ksqldb() {
    let registry = FunctionRegistry::global();
    let sum = registry.aggregate("SUM").expect("SUM");
    assert_eq!(
        sum.spec(&[SqlType::Int], &[])
            .expect("SUM(INT)")
            .return_type,
        SqlType::Int
    );
    let avg = registry.aggregate("AVG").expect("AVG");
    assert_eq!(
        avg.spec(&[SqlType::BigInt], &[])
            .expect("AVG(BIGINT)")
            .return_type,
        SqlType::Double
    );
    let topk = registry.aggregate("TOPK").expect("TOPK");
    let spec = topk
        .spec(
            &[SqlType::Double],
            &[datafusion::common::ScalarValue::Int32(Some(3))],
        )
        .expect("TOPK(DOUBLE, 3)");
    assert_eq!(spec.return_type, SqlType::Array(Box::new(SqlType::Double)));
    assert!(
        topk.spec(
            &[SqlType::Double],
            &[datafusion::common::ScalarValue::Int32(Some(0))]
        )
        .is_err()
    );
    let latest = registry
        .aggregate("LATEST_BY_OFFSET")
        .expect("LATEST_BY_OFFSET");
    assert_eq!(
        latest
            .spec(&[SqlType::String], &[])
            .expect("one value")
            .return_type,
        SqlType::String
    );
    assert!(!latest.supports_retract);
    let explode = registry.table("EXPLODE").expect("EXPLODE");
    assert_eq!(
        explode
            .return_type(&[SqlType::Array(Box::new(SqlType::BigInt))])
            .expect("array"),
        SqlType::BigInt
    );
}
