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
    // Written from a thread: runnel answers while it reads, and a big input would
    // otherwise fill both pipes.
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("runnel ends");
    writer.join().expect("writer").expect("write statements");
    output
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

#[test]
fn huge_statements_get_a_clear_error_and_the_session_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 200,000 operators: a chain as deep as it is long would exhaust the stack.
    let chain = vec!["1"; 200_001].join(" + ");
    // Five megabytes in one string literal is fine: it is one token.
    let literal = "x".repeat(5 << 20);
    let output = run_piped(
        dir.path(),
        &format!(
            "SELECT {chain} FROM nowhere;\n\
             SELECT '{literal}' AS big FROM nowhere;\n\
             SHOW STREAMS;\n"
        ),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("statement has more than 1000 operators"),
        "stderr: {}",
        &stderr[..stderr.len().min(2000)]
    );
    assert!(
        stderr.contains("NOWHERE"),
        "the literal query is answered: {}",
        &stderr[..stderr.len().min(2000)]
    );
    assert!(
        stdout.contains("RUNNEL_PROCESSING_LOG"),
        "the session goes on after both: {}",
        &stdout[..stdout.len().min(2000)]
    );
}
