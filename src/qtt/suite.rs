//! Runs test files and folders, and sums up the verdicts.

use std::path::{Path, PathBuf};

use super::model::TestFile;
use super::runner::{Verdict, run_case};

/// The verdict of one case, named as `file :: case`.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub id: String,
    pub verdict: Verdict,
}

/// Totals over a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Cases that expected an error and got one, and how many of those errors carried
    /// ksqlDB's expected message.
    pub expected_errors: usize,
    pub expected_messages_matched: usize,
}

impl Summary {
    pub fn add(&mut self, verdict: &Verdict) {
        match verdict {
            Verdict::Passed => self.passed += 1,
            Verdict::PassedExpectedError { message_matches } => {
                self.passed += 1;
                self.expected_errors += 1;
                if *message_matches {
                    self.expected_messages_matched += 1;
                }
            }
            Verdict::Failed(_) => self.failed += 1,
            Verdict::Skipped(_) => self.skipped += 1,
        }
    }
}

/// The `.json` test files under `path` (itself, when it is a file), sorted.
pub fn test_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?.path();
        if entry.is_dir() {
            files.extend(test_files(&entry)?);
        } else if entry.extension().is_some_and(|e| e == "json") {
            files.push(entry);
        }
    }
    files.sort();
    Ok(files)
}

/// Runs every case of `file` whose name contains `filter`, calling `on_case` for each.
pub fn run_file(
    file: &Path,
    filter: Option<&str>,
    on_case: &mut dyn FnMut(CaseResult),
) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let parsed: TestFile = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a QTT/RQTT test file: {e}", file.display()))?;
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for case in parsed.tests.iter().flat_map(|c| c.expand()) {
        if filter.is_some_and(|f| !case.name.contains(f)) {
            continue;
        }
        let verdict = if case.enabled == Some(false) {
            Verdict::Skipped("disabled in the test file".into())
        } else {
            run_case(&case)
        };
        on_case(CaseResult {
            id: format!("{file_name} :: {}", case.name),
            verdict,
        });
    }
    Ok(())
}
