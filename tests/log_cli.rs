//! The log's command-line tools end to end: `runnel topic ...` and `runnel group ...`,
//! including a SIGKILL of `topic produce` under fsync-every-batch.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use runnel::log::{Log, LogOptions, ReadLimits};

fn runnel(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_runnel"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runnel");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn create_produce_consume_describe_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let out = runnel(
        data,
        &[
            "topic",
            "create",
            "orders",
            "--partitions",
            "3",
            "--config",
            "cleanup.policy=compact",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bad = runnel(
        data,
        &["topic", "create", "bad", "--config", "colour=blue"],
        "",
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("colour"),
        "{}",
        text(&bad.stderr)
    );
    let list = runnel(data, &["topic", "list"], "");
    assert_eq!(
        text(&list.stdout),
        "orders\n",
        "nothing was created for the bad config"
    );

    let input = concat!(
        "{\"key\":\"a\",\"value\":{\"n\":1},\"timestamp\":5,\"partition\":2,\"headers\":{\"h\":\"x\"}}\n",
        "{\"key\":\"b\",\"value\":\"two\",\"partition\":2}\n",
    );
    let out = runnel(data, &["topic", "produce", "orders"], input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = runnel(
        data,
        &[
            "topic",
            "consume",
            "orders",
            "--from-beginning",
            "--partition",
            "2",
            "--timeout-ms",
            "50",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["partition"], 2);
    assert_eq!(lines[0]["offset"], 0);
    assert_eq!(lines[0]["timestamp"], 5);
    assert_eq!(lines[0]["key"], "a");
    assert_eq!(lines[0]["value"], "{\"n\":1}");
    assert_eq!(lines[0]["headers"]["h"], "x");
    assert_eq!(lines[1]["value"], "two");

    let out = runnel(
        data,
        &[
            "topic",
            "consume",
            "orders",
            "--from-beginning",
            "--group",
            "g",
            "--timeout-ms",
            "50",
        ],
        "",
    );
    assert_eq!(text(&out.stdout).lines().count(), 2);
    let out = runnel(data, &["group", "describe", "g"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("orders"));
    let out = runnel(data, &["group", "list"], "");
    assert_eq!(text(&out.stdout), "g\n");
    let out = runnel(
        data,
        &[
            "topic",
            "consume",
            "orders",
            "--group",
            "g",
            "--timeout-ms",
            "50",
        ],
        "",
    );
    assert_eq!(
        text(&out.stdout).lines().count(),
        0,
        "the group resumes after its commits"
    );

    let out = runnel(data, &["topic", "describe", "orders"], "");
    assert!(
        text(&out.stdout).contains("cleanup.policy=compact"),
        "{}",
        text(&out.stdout)
    );
    let out = runnel(data, &["topic", "delete", "orders"], "");
    assert!(out.status.success());
    let out = runnel(data, &["topic", "describe", "orders"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("orders"));
}

#[test]
fn a_bad_line_names_its_number_and_earlier_lines_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    assert!(runnel(data, &["topic", "create", "t"], "").status.success());
    let input =
        "{\"value\":\"one\"}\n{\"value\":\"two\"}\n{\"value\": oops}\n{\"value\":\"four\"}\n";
    let out = runnel(data, &["topic", "produce", "t"], input);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 3"),
        "{}",
        text(&out.stderr)
    );
    let out = runnel(
        data,
        &["topic", "produce", "t", "--value-only"],
        "plain text\n",
    );
    assert!(out.status.success());
    let log = Log::open(data.join("log"), LogOptions::ephemeral()).expect("open");
    let records = log
        .partition("t", 0)
        .expect("p")
        .read(0, ReadLimits::default())
        .expect("read");
    let values: Vec<String> = records
        .iter()
        .map(|r| text(r.value.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(values, vec!["one", "two", "plain text"]);
    drop(log);
    let out = runnel(
        data,
        &["topic", "produce", "t"],
        "{\"value\":\"x\",\"partition\":4}\n",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 1") && text(&out.stderr).contains("partition 4"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn sigkill_of_produce_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    assert!(
        runnel(data, &["topic", "create", "t", "--partitions", "2"], "")
            .status
            .success()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_runnel"))
        .arg("--data-dir")
        .arg(data)
        .args([
            "topic",
            "produce",
            "t",
            "--flush",
            "every-batch",
            "--print-offsets",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn produce");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut acks = BufReader::new(child.stdout.take().expect("stdout"));
    let mut acknowledged = Vec::new();
    for i in 0..200 {
        writeln!(stdin, "{{\"key\":\"k{}\",\"value\":\"v{i}\"}}", i % 7).expect("send line");
        stdin.flush().expect("flush");
        if i % 10 == 9 {
            // Wait for the acknowledgements of everything sent so far.
            while acknowledged.len() < i + 1 {
                let mut line = String::new();
                acks.read_line(&mut line).expect("ack");
                let ack: serde_json::Value = serde_json::from_str(&line).expect("ack json");
                acknowledged.push((
                    ack["partition"].as_u64().expect("p"),
                    ack["offset"].as_u64().expect("o"),
                    ack["line"].as_u64().expect("l"),
                ));
            }
        }
    }
    // More unacknowledged lines are in flight when the process dies.
    for i in 200..260 {
        let _ = writeln!(stdin, "{{\"key\":\"k{}\",\"value\":\"v{i}\"}}", i % 7);
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let log = Log::open(data.join("log"), LogOptions::ephemeral()).expect("reopen");
    assert_eq!(acknowledged.len(), 200);
    for (partition, offset, line) in acknowledged {
        let records = log
            .partition("t", partition as u32)
            .expect("p")
            .read(offset, ReadLimits::records(1))
            .expect("acknowledged record readable");
        let expected = format!("v{}", line - 1);
        assert_eq!(records[0].value.as_deref(), Some(expected.as_bytes()));
    }
}
