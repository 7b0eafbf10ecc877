//! Every example program in `queries/` runs with `runnel run --bounded` on a fresh data
//! directory, and what it prints matches `queries/expected/<name>.out`. Lines with
//! throughput figures (`records/s`) vary from run to run and are left out of the
//! comparison; their record counts are compared.
//!
//! Set `RUNNEL_BLESS=1` to write the expected files from the current output.

use std::path::{Path, PathBuf};
use std::process::Command;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("queries/ exists")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    files
}

/// The output with each throughput figure cut off its line.
fn stable(output: &str) -> String {
    output
        .lines()
        .map(|line| match line.rfind(", ") {
            Some(at) if line.ends_with("records/s") => &line[..at],
            _ => line,
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

fn run_example(file: &Path) -> String {
    let data = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_runnel"))
        .arg("--data-dir")
        .arg(data.path())
        .arg("run")
        .arg(file)
        .arg("--bounded")
        .output()
        .expect("run runnel");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{} failed:\n{stdout}\n{}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    stable(&stdout)
}

#[test]
fn every_example_prints_its_expected_output() {
    let bless = std::env::var_os("RUNNEL_BLESS").is_some();
    let files = examples();
    assert!(files.len() >= 3, "queries/ holds the example programs");
    let mut mismatches = Vec::new();
    for file in &files {
        let actual = run_example(file);
        let stem = file.file_stem().expect("file name").to_string_lossy();
        let expected_path = file.with_file_name(format!("expected/{stem}.out"));
        if bless {
            std::fs::create_dir_all(expected_path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&expected_path, &actual).expect("write expected output");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (RUNNEL_BLESS=1 writes it)",
                expected_path.display()
            )
        });
        if actual != expected {
            mismatches.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{actual}",
                file.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn throughput_figures_are_cut_and_counts_kept() {
    assert_eq!(
        stable("Q: 6 records in, 6 records out, 0 errors, 871 records/s\nrowtime: 1\n"),
        "Q: 6 records in, 6 records out, 0 errors\nrowtime: 1\n"
    );
}
