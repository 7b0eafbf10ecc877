//! Randomized oracle test of joins: seeded random inputs (upserts and deletes on
//! tables, rows on streams) joined incrementally by the engine, with 1 or 4 partitions,
//! restarted midway or not; the result must equal DataFusion's batch recomputation.
//!
//! Table-table joins (primary- and foreign-key) are compared on their final table; a
//! stream-table join with an as-of join against the table's version history; a
//! stream-stream join with a range join on the rows' times.
//!
//! Run: `cargo test --test join_oracle`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int32Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::SessionContext;
use runnel::engine::Engine;
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

/// A result record: key, then two value columns (none at all for a tombstone).
type Output = (i32, Option<(Option<i32>, Option<i32>)>);

/// A join result as a table: key to its two value columns.
type Joined = BTreeMap<i32, (Option<i32>, Option<i32>)>;

/// How many input records a scenario writes; a restart comes halfway.
const STEPS: i32 = 300;

/// An engine on its own log directory, its input topics, and the statements that
/// created its queries; it can be closed and reopened on the same directory.
struct Harness {
    dir: tempfile::TempDir,
    engine: Option<Engine>,
    rng: Rng,
    restart_midway: bool,
}

impl Harness {
    fn new(seed: u64, partitions: u32, topics: &[&str], statements: &str, restart: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = open_log(dir.path());
        for topic in topics {
            let config = TopicConfig {
                partitions,
                ..TopicConfig::default()
            };
            log.create_topic(topic, config).expect("topic");
        }
        let mut engine = Engine::new(log).expect("engine");
        engine
            .execute(&format!(
                "SET 'auto.offset.reset' = 'earliest'; {statements}"
            ))
            .expect("statements");
        Harness {
            dir,
            engine: Some(engine),
            rng: Rng(seed),
            restart_midway: restart,
        }
    }

    fn engine(&mut self) -> &mut Engine {
        self.engine.as_mut().expect("an open engine")
    }

    fn log(&self) -> &Arc<Log> {
        self.engine.as_ref().expect("an open engine").log()
    }

    fn below(&mut self, n: u64) -> i32 {
        self.rng.below(n)
    }

    /// Appends a record with an INT key and a JSON value (none: a tombstone).
    fn append(&self, topic: &str, key: i32, value: Option<String>, timestamp: i64) {
        let topic = self.log().existing_topic(topic).expect("topic");
        let key_bytes = key.to_be_bytes().to_vec();
        let partition = partition_for_key(&key_bytes, topic.partition_count());
        let mut record = Record::new(Some(key_bytes), value.map(String::into_bytes));
        record.timestamp = Some(timestamp);
        topic
            .partition(partition)
            .expect("partition")
            .append(&[record])
            .expect("append");
    }

    /// After step `step`'s input: sometimes runs the queries (so that some steps
    /// process one record and others several), and restarts halfway if asked to.
    fn after_step(&mut self, step: i32) {
        if self.rng.below(3) == 0 {
            self.engine().run_until_idle().expect("run");
        }
        if self.restart_midway && step == STEPS / 2 {
            drop(self.engine.take());
            let engine = Engine::new(open_log(self.dir.path())).expect("engine reopens");
            assert!(engine.replay_failures().is_empty(), "replay fails");
            self.engine = Some(engine);
        }
    }

    /// Every record of the sink topic, partition by partition.
    fn output(&mut self, sink: &str, columns: (&str, &str)) -> Vec<Output> {
        self.engine().run_until_idle().expect("run");
        let topic = self.log().existing_topic(sink).expect("sink topic");
        let mut out = Vec::new();
        for partition in topic.partitions() {
            let records = partition
                .read(0, ReadLimits::records(1_000_000))
                .expect("read sink");
            for record in records {
                let key: [u8; 4] = record
                    .key
                    .as_deref()
                    .and_then(|k| k.try_into().ok())
                    .expect("INT key");
                let value = record.value.map(|value| {
                    let json: serde_json::Value = serde_json::from_slice(&value).expect("JSON");
                    let get = |c: &str| json.get(c).and_then(|v| v.as_i64()).map(|v| v as i32);
                    (get(columns.0), get(columns.1))
                });
                out.push((i32::from_be_bytes(key), value));
            }
        }
        out
    }

