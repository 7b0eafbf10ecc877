//! The catalog as a command topic: a reopened engine (or a second `runnel` process) sees
//! the streams, tables, types and running queries of the first, with the same query ids.

use std::path::Path;
use std::process::Command;

use runnel::engine::{COMMAND_TOPIC, Engine, Outcome};
use runnel::log::{Log, LogOptions, ReadLimits};

fn open(dir: &Path) -> Engine {
    let log = Log::open(dir, LogOptions::ephemeral()).expect("log opens");
    Engine::new(log).expect("engine opens")
}

fn source_names(engine: &Engine) -> Vec<String> {
    engine
        .catalog()
        .sources()
        .map(|s| s.name.clone())
        .filter(|n| n != "RUNNEL_PROCESSING_LOG")
        .collect()
}

fn query_ids(engine: &Engine) -> Vec<String> {
    engine.queries().map(|q| q.info.id.clone()).collect()
}

fn values(log: &Log, topic: &str) -> Vec<String> {
    let topic = log.existing_topic(topic).expect("topic");
    topic
        .partitions()
        .iter()
        .flat_map(|p| p.read(0, ReadLimits::records(10_000)).expect("read"))
        .filter_map(|r| r.value.map(|v| String::from_utf8_lossy(&v).into_owned()))
        .collect()
}

#[test]
fn a_reopened_engine_replays_its_catalog_and_restarts_its_queries() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let mut engine = open(dir.path());
        engine
            .execute(
                "SET 'auto.offset.reset' = 'earliest';
                 CREATE TYPE ADDRESS AS STRUCT<CITY STRING>;
                 CREATE STREAM A (K STRING KEY, V INT) WITH (KAFKA_TOPIC='a', PARTITIONS=1, VALUE_FORMAT='JSON');
                 CREATE STREAM GONE (K STRING KEY, V INT) WITH (KAFKA_TOPIC='gone', PARTITIONS=1, VALUE_FORMAT='JSON');
                 CREATE STREAM BIG AS SELECT K, V FROM A WHERE V > 10;
                 CREATE TABLE COUNTS AS SELECT K, COUNT(*) AS N FROM A GROUP BY K;
                 CREATE STREAM COPY AS SELECT K, V FROM GONE;
                 INSERT INTO BIG SELECT K, V FROM GONE;
                 INSERT INTO A (K, V) VALUES ('x', 20);",
            )
            .expect("statements run");
        engine.run_until_idle().expect("idle");
        // TERMINATE, then DROP ... DELETE TOPIC: replay must neither restart nor fail on them.
        let outcomes = engine
            .execute("TERMINATE CSAS_COPY_2; TERMINATE INSERTQUERY_3; DROP STREAM COPY DELETE TOPIC; DROP STREAM GONE DELETE TOPIC;")
            .expect("terminate and drop");
        assert_eq!(
            outcomes[0],
            Outcome::QueryTerminated {
                ids: vec!["CSAS_COPY_2".into()]
            }
        );
        assert!(engine.execute("TERMINATE NOPE_9;").is_err());
    }
    let mut engine = open(dir.path());
    assert!(
        engine.replay_failures().is_empty(),
        "{:?}",
        engine.replay_failures()
    );
    assert_eq!(source_names(&engine), ["A", "BIG", "COUNTS"]);
    assert_eq!(query_ids(&engine), ["CSAS_BIG_0", "CTAS_COUNTS_1"]);
    assert!(engine.catalog().types.get("ADDRESS").is_some());
    // The session properties are the opener's, not the replayed ones.
    assert_eq!(engine.property("auto.offset.reset"), None);

    // The restarted queries continue from where they stopped: no repeats, new rows flow.
    engine
        .execute("INSERT INTO A (K, V) VALUES ('x', 30);")
        .expect("insert");
    engine.run_until_idle().expect("idle");
    assert_eq!(values(engine.log(), "BIG"), [r#"{"V":20}"#, r#"{"V":30}"#]);
    assert_eq!(values(engine.log(), "COUNTS"), [r#"{"N":1}"#, r#"{"N":2}"#]);
    // New queries are numbered after the replayed ones.
    let outcome = engine
        .execute("CREATE STREAM MORE AS SELECT K, V FROM A;")
        .expect("csas");
    assert!(matches!(&outcome[0], Outcome::QueryStarted { id, .. } if id == "CSAS_MORE_4"));
    // INSERT VALUES is data, not a command.
    let commands = engine.log().existing_topic(COMMAND_TOPIC).expect("topic");
    let recorded = values(engine.log(), commands.name());
    assert!(
        recorded.iter().all(|c| !c.contains("VALUES")),
        "{recorded:?}"
    );
}

#[test]
fn a_command_that_no_longer_replays_is_reported_not_fatal() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let mut engine = open(dir.path());
        engine
            .log()
            .create_topic("a", runnel::log::TopicConfig::default())
            .expect("topic");
        engine
            .execute(
                "CREATE STREAM A (K STRING KEY, V INT) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON');
                 CREATE STREAM B (K STRING KEY, V INT) WITH (KAFKA_TOPIC='b', PARTITIONS=1, VALUE_FORMAT='JSON');",
            )
            .expect("statements run");
        engine
            .log()
            .delete_topic("a")
            .expect("delete behind its back");
    }
    let engine = open(dir.path());
    let failures = engine.replay_failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].to_string().contains("'a' does not exist"),
        "{}",
        failures[0]
    );
    assert_eq!(source_names(&engine), ["B"]);
}

fn runnel(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runnel"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("runnel runs")
}

#[test]
fn a_second_runnel_process_sees_the_first_ones_streams_tables_and_queries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = dir.path().join("first.sql");
    std::fs::write(
        &first,
        "CREATE STREAM PAGEVIEWS (USER STRING KEY, PAGE STRING) WITH (KAFKA_TOPIC='pageviews', PARTITIONS=2, VALUE_FORMAT='JSON');
         CREATE TABLE VIEWS AS SELECT USER, COUNT(*) AS N FROM PAGEVIEWS GROUP BY USER;
         INSERT INTO PAGEVIEWS (USER, PAGE) VALUES ('ann', 'home');",
    )
    .expect("write sql");
    let out = runnel(
        dir.path(),
        &["run", "--bounded", first.to_str().expect("utf-8")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The second process only inserts: the stream and the running query come back.
    let second = dir.path().join("second.sql");
    std::fs::write(
        &second,
        "INSERT INTO PAGEVIEWS (USER, PAGE) VALUES ('ann', 'news');",
    )
    .expect("write sql");
    let out = runnel(
        dir.path(),
        &["run", "--bounded", second.to_str().expect("utf-8")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("CTAS_VIEWS_0: 1 records in"), "{stdout}");

    let log = Log::open(dir.path().join("log"), LogOptions::ephemeral()).expect("log opens");
    assert_eq!(values(&log, "VIEWS"), [r#"{"N":1}"#, r#"{"N":2}"#]);
}
