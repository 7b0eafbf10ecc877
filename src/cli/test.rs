//! `runnel test PATH...`: runs ksqlDB QTT/RQTT files and prints a diff per failing case.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::qtt::runner::Verdict;
use crate::qtt::suite::{Summary, run_file, test_files};

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files or folders of them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Only cases whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// A file listing case ids (`file :: case`, one per line) that must pass: the run
    /// fails if any of them does not.
    #[arg(long)]
    pub expect_passing: Option<PathBuf>,
    /// Writes the ids of the passing cases to this file (to refresh the list above).
    #[arg(long)]
    pub write_passing: Option<PathBuf>,
    /// Do not fail when cases outside `--expect-passing` fail.
    #[arg(long)]
    pub allow_failures: bool,
    /// Print a line for every case, not only the failing ones.
    #[arg(long, short)]
    pub verbose: bool,
}

pub fn run(args: TestArgs) -> anyhow::Result<ExitCode> {
    let mut summary = Summary::default();
    let mut passing = Vec::new();
    let mut failing = BTreeSet::new();
    for path in &args.paths {
        for file in test_files(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))? {
            run_file(&file, args.filter.as_deref(), &mut |result| {
                summary.add(&result.verdict);
                match &result.verdict {
                    Verdict::Passed | Verdict::PassedExpectedError { .. } => {
                        if args.verbose {
                            println!("PASS {}", result.id);
                        }
                        passing.push(result.id);
                    }
                    Verdict::Failed(diff) => {
                        println!(
                            "FAIL {}\n  {}",
                            result.id,
                            diff.trim_end().replace('\n', "\n  ")
                        );
                        failing.insert(result.id);
                    }
                    Verdict::Skipped(why) => {
                        if args.verbose {
                            println!("SKIP {} ({why})", result.id);
                        }
                    }
                }
            })
            .map_err(anyhow::Error::msg)?;
        }
    }
    if let Some(out) = &args.write_passing {
        std::fs::write(
            out,
            passing
                .iter()
                .map(|id| format!("{id}\n"))
                .collect::<String>(),
        )?;
    }
    let mut regressions = Vec::new();
    if let Some(list) = &args.expect_passing {
        let text = std::fs::read_to_string(list)
            .map_err(|e| anyhow::anyhow!("{}: {e}", list.display()))?;
        for id in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if failing.contains(id) {
                regressions.push(id.to_string());
            }
        }
        for id in &regressions {
            println!("REGRESSION {id}: listed as passing in {}", list.display());
        }
    }
    println!(
        "expected errors: {} of {} carry ksqlDB's message",
        summary.expected_messages_matched, summary.expected_errors
    );
    println!(
        "{} passed, {} failed, {} skipped",
        summary.passed, summary.failed, summary.skipped
    );
    let ok = regressions.is_empty() && (summary.failed == 0 || args.allow_failures);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