    /// The sink folded into its final table (a tombstone deletes).
    fn table(&mut self, sink: &str, columns: (&str, &str)) -> Joined {
        let mut table = Joined::new();
        for (key, value) in self.output(sink, columns) {
            match value {
                Some(value) => table.insert(key, value),
                None => table.remove(&key),
            };
        }
        table
    }

    /// The sink's rows sorted (a stream's order across partitions is not defined).
    fn stream(&mut self, sink: &str, columns: (&str, &str)) -> Vec<Output> {
        let mut rows = self.output(sink, columns);
        rows.sort();
        rows
    }
}

fn open_log(dir: &Path) -> Arc<Log> {
    Log::open(dir, LogOptions::ephemeral()).expect("log")
}

/// A batch of nullable INT columns.
fn int_batch(columns: &[(&str, Vec<Option<i32>>)]) -> RecordBatch {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, _)| Field::new(*name, DataType::Int32, true))
        .collect();
    let arrays: Vec<ArrayRef> = columns
        .iter()
        .map(|(_, values)| Arc::new(Int32Array::from(values.clone())) as ArrayRef)
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("batch")
}

/// A table's final contents as a batch of `id` and `value`.
fn table_batch(table: &BTreeMap<i32, i32>, value: &str) -> RecordBatch {
    int_batch(&[
        ("id", table.keys().map(|k| Some(*k)).collect()),
        (value, table.values().map(|v| Some(*v)).collect()),
    ])
}

/// Runs `sql` (three INT columns: key, then two values) over the registered batches.
async fn batch_query(ctx: &SessionContext, sql: &str) -> Vec<Output> {
    let batches = ctx
        .sql(sql)
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    let mut rows = Vec::new();
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
            rows.push((ids.value(row), Some((value(&xs, row), value(&ys, row)))));
        }
    }
    rows.sort();
    rows
}

fn as_table(rows: Vec<Output>) -> Joined {
    rows.into_iter()
        .filter_map(|(key, value)| Some((key, value?)))
        .collect()
}

/// Upserts (three in four) or deletes a random key of a table of INT values.
fn table_change(
    h: &mut Harness,
    topic: &str,
    column: &str,
    keys: u64,
    time: i32,
) -> (i32, Option<i32>) {
    let key = h.below(keys);
    let value = (h.below(4) != 0).then(|| h.below(1000));
    let json = value.map(|v| format!("{{\"{column}\": {v}}}"));
    h.append(topic, key, json, i64::from(time));
    (key, value)
}

fn apply(table: &mut BTreeMap<i32, i32>, (key, value): (i32, Option<i32>)) {
    match value {
        Some(value) => table.insert(key, value),
        None => table.remove(&key),
    };
}

async fn check_table_table(seed: u64, partitions: u32, restart: bool) {
    let mut h = Harness::new(
        seed,
        partitions,
        &["a", "b"],
        "CREATE TABLE A (ID INT PRIMARY KEY, X INT) WITH (kafka_topic='a', value_format='JSON');
         CREATE TABLE B (ID INT PRIMARY KEY, Y INT) WITH (kafka_topic='b', value_format='JSON');
         CREATE TABLE J_INNER AS SELECT A.ID, X, Y FROM A JOIN B ON A.ID = B.ID;
         CREATE TABLE J_LEFT AS SELECT A.ID, X, Y FROM A LEFT JOIN B ON A.ID = B.ID;
         CREATE TABLE J_FULL AS SELECT ROWKEY AS ID, X, Y FROM A FULL OUTER JOIN B ON A.ID = B.ID;",
        restart,
    );
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    for time in 0..STEPS {
        if h.below(2) == 0 {
            apply(&mut a, table_change(&mut h, "a", "X", 12, time));
        } else {
            apply(&mut b, table_change(&mut h, "b", "Y", 12, time));
        }
        h.after_step(time);
    }
    let ctx = SessionContext::new();
    ctx.register_batch("a", table_batch(&a, "x")).expect("a");
    ctx.register_batch("b", table_batch(&b, "y")).expect("b");
    for (sink, kind) in [("J_INNER", "INNER"), ("J_LEFT", "LEFT"), ("J_FULL", "FULL")] {
        let sql =
            format!("SELECT COALESCE(a.id, b.id), a.x, b.y FROM a {kind} JOIN b ON a.id = b.id");
        let expected = as_table(batch_query(&ctx, &sql).await);
        assert!(!expected.is_empty(), "seed {seed} joins nothing");
        assert_eq!(
            h.table(sink, ("X", "Y")),
            expected,
            "{kind} join differs (seed {seed}, {partitions} partitions, restart {restart})"
        );
    }
}

