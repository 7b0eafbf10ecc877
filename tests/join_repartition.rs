//! A join whose stream side is not keyed by the join key routes that side through the
//! query's internal repartition topic, joins it partition by partition, keeps doing so
//! after a restart, and TERMINATE deletes the topic.

use std::path::Path;

use runnel::engine::Engine;
use runnel::log::{Log, LogOptions, ReadLimits};

fn open(dir: &Path) -> Engine {
    let log = Log::open(dir, LogOptions::ephemeral()).expect("log opens");
    let engine = Engine::new(log).expect("engine opens");
    assert!(
        engine.replay_failures().is_empty(),
        "{:?}",
        engine.replay_failures()
    );
    engine
}

/// The names of the log's topics that end in `suffix`.
fn topics_ending(engine: &Engine, suffix: &str) -> Vec<String> {
    engine
        .log()
        .topics()
        .iter()
        .map(|t| t.name().to_string())
        .filter(|name| name.ends_with(suffix))
        .collect()
}

/// The values of every record of `topic`, sorted (partitions interleave arbitrarily).
fn sorted_values(engine: &Engine, topic: &str) -> Vec<String> {
    let topic = engine.log().existing_topic(topic).expect("sink topic");
    let mut values: Vec<String> = topic
        .partitions()
        .iter()
        .flat_map(|p| p.read(0, ReadLimits::records(10_000)).expect("read"))
        .filter_map(|r| r.value.map(|v| String::from_utf8_lossy(&v).into_owned()))
        .collect();
    values.sort();
    values
}

/// Clicks keyed by click id, joined on their user id column with users keyed by it.
fn clicks(range: std::ops::Range<u32>) -> String {
    range
        .map(|i| {
            format!(
                "INSERT INTO CLICKS (ID, UID, N, ROWTIME) VALUES ('c{i}', 'u{}', {i}, {});",
                i % 7,
                100 + i
            )
        })
        .collect()
}

#[test]
fn a_stream_table_join_on_a_value_column_repartitions_the_stream_across_restarts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut engine = open(dir.path());
    let users: String = (0..7)
        .map(|u| format!("INSERT INTO USERS (ID, NAME, ROWTIME) VALUES ('u{u}', 'name{u}', {u});"))
        .collect();
    engine
        .execute(&format!(
            "SET 'auto.offset.reset' = 'earliest';
            CREATE TABLE USERS (ID STRING PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='users', PARTITIONS=4, VALUE_FORMAT='JSON');
            CREATE STREAM CLICKS (ID STRING KEY, UID STRING, N INT) WITH (KAFKA_TOPIC='clicks', PARTITIONS=3, VALUE_FORMAT='JSON');
            {users}
            CREATE STREAM OUTPUT AS SELECT C.UID AS UID, N, NAME FROM CLICKS C JOIN USERS U ON C.UID = U.ID;
            {}",
            clicks(0..20)
        ))
        .expect("statements run");
    engine.run_until_idle().expect("runs");
    let internal = topics_ending(&engine, "-Join-repartition");
    assert_eq!(internal.len(), 1, "{internal:?}");
    let repartition = engine.log().existing_topic(&internal[0]).expect("topic");
    assert_eq!(
        repartition.partition_count(),
        4,
        "the table's partition count"
    );
    drop(engine);

    let mut engine = open(dir.path());
    engine.execute(&clicks(20..35)).expect("inserts run");
    engine.run_until_idle().expect("runs");
    let expected: Vec<String> = {
        let mut rows: Vec<String> = (0..35)
            .map(|i| format!("{{\"N\":{i},\"NAME\":\"name{}\"}}", i % 7))
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(sorted_values(&engine, "OUTPUT"), expected);

    terminate_leaves_no_internal_topic(&mut engine);
}

#[test]
fn a_join_on_both_keys_needs_no_internal_topic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut engine = open(dir.path());
    engine
        .execute(
            "SET 'auto.offset.reset' = 'earliest';
            CREATE STREAM L (ID STRING KEY, A INT) WITH (KAFKA_TOPIC='l', PARTITIONS=4, VALUE_FORMAT='JSON');
            CREATE STREAM R (ID STRING KEY, B INT) WITH (KAFKA_TOPIC='r', PARTITIONS=4, VALUE_FORMAT='JSON');
            CREATE STREAM OUTPUT AS SELECT L.ID AS ID, A, B FROM L JOIN R WITHIN 1 SECOND ON L.ID = R.ID;
            INSERT INTO L (ID, A, ROWTIME) VALUES ('k1', 1, 10);
            INSERT INTO L (ID, A, ROWTIME) VALUES ('k2', 2, 11);
            INSERT INTO R (ID, B, ROWTIME) VALUES ('k1', 3, 12);
            INSERT INTO R (ID, B, ROWTIME) VALUES ('k2', 4, 13);",
        )
        .expect("statements run");
    engine.run_until_idle().expect("runs");
    assert!(topics_ending(&engine, "-repartition").is_empty());
    assert_eq!(
        sorted_values(&engine, "OUTPUT"),
        ["{\"A\":1,\"B\":3}", "{\"A\":2,\"B\":4}"]
    );
}

