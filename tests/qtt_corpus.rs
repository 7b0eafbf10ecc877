//! Runs ksqlDB's QTT corpus (../shared/ksql-qtt) and the repo's own QTT files
//! (tests/qtt) through `runnel test`'s runner, prints per-file figures, and fails when
//! a case listed in tests/qtt-passing.txt no longer passes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use runnel::qtt::runner::Verdict;
use runnel::qtt::suite::{Summary, run_file, test_files};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/ksql-qtt");
const OWN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/qtt");
const PASSING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/qtt-passing.txt");

#[test]
fn corpus_cases_that_passed_keep_passing() {
    let mut per_file: BTreeMap<String, Summary> = BTreeMap::new();
    let mut failing = BTreeSet::new();
    let mut passing = BTreeSet::new();
    for root in [CORPUS, OWN] {
        let files = test_files(Path::new(root)).unwrap_or_else(|e| panic!("{root}: {e}"));
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let summary = per_file.entry(name).or_default();
            run_file(&file, None, &mut |result| {
                summary.add(&result.verdict);
                match result.verdict {
                    Verdict::Failed(_) => {
                        failing.insert(result.id);
                    }
                    Verdict::Passed | Verdict::PassedExpectedError { .. } => {
                        passing.insert(result.id);
                    }
                    Verdict::Skipped(_) => {}
                }
            })
            .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let mut total = Summary::default();
    for (file, s) in &per_file {
        println!(
            "{file:60} {:4} passed {:4} failed {:4} skipped",
            s.passed, s.failed, s.skipped
        );
        total.passed += s.passed;
        total.failed += s.failed;
        total.skipped += s.skipped;
    }
    println!(
        "corpus: {} passed, {} failed, {} skipped",
        total.passed, total.failed, total.skipped
    );

    let expected = std::fs::read_to_string(PASSING).unwrap_or_default();
    let regressions: Vec<&str> = expected
        .lines()
        // Not trimmed: a few corpus case names end with a space.
        .filter(|id| !id.is_empty() && !passing.contains(*id))
        .collect();
    assert!(
        regressions.is_empty(),
        "{} cases listed in tests/qtt-passing.txt no longer pass:\n{}",
        regressions.len(),
        regressions.join("\n")
    );
}