/// A foreign-key join: orders C (key, FK, X) looked up in B by FK, LEFT and INNER.
async fn check_foreign_key(seed: u64, partitions: u32, restart: bool) {
    let mut h = Harness::new(
        seed,
        partitions,
        &["b", "c"],
        "CREATE TABLE B (ID INT PRIMARY KEY, Y INT) WITH (kafka_topic='b', value_format='JSON');
         CREATE TABLE C (ID INT PRIMARY KEY, FK INT, X INT) WITH (kafka_topic='c', value_format='JSON');
         CREATE TABLE F_INNER AS SELECT C.ID, X, Y FROM C JOIN B ON C.FK = B.ID;
         CREATE TABLE F_LEFT AS SELECT C.ID, X, Y FROM C LEFT JOIN B ON C.FK = B.ID;",
        restart,
    );
    let mut b = BTreeMap::new();
    let mut c: BTreeMap<i32, (i32, i32)> = BTreeMap::new();
    for time in 0..STEPS {
        if h.below(2) == 0 {
            apply(&mut b, table_change(&mut h, "b", "Y", 6, time));
        } else {
            let key = h.below(12);
            let value = (h.below(5) != 0).then(|| (h.below(6), h.below(1000)));
            let json = value.map(|(fk, x)| format!("{{\"FK\": {fk}, \"X\": {x}}}"));
            h.append("c", key, json, i64::from(time));
            match value {
                Some(value) => c.insert(key, value),
                None => c.remove(&key),
            };
        }
        h.after_step(time);
    }
    let ctx = SessionContext::new();
    ctx.register_batch("b", table_batch(&b, "y")).expect("b");
    let orders = int_batch(&[
        ("id", c.keys().map(|k| Some(*k)).collect()),
        ("fk", c.values().map(|v| Some(v.0)).collect()),
        ("x", c.values().map(|v| Some(v.1)).collect()),
    ]);
    ctx.register_batch("c", orders).expect("c");
    for (sink, kind) in [("F_INNER", "INNER"), ("F_LEFT", "LEFT")] {
        let sql = format!("SELECT c.id, c.x, b.y FROM c {kind} JOIN b ON c.fk = b.id");
        let expected = as_table(batch_query(&ctx, &sql).await);
        assert!(!expected.is_empty(), "seed {seed} joins nothing");
        assert_eq!(
            h.table(sink, ("X", "Y")),
            expected,
            "{kind} foreign-key join differs (seed {seed}, {partitions} partitions, restart {restart})"
        );
    }
}

