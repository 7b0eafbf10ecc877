//! Randomized oracle test of table-table joins: seeded random upserts and deletes on two
//! tables, joined incrementally by the engine; the final materialized result must equal
//! DataFusion's batch join of the tables' final contents, with 1 or 4 partitions.
//!
//! Run: `cargo test --test join_oracle`.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, Int32Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::SessionContext;
use runnel::engine::{AUTO_OFFSET_RESET, Engine};
use runnel::log::{Log, LogOptions, ReadLimits, Record, TopicConfig, partition_for_key};

/// A small deterministic generator (xorshift), so that a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> i32 {
        (self.next() % n) as i32
    }
}

/// A table's final contents: key to value.
type Table = BTreeMap<i32, i32>;

/// The join's final result: key to (left value, right value).
type Joined = BTreeMap<i32, (Option<i32>, Option<i32>)>;

fn append(log: &Log, topic: &str, key: i32, value: Option<String>, timestamp: i64) {
    let topic = log.existing_topic(topic).expect("topic");
    let key_bytes = key.to_be_bytes().to_vec();
    let partition = partition_for_key(&key_bytes, topic.partition_count());
    let value = value.map(String::into_bytes);
    let mut record = Record::new(Some(key_bytes), value);
    record.timestamp = Some(timestamp);
    topic
        .partition(partition)
        .expect("partition")
        .append(&[record])
        .expect("append");
}

/// Folds the sink topic into its final table (a tombstone deletes).
fn read_result(log: &Log, topic: &str, columns: (&str, &str)) -> Joined {
    let topic = log.existing_topic(topic).expect("sink topic");
    let mut result = Joined::new();
    for partition in topic.partitions() {
        let records = partition
            .read(0, ReadLimits::records(1_000_000))
            .expect("read sink");
        for record in records {
            let key_bytes: [u8; 4] = record
                .key
                .as_deref()
                .and_then(|k| k.try_into().ok())
                .expect("INT key");
            let key = i32::from_be_bytes(key_bytes);
            match record.value {
                None => {
                    result.remove(&key);
                }
                Some(value) => {
                    let json: serde_json::Value = serde_json::from_slice(&value).expect("JSON");
                    let get = |c: &str| json.get(c).and_then(|v| v.as_i64()).map(|v| v as i32);
                    result.insert(key, (get(columns.0), get(columns.1)));
                }
            }
        }
    }
    result
}

fn table_batch(table: &Table, value: &str) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int32, false),
        Field::new(value, DataType::Int32, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int32Array::from_iter_values(table.keys().copied())),
            Arc::new(Int32Array::from_iter_values(table.values().copied())),
        ],
    )
    .expect("batch")
}

/// DataFusion's batch join of the final tables.
async fn batch_join(a: &Table, b: &Table, kind: &str) -> Joined {
    let ctx = SessionContext::new();
    ctx.register_batch("a", table_batch(a, "x")).expect("a");
    ctx.register_batch("b", table_batch(b, "y")).expect("b");
    let sql =
        format!("SELECT COALESCE(a.id, b.id) AS id, a.x, b.y FROM a {kind} JOIN b ON a.id = b.id");
    let batches = ctx
        .sql(&sql)
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    let mut joined = Joined::new();
    for batch in batches {
        let column = |i: usize| {
            batch
                .column(i)
                .as_any()
                .downcast_ref::<Int32Array>()
                .expect("INT column")
                .clone()
        };
        let (ids, xs, ys) = (column(0), column(1), column(2));
        let value = |c: &Int32Array, row: usize| (!c.is_null(row)).then(|| c.value(row));
        for row in 0..batch.num_rows() {
            joined.insert(ids.value(row), (value(&xs, row), value(&ys, row)));
        }
    }
    joined
}

async fn check(seed: u64, partitions: u32) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("log");
    for topic in ["a", "b"] {
        log.create_topic(
            topic,
            TopicConfig {
                partitions,
                ..TopicConfig::default()
            },
        )
        .expect("topic");
    }
    let mut engine = Engine::new(Arc::clone(&log)).expect("engine");
    engine.set_property(AUTO_OFFSET_RESET, "earliest");
    engine
        .execute(
            "CREATE TABLE A (ID INT PRIMARY KEY, X INT) WITH (kafka_topic='a', value_format='JSON');
             CREATE TABLE B (ID INT PRIMARY KEY, Y INT) WITH (kafka_topic='b', value_format='JSON');
             CREATE TABLE J_INNER AS SELECT A.ID, X, Y FROM A JOIN B ON A.ID = B.ID;
             CREATE TABLE J_LEFT AS SELECT A.ID, X, Y FROM A LEFT JOIN B ON A.ID = B.ID;
             CREATE TABLE J_FULL AS SELECT ROWKEY AS ID, X, Y FROM A FULL OUTER JOIN B ON A.ID = B.ID;",
        )
        .expect("statements");
    let mut rng = Rng(seed);
    let (mut a, mut b) = (Table::new(), Table::new());
    for time in 0..300 {
        let key = rng.below(12);
        let (topic, column, table) = if rng.below(2) == 0 {
            ("a", "X", &mut a)
        } else {
            ("b", "Y", &mut b)
        };
        if rng.below(4) == 0 {
            table.remove(&key);
            append(&log, topic, key, None, time);
        } else {
            let value = rng.below(1000);
            table.insert(key, value);
            append(
                &log,
                topic,
                key,
                Some(format!("{{\"{column}\": {value}}}")),
                time,
            );
        }
        // Some steps process one record, others let several pile up.
        if rng.below(3) == 0 {
            engine.run_until_idle().expect("run");
        }
    }
    engine.run_until_idle().expect("run");
    for (sink, kind) in [("J_INNER", "INNER"), ("J_LEFT", "LEFT"), ("J_FULL", "FULL")] {
        let expected = batch_join(&a, &b, kind).await;
        let actual = read_result(&log, sink, ("X", "Y"));
        assert!(!expected.is_empty(), "seed {seed} joins nothing");
        assert_eq!(
            actual, expected,
            "{kind} join differs (seed {seed}, {partitions} partitions)"
        );
    }
}

