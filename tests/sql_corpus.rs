//! Parses every statement of ksqlDB's QTT corpus whose case expects no error, then
//! prints each back and checks the printed text parses to the same tree.

use std::path::{Path, PathBuf};

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

/// Every statement text of every case without an expected error, `{FORMAT}` expanded.
fn corpus_statements() -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = Vec::new();
    let corpus = corpus_dir();
    for dir in [corpus.clone(), corpus.join("rest")] {
        let entries = std::fs::read_dir(&dir).expect("the corpus folder is readable");
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert_eq!(files.len(), 40, "the corpus has 40 files");
    let mut statements = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("corpus file is readable");
        let file: Value = serde_json::from_str(&text).expect("corpus file is JSON");
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for case in file["tests"].as_array().expect("tests is an array") {
            if case.get("expectedException").is_some() || case.get("expectedError").is_some() {
                continue;
            }
            let formats: Vec<String> = match case.get("format").and_then(Value::as_array) {
                Some(formats) if !formats.is_empty() => formats
                    .iter()
                    .filter_map(|f| f.as_str().map(str::to_string))
                    .collect(),
                _ => vec!["JSON".to_string()],
            };
            let case_name = case["name"].as_str().unwrap_or("?");
            for statement in case["statements"]
                .as_array()
                .expect("statements is an array")
            {
                let statement = statement.as_str().expect("a statement is a string");
                for format in &formats {
                    statements.push((
                        format!("{name} / {case_name}"),
                        statement.replace("{FORMAT}", format),
                    ));
                    if !statement.contains("{FORMAT}") {
                        break;
                    }
                }
            }
        }
    }
    statements
}

#[test]
fn every_corpus_statement_parses_and_round_trips() {
    let statements = corpus_statements();
    let mut failures = Vec::new();
    let mut parsed = 0;
    for (origin, text) in &statements {
        let trees = match parse_statements(text) {
            Ok(trees) => trees,
            Err(err) => {
                failures.push(format!("{origin}\n  {text}\n{err}"));
                continue;
            }
        };
        parsed += trees.len();
        for tree in trees {
            let printed = tree.to_string();
            match parse_statements(&printed) {
                Ok(again) if again.len() == 1 && again[0].kind == tree.kind => {}
                Ok(again) => failures.push(format!(
                    "{origin}\n  {text}\n  printed: {printed}\n  re-parsed differently: {:?}\n  vs {:?}",
                    again.first().map(|s| &s.kind),
                    tree.kind
                )),
                Err(err) => failures.push(format!(
                    "{origin}\n  {text}\n  printed: {printed}\n  does not re-parse:\n{err}"
                )),
            }
        }
    }
    println!(
        "parsed {parsed} corpus statements ({} statement texts)",
        statements.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} corpus statements failed:\n\n{}",
        failures.len(),
        statements.len(),
        failures.join("\n\n")
    );
    assert!(parsed >= statements.len());
}

/// Cases where ksqlDB's own parser rejects a statement (a syntax error or an
/// out-of-range literal) must be rejected here too.
#[test]
fn corpus_syntax_errors_are_rejected() {
    let corpus = corpus_dir();
    let mut checked = 0;
    let mut accepted = Vec::new();
    for dir in [corpus.clone(), corpus.join("rest")] {
        let entries = std::fs::read_dir(&dir).expect("the corpus folder is readable");
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("corpus file is readable");
            let file: Value = serde_json::from_str(&text).expect("corpus file is JSON");
            for case in file["tests"].as_array().expect("tests is an array") {
                let Some(expected) = case.get("expectedException") else {
                    continue;
                };
                let kind = expected["type"].as_str().unwrap_or("");
                let message = expected["message"].as_str().unwrap_or("");
                let parse_time = kind.ends_with("ParseFailedException")
                    && ["Syntax", "Invalid numeric literal", "overflows DOUBLE"]
                        .iter()
                        .any(|m| message.contains(m));
                if !parse_time {
                    continue;
                }
                checked += 1;
                let all_parse = case["statements"]
                    .as_array()
                    .expect("statements is an array")
                    .iter()
                    .filter_map(Value::as_str)
                    .all(|s| parse_statements(s).is_ok());
                if all_parse {
                    accepted.push(format!("{} / {}", path.display(), case["name"]));
                }
            }
        }
    }
    println!("checked {checked} cases that ksqlDB rejects while parsing");
    assert!(checked >= 15, "only {checked} such cases found");
    assert!(accepted.is_empty(), "accepted: {accepted:#?}");
}