/// Stream S looked up in table B (LEFT: as of each stream row), and joined with stream
/// T within 5 seconds (INNER). Every record has its own time, one second apart.
async fn check_stream_joins(seed: u64, partitions: u32, restart: bool) {
    let mut h = Harness::new(
        seed,
        partitions,
        &["s", "t", "b"],
        "CREATE STREAM S (ID INT KEY, Z INT) WITH (kafka_topic='s', value_format='JSON');
         CREATE STREAM T (ID INT KEY, W INT) WITH (kafka_topic='t', value_format='JSON');
         CREATE TABLE B (ID INT PRIMARY KEY, Y INT) WITH (kafka_topic='b', value_format='JSON');
         CREATE STREAM S_B AS SELECT S.ID, Z, Y FROM S LEFT JOIN B ON S.ID = B.ID;
         CREATE STREAM S_T AS SELECT S.ID, Z, W FROM S JOIN T WITHIN 5 SECONDS ON S.ID = T.ID;",
        restart,
    );
    // Table versions (id, y, from, to): a delete ends a version and starts none.
    let mut versions: Vec<[Option<i32>; 4]> = Vec::new();
    let mut open: BTreeMap<i32, usize> = BTreeMap::new();
    let (mut s, mut t) = (Vec::new(), Vec::new());
    for step in 0..STEPS {
        let time = step * 1000;
        match h.below(3) {
            0 => {
                let (key, value) = table_change(&mut h, "b", "Y", 8, time);
                if let Some(version) = open.remove(&key) {
                    versions[version][3] = Some(time);
                }
                if let Some(y) = value {
                    open.insert(key, versions.len());
                    versions.push([Some(key), Some(y), Some(time), None]);
                }
            }
            side => {
                let (topic, column, rows) = if side == 1 {
                    ("s", "Z", &mut s)
                } else {
                    ("t", "W", &mut t)
                };
                let (key, value) = (h.below(8), h.below(1000));
                h.append(
                    topic,
                    key,
                    Some(format!("{{\"{column}\": {value}}}")),
                    i64::from(time),
                );
                rows.push([Some(key), Some(value), Some(time)]);
            }
        }
        h.after_step(step);
    }
    let column = |rows: &[[Option<i32>; 3]], i: usize| rows.iter().map(|r| r[i]).collect();
    let ctx = SessionContext::new();
    for (name, rows, value) in [("s", &s, "z"), ("t", &t, "w")] {
        let batch = int_batch(&[
            ("id", column(rows, 0)),
            (value, column(rows, 1)),
            ("ts", column(rows, 2)),
        ]);
        ctx.register_batch(name, batch).expect("stream batch");
    }
    let version_column = |i: usize| versions.iter().map(|v| v[i]).collect();
    let history = int_batch(&[
        ("id", version_column(0)),
        ("y", version_column(1)),
        ("valid_from", version_column(2)),
        ("valid_to", version_column(3)),
    ]);
    ctx.register_batch("b", history).expect("history");
    let as_of = "SELECT s.id, s.z, b.y FROM s LEFT JOIN b ON s.id = b.id \
                 AND b.valid_from < s.ts AND (b.valid_to IS NULL OR s.ts < b.valid_to)";
    let within = "SELECT s.id, s.z, t.w FROM s JOIN t ON s.id = t.id \
                  AND t.ts BETWEEN s.ts - 5000 AND s.ts + 5000";
    for (sink, sql, columns) in [("S_B", as_of, ("Z", "Y")), ("S_T", within, ("Z", "W"))] {
        let expected = batch_query(&ctx, sql).await;
        assert!(!expected.is_empty(), "seed {seed} joins nothing");
        assert_eq!(
            h.stream(sink, columns),
            expected,
            "{sink} differs (seed {seed}, {partitions} partitions, restart {restart})"
        );
    }
}

#[tokio::test]
async fn foreign_key_joins_equal_a_batch_join_of_the_final_tables() {
    for (seed, partitions, restart) in
        [(3, 1, false), (11, 4, false), (2024, 1, true), (5, 4, true)]
    {
        check_foreign_key(seed, partitions, restart).await;
    }
}

#[tokio::test]
async fn table_table_joins_equal_a_batch_join_of_the_final_tables() {
    for seed in [1, 7, 42, 1234] {
        for partitions in [1, 4] {
            check_table_table(seed, partitions, seed % 2 == 0).await;
        }
    }
}

#[tokio::test]
async fn stream_joins_equal_an_as_of_and_a_range_join_of_the_inputs() {
    for seed in [2, 13, 77, 4096] {
        for partitions in [1, 4] {
            check_stream_joins(seed, partitions, seed % 2 == 0).await;
        }
    }
}