/// Orders keyed by order id, joined on their user id with payments keyed by user id and
/// with users: a three-way join whose first input is re-keyed.
fn orders(range: std::ops::Range<u32>) -> String {
    range
        .map(|i| {
            format!(
                "INSERT INTO ORDERS (ID, UID, N, ROWTIME) VALUES ('o{i}', 'u{}', {i}, {});
                INSERT INTO PAYMENTS (UID, P, ROWTIME) VALUES ('u{}', {i}, {});",
                i % 5,
                100 + i,
                i % 5,
                100 + i
            )
        })
        .collect()
}

#[test]
fn a_three_way_join_routes_its_rekeyed_input_per_partition_across_restarts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut engine = open(dir.path());
    let users: String = (0..5)
        .map(|u| format!("INSERT INTO USERS (ID, NAME, ROWTIME) VALUES ('u{u}', 'name{u}', {u});"))
        .collect();
    engine
        .execute(&format!(
            "SET 'auto.offset.reset' = 'earliest';
            CREATE TABLE USERS (ID STRING PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='users', PARTITIONS=4, VALUE_FORMAT='JSON');
            CREATE STREAM ORDERS (ID STRING KEY, UID STRING, N INT) WITH (KAFKA_TOPIC='orders', PARTITIONS=3, VALUE_FORMAT='JSON');
            CREATE STREAM PAYMENTS (UID STRING KEY, P INT) WITH (KAFKA_TOPIC='payments', PARTITIONS=4, VALUE_FORMAT='JSON');
            {users}
            CREATE STREAM OUTPUT AS SELECT O.UID AS UID, N, P, NAME FROM ORDERS O
              JOIN PAYMENTS Y WITHIN 0 SECONDS ON O.UID = Y.UID
              JOIN USERS U ON O.UID = U.ID;
            {}",
            orders(0..10)
        ))
        .expect("statements run");
    engine.run_until_idle().expect("runs");
    let internal = topics_ending(&engine, "-repartition");
    assert_eq!(internal.len(), 1, "{internal:?}");
    assert!(
        internal[0].ends_with("-L_Join-left-repartition"),
        "the first join's left side, named as ksqlDB names it: {internal:?}"
    );
    let repartition = engine.log().existing_topic(&internal[0]).expect("topic");
    assert_eq!(
        repartition.partition_count(),
        4,
        "as many partitions as the inputs that stay put"
    );
    drop(engine);

    let mut engine = open(dir.path());
    engine.execute(&orders(10..25)).expect("inserts run");
    engine.run_until_idle().expect("runs");
    // Each order meets the one payment of its own time (WITHIN 0 SECONDS).
    let expected: Vec<String> = {
        let mut rows: Vec<String> = (0..25)
            .map(|i| format!("{{\"N\":{i},\"P\":{i},\"NAME\":\"name{}\"}}", i % 5))
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(sorted_values(&engine, "OUTPUT"), expected);

    terminate_leaves_no_internal_topic(&mut engine);
}

#[test]
fn a_three_way_join_needing_no_internal_topic_refuses_mismatched_partition_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut engine = open(dir.path());
    let refused = engine.execute(
        "CREATE STREAM A (ID STRING KEY, X INT) WITH (KAFKA_TOPIC='a', PARTITIONS=4, VALUE_FORMAT='JSON');
        CREATE STREAM B (ID STRING KEY, Y INT) WITH (KAFKA_TOPIC='b', PARTITIONS=4, VALUE_FORMAT='JSON');
        CREATE TABLE C (ID STRING PRIMARY KEY, Z INT) WITH (KAFKA_TOPIC='c', PARTITIONS=2, VALUE_FORMAT='JSON');
        CREATE STREAM OUTPUT AS SELECT B.ID AS ID, X, Y, Z FROM A JOIN B WITHIN 1 SECOND ON A.ID = B.ID JOIN C ON B.ID = C.ID;",
    );
    let message = refused.expect_err("refused").to_string();
    assert!(
        message.contains("Can't join `A` with `C` since the number of partitions don't match"),
        "{message}"
    );
    assert!(
        engine.catalog().source("OUTPUT").is_none(),
        "a refused join creates no sink"
    );
    assert!(topics_ending(&engine, "-repartition").is_empty());
}

/// Terminates the engine's one query and checks its internal topics went with it.
fn terminate_leaves_no_internal_topic(engine: &mut Engine) {
    let id = engine
        .catalog()
        .queries()
        .map(|q| q.id.clone())
        .next()
        .expect("a query runs");
    engine
        .execute(&format!("TERMINATE {id};"))
        .expect("terminates");
    assert!(topics_ending(engine, "-repartition").is_empty());
}
