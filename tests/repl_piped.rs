//! The REPL with stdin not a terminal: statements come from the pipe, the process exits.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run_piped(data_dir: &std::path::Path, input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_runnel"))
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start runnel");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write statements");
    child.wait_with_output().expect("runnel ends")
}

#[test]
fn piped_statements_run_and_the_process_exits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run_piped(
        dir.path(),
        "SET 'auto.offset.reset'='earliest';\n\
         CREATE STREAM s (id STRING KEY, v INT)\n  WITH (kafka_topic='s', value_format='JSON', partitions=1);\n\
         INSERT INTO s (id, v) VALUES ('a', 1); INSERT INTO s (id, v) VALUES ('b', 2);\n\
         CREATE TABLE t AS SELECT id, SUM(v) AS total FROM s GROUP BY id;\n\
         SELECT * FROM t WHERE id = 'b';\n\
         SELECT id, v FROM s EMIT CHANGES;\n\
         SHOW STREAMS;\n",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("Created S."), "{stdout}");
    assert!(stdout.contains("Started query CTAS_T_"), "{stdout}");
    assert!(stdout.contains("(1 row)"), "pull query answered: {stdout}");
    assert!(
        stdout.contains("|a|1|") && stdout.contains("|b|2|"),
        "push rows: {stdout}"
    );
    assert!(stdout.contains("Stream Name"), "{stdout}");
}

#[test]
fn errors_are_reported_and_later_statements_still_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run_piped(dir.path(), "SELEC * FROM nowhere;\nSHOW TOPICS;\n");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "a failed statement fails the run");
    assert!(
        stderr.contains("line 1, column 1"),
        "caret position: {stderr}"
    );
    assert!(stderr.contains('^'), "caret: {stderr}");
    assert!(
        stdout.contains("Kafka Topic"),
        "SHOW TOPICS still ran: {stdout}"
    );
}