/// A foreign-key join: orders C (key, FK, X) looked up in B by FK, LEFT and INNER.
async fn check_foreign_key(seed: u64, partitions: u32) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("log");
    for topic in ["b", "c"] {
        log.create_topic(
            topic,
            TopicConfig {
                partitions,
                ..TopicConfig::default()
            },
        )
        .expect("topic");
    }
    let mut engine = Engine::new(Arc::clone(&log)).expect("engine");
    engine.set_property(AUTO_OFFSET_RESET, "earliest");
    engine
        .execute(
            "CREATE TABLE B (ID INT PRIMARY KEY, Y INT) WITH (kafka_topic='b', value_format='JSON');
             CREATE TABLE C (ID INT PRIMARY KEY, FK INT, X INT) WITH (kafka_topic='c', value_format='JSON');
             CREATE TABLE F_INNER AS SELECT C.ID, X, Y FROM C JOIN B ON C.FK = B.ID;
             CREATE TABLE F_LEFT AS SELECT C.ID, X, Y FROM C LEFT JOIN B ON C.FK = B.ID;",
        )
        .expect("statements");
    let mut rng = Rng(seed);
    let mut b = Table::new();
    let mut c: BTreeMap<i32, (i32, i32)> = BTreeMap::new();
    for time in 0..300 {
        let delete = rng.below(5) == 0;
        if rng.below(2) == 0 {
            let key = rng.below(6);
            if delete {
                b.remove(&key);
                append(&log, "b", key, None, time);
            } else {
                let y = rng.below(1000);
                b.insert(key, y);
                append(&log, "b", key, Some(format!("{{\"Y\": {y}}}")), time);
            }
        } else {
            let key = rng.below(12);
            if delete {
                c.remove(&key);
                append(&log, "c", key, None, time);
            } else {
                let (fk, x) = (rng.below(6), rng.below(1000));
                c.insert(key, (fk, x));
                append(
                    &log,
                    "c",
                    key,
                    Some(format!("{{\"FK\": {fk}, \"X\": {x}}}")),
                    time,
                );
            }
        }
        if rng.below(3) == 0 {
            engine.run_until_idle().expect("run");
        }
    }
    engine.run_until_idle().expect("run");
    let ctx = SessionContext::new();
    ctx.register_batch("b", table_batch(&b, "y")).expect("b");
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int32, false),
        Field::new("fk", DataType::Int32, false),
        Field::new("x", DataType::Int32, false),
    ]));
    let orders = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int32Array::from_iter_values(c.keys().copied())),
            Arc::new(Int32Array::from_iter_values(c.values().map(|v| v.0))),
            Arc::new(Int32Array::from_iter_values(c.values().map(|v| v.1))),
        ],
    )
    .expect("batch");
    ctx.register_batch("c", orders).expect("c");
    for (sink, kind) in [("F_INNER", "INNER"), ("F_LEFT", "LEFT")] {
        let sql = format!("SELECT c.id, c.x, b.y FROM c {kind} JOIN b ON c.fk = b.id");
        let batches = ctx
            .sql(&sql)
            .await
            .expect("plan")
            .collect()
            .await
            .expect("run");
        let mut expected = Joined::new();
        for batch in batches {
            let column = |i: usize| {
                batch
                    .column(i)
                    .as_any()
                    .downcast_ref::<Int32Array>()
                    .expect("INT column")
                    .clone()
            };
            let (ids, xs, ys) = (column(0), column(1), column(2));
            for row in 0..batch.num_rows() {
                let y = (!ys.is_null(row)).then(|| ys.value(row));
                expected.insert(ids.value(row), (Some(xs.value(row)), y));
            }
        }
        assert!(!expected.is_empty(), "seed {seed} joins nothing");
        let actual = read_result(&log, sink, ("X", "Y"));
        assert_eq!(
            actual, expected,
            "{kind} foreign-key join differs (seed {seed}, {partitions} partitions)"
        );
    }
}

#[tokio::test]
async fn foreign_key_joins_equal_a_batch_join_of_the_final_tables() {
    for seed in [3, 11, 2024] {
        for partitions in [1, 4] {
            check_foreign_key(seed, partitions).await;
        }
    }
}

#[tokio::test]
async fn table_table_joins_equal_a_batch_join_of_the_final_tables() {
    for seed in [1, 7, 42, 1234, 99991] {
        for partitions in [1, 4] {
            check(seed, partitions).await;
        }
    }
}
