//! Engine-level tests of pull queries, push queries and the lifecycle statements.

use std::sync::Arc;

use runnel::engine::{AUTO_OFFSET_RESET, Engine, Outcome, PULL_TABLE_SCAN_ENABLED, QueryRows};
use runnel::log::{Log, LogOptions};
use serde_json::{Value, json};

fn engine() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("log");
    let mut engine = Engine::new(Arc::clone(&log)).expect("engine");
    engine.set_property(AUTO_OFFSET_RESET, "earliest");
    (dir, engine)
}

fn rows(engine: &mut Engine, sql: &str) -> QueryRows {
    match engine.execute(sql).expect(sql).pop() {
        Some(Outcome::Rows(rows)) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn sorted(mut rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    rows.sort_by_key(|r| r.iter().map(Value::to_string).collect::<Vec<_>>());
    rows
}

/// A stream of page views and a table counting them per user.
fn with_views(engine: &mut Engine) {
    engine
        .execute(
            "CREATE STREAM views (user STRING KEY, page STRING, ms INT) \
               WITH (kafka_topic='views', value_format='JSON', partitions=2);
             INSERT INTO views (user, page, ms) VALUES ('ann', 'home', 10);
             INSERT INTO views (user, page, ms) VALUES ('bob', 'home', 20);
             INSERT INTO views (user, page, ms) VALUES ('ann', 'cart', 30);
             CREATE TABLE per_user AS SELECT user, COUNT(*) AS views, SUM(ms) AS total \
               FROM views GROUP BY user;",
        )
        .expect("setup");
}

#[test]
fn key_lookup_reads_its_own_writes() {
    let (_dir, mut engine) = engine();
    with_views(&mut engine);
    let answer = rows(&mut engine, "SELECT * FROM per_user WHERE user = 'ann';");
    assert_eq!(
        answer.schema_text(),
        "`USER` STRING KEY, `VIEWS` BIGINT, `TOTAL` INTEGER"
    );
    assert_eq!(answer.rows, vec![vec![json!("ann"), json!(2), json!(40)]]);

    // No run_until_idle in between: the pull query itself catches the table up.
    engine
        .execute("INSERT INTO views (user, page, ms) VALUES ('ann', 'pay', 5);")
        .expect("insert");
    let answer = rows(
        &mut engine,
        "SELECT views FROM per_user WHERE user = 'ann';",
    );
    assert_eq!(answer.rows, vec![vec![json!(3)]]);
    let missing = rows(&mut engine, "SELECT * FROM per_user WHERE user = 'zed';");
    assert!(missing.rows.is_empty());
}

#[test]
fn scans_filter_with_any_where_and_limit() {
    let (_dir, mut engine) = engine();
    with_views(&mut engine);
    let all = rows(&mut engine, "SELECT user, views FROM per_user;");
    assert_eq!(
        sorted(all.rows),
        vec![vec![json!("ann"), json!(2)], vec![json!("bob"), json!(1)]]
    );
    let like = rows(
        &mut engine,
        "SELECT user FROM per_user WHERE user LIKE 'b%' OR total > 100;",
    );
    assert_eq!(like.rows, vec![vec![json!("bob")]]);
    let limited = rows(&mut engine, "SELECT * FROM per_user LIMIT 1;");
    assert_eq!(limited.rows.len(), 1);
    let stream = rows(&mut engine, "SELECT page FROM views WHERE ms >= 20;");
    assert_eq!(
        sorted(stream.rows),
        vec![vec![json!("cart")], vec![json!("home")]]
    );
}

#[test]
fn key_lookups_only_when_table_scans_are_disabled() {
    let (_dir, mut engine) = engine();
    with_views(&mut engine);
    engine.set_property(PULL_TABLE_SCAN_ENABLED, "false");
    let err = engine
        .execute("SELECT * FROM per_user WHERE views > 1;")
        .expect_err("a scan is refused");
    assert!(
        err.to_string().contains("missing key column"),
        "unexpected message: {err}"
    );
    let answer = rows(
        &mut engine,
        "SELECT * FROM per_user WHERE user IN ('bob', 'x');",
    );
    assert_eq!(answer.rows.len(), 1);
}

#[test]
fn pull_queries_refuse_clauses_they_cannot_have() {
    let (_dir, mut engine) = engine();
    with_views(&mut engine);
    let err = engine
        .execute("SELECT * FROM per_user WINDOW TUMBLING (SIZE 1 SECOND) WHERE user = 'a';")
        .expect_err("WINDOW is refused");
    assert_eq!(
        err.to_string(),
        "Pull queries don't support WINDOW clauses."
    );
    let err = engine
        .execute("SELECT * FROM per_user p JOIN views v ON p.user = v.user;")
        .expect_err("a join with a stream is refused");
    assert_eq!(err.to_string(), "Pull queries don't support JOIN clauses.");
    let err = engine
        .execute("SELECT * FROM nowhere;")
        .expect_err("unknown source");
    assert!(err.to_string().contains("NOWHERE does not exist"), "{err}");
}

#[test]
fn full_sql_over_a_snapshot_goes_beyond_ksqldb() {
    let (_dir, mut engine) = engine();
    with_views(&mut engine);
    engine
        .execute(
            "CREATE TABLE names (user STRING PRIMARY KEY, name STRING) \
               WITH (kafka_topic='names', value_format='JSON', partitions=1);
             INSERT INTO names (user, name) VALUES ('ann', 'Ann Lee');
             INSERT INTO names (user, name) VALUES ('bob', 'Bob Ray');",
        )
        .expect("names");
    let ordered = rows(
        &mut engine,
        "SELECT user, total FROM per_user ORDER BY total DESC;",
    );
    assert_eq!(
        ordered.rows,
        vec![vec![json!("ann"), json!(40)], vec![json!("bob"), json!(20)]]
    );
    let page = rows(
        &mut engine,
        "SELECT total FROM per_user ORDER BY total LIMIT 1 OFFSET 1;",
    );
    assert_eq!(page.rows, vec![vec![json!(40)]]);
    let totals = rows(
        &mut engine,
        "SELECT COUNT(*) AS n, SUM(total) AS s FROM per_user;",
    );
    assert_eq!(totals.rows, vec![vec![json!(2), json!(60)]]);
    let joined = rows(
        &mut engine,
        "SELECT n.name, p.views FROM per_user p JOIN names n ON p.user = n.user WHERE p.views > 1;",
    );
    assert_eq!(joined.rows, vec![vec![json!("Ann Lee"), json!(2)]]);
    let err = engine
        .execute("SELECT total FROM per_user ORDER BY nonsense;")
        .expect_err("unknown column");
    assert!(
        err.to_string().contains("nonsense"),
        "the unknown column is named: {err}"
    );
}

#[test]
fn push_query_delivers_rows_as_they_arrive_up_to_its_limit() {
    let (_dir, mut engine) = engine();
    with_views(&mut engine);
    let mut push = engine
        .push_query("SELECT user, page FROM views WHERE ms > 0 EMIT CHANGES LIMIT 4;")
        .expect("push query");
    assert_eq!(push.schema_text(), "`USER` STRING KEY, `PAGE` STRING");
    let first = push.poll().expect("poll");
    assert_eq!(first.len(), 3, "earliest: the three records already there");
    assert!(!push.is_done());
    assert!(push.poll().expect("poll").is_empty());
    engine
        .execute(
            "INSERT INTO views (user, page, ms) VALUES ('cy', 'home', 1);
             INSERT INTO views (user, page, ms) VALUES ('cy', 'cart', 2);",
        )
        .expect("insert");
    let more = push.poll().expect("poll");
    assert_eq!(more.len(), 1, "the LIMIT leaves room for one more row");
    assert!(push.is_done());
}

#[test]
fn push_query_from_latest_sees_only_new_records() {
    let (_dir, mut engine) = engine();
    with_views(&mut engine);
    engine.set_property(AUTO_OFFSET_RESET, "latest");
    let mut push = engine
        .push_query("SELECT page FROM views EMIT CHANGES;")
        .expect("push query");
    assert!(push.poll().expect("poll").is_empty());
    engine
        .execute("INSERT INTO views (user, page, ms) VALUES ('dee', 'faq', 1);")
        .expect("insert");
    assert_eq!(push.poll().expect("poll"), vec![vec![json!("faq")]]);
}

#[test]
fn lifecycle_statements_list_describe_and_control_queries() {
    let (_dir, mut engine) = engine();
    with_views(&mut engine);
    engine.run_until_idle().expect("run");
    let streams = rows(&mut engine, "SHOW STREAMS;");
    assert!(streams.rows.iter().any(|r| r[0] == json!("VIEWS")));
    let tables = rows(&mut engine, "LIST TABLES;");
    assert_eq!(tables.rows.len(), 1);
    let queries = rows(&mut engine, "SHOW QUERIES EXTENDED;");
    assert_eq!(queries.rows.len(), 1);
    let id = queries.rows[0][0].as_str().expect("query id").to_string();
    assert_eq!(queries.rows[0][2], json!("RUNNING"));
    assert_eq!(queries.rows[0][6], json!("3"), "records in");

    let described = rows(&mut engine, "DESCRIBE per_user;");
    assert_eq!(
        described.rows[0],
        vec![json!("USER"), json!("STRING (primary key)")]
    );
    let extended = rows(&mut engine, "DESCRIBE EXTENDED per_user;");
    assert!(extended.rows.iter().any(|r| r[0] == json!("Written by")
        && r[1].as_str().is_some_and(|s| s.contains("3 records in"))));
    let function = rows(&mut engine, "DESCRIBE FUNCTION ucase;");
    assert_eq!(function.rows[0][1], json!("UCASE"));
    let plan = rows(&mut engine, &format!("EXPLAIN {id};"));
    let lines: Vec<&str> = plan.rows.iter().filter_map(|r| r[0].as_str()).collect();
    assert!(lines[0].contains("SINK"), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("AGGREGATE")), "{lines:?}");

    engine.execute(&format!("PAUSE {id};")).expect("pause");
    engine
        .execute("INSERT INTO views (user, page, ms) VALUES ('bob', 'x', 1);")
        .expect("insert");
    engine.run_until_idle().expect("run");
    let paused = rows(&mut engine, "SHOW QUERIES;");
    assert_eq!(paused.rows[0][2], json!("PAUSED"));
    engine.execute(&format!("RESUME {id};")).expect("resume");
    let bob = rows(
        &mut engine,
        "SELECT views FROM per_user WHERE user = 'bob';",
    );
    assert_eq!(bob.rows, vec![vec![json!(2)]]);
    engine.execute("TERMINATE ALL;").expect("terminate");
    assert!(rows(&mut engine, "SHOW QUERIES;").rows.is_empty());
    let err = engine
        .execute(&format!("TERMINATE {id};"))
        .expect_err("already terminated");
    assert!(err.to_string().contains("Unknown queryId"), "{err}");
}

#[test]
fn windowed_table_lookups_bound_by_window_start() {
    let (_dir, mut engine) = engine();
    engine
        .execute(
            "CREATE STREAM clicks (id STRING KEY, n INT) \
               WITH (kafka_topic='clicks', value_format='JSON', partitions=1);
             CREATE TABLE per_second AS SELECT id, COUNT(*) AS c FROM clicks \
               WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY id;",
        )
        .expect("setup");
    for (ts, n) in [(1000, 1), (1500, 2), (2500, 3)] {
        engine
            .execute(&format!(
                "INSERT INTO clicks (id, n, ROWTIME) VALUES ('a', {n}, {ts});"
            ))
            .expect("insert");
    }
    let all = rows(&mut engine, "SELECT * FROM per_second WHERE id = 'a';");
    assert_eq!(
        all.schema_text(),
        "`ID` STRING KEY, `WINDOWSTART` BIGINT KEY, `WINDOWEND` BIGINT KEY, `C` BIGINT"
    );
    assert_eq!(all.rows.len(), 2);
    let later = rows(
        &mut engine,
        "SELECT WINDOWSTART, c FROM per_second WHERE id = 'a' AND WINDOWSTART >= 2000;",
    );
    assert_eq!(later.rows, vec![vec![json!(2000), json!(1)]]);
}
