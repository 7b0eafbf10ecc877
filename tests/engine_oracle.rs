//! The randomized oracle: seeded random input (several keys, out-of-order timestamps,
//! table updates and deletes) through GROUP BY, TUMBLING and HOPPING queries; the final
//! materialized sink (latest value per key, tombstones removing) must equal DataFusion's
//! batch recomputation of the same query over the same input — with 1 or 4 source
//! partitions, and when the engine is stopped and reopened midway.
//!
//! Some aggregations group by the source key; others (on the stream and on the table)
//! group by a value column, so with 4 partitions their rows are re-keyed through the
//! internal repartition topic, and a table row that changes group is retracted from
//! the old group's partition.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use runnel::engine::Engine;
use runnel::log::{Log, LogOptions, ReadLimits, Record, partition_for_key};
use serde_json::Value;

/// A small deterministic generator (xorshift64*), so a failing seed can be rerun.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// One stream event and one table change.
#[derive(Debug, Clone)]
struct Event {
    id: i64,
    /// A value column to group by: its groups span the source partitions.
    g: i64,
    v: i64,
    ts: i64,
}

#[derive(Debug, Clone)]
struct TableChange {
    id: i64,
    /// `None` deletes the row.
    row: Option<(i64, i64)>,
    ts: i64,
}

fn generate(seed: u64, events: usize) -> (Vec<Event>, Vec<TableChange>) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut time = 10_000;
    let stream = (0..events)
        .map(|_| {
            time += rng.below(40) as i64;
            Event {
                id: rng.below(6) as i64,
                g: rng.below(5) as i64,
                v: rng.below(100) as i64 - 30,
                // Out of order by up to 300 ms.
                ts: time - rng.below(300) as i64,
            }
        })
        .collect();
    let table = (0..events / 2)
        .map(|i| TableChange {
            id: rng.below(8) as i64,
            row: (rng.below(4) != 0).then(|| (rng.below(3) as i64, rng.below(50) as i64)),
            ts: 10_000 + i as i64,
        })
        .collect();
    (stream, table)
}

const SETUP: &str = "
    SET 'auto.offset.reset' = 'earliest';
    CREATE STREAM S (ID INT KEY, G INT, V INT) WITH (KAFKA_TOPIC='s', PARTITIONS={P}, FORMAT='JSON');
    CREATE TABLE T (ID INT PRIMARY KEY, G INT, V INT) WITH (KAFKA_TOPIC='t', PARTITIONS={P}, FORMAT='JSON');
    CREATE TABLE TOTALS AS SELECT ID, COUNT(*) AS C, SUM(V) AS S, MIN(V) AS MN, MAX(V) AS MX, AVG(V) AS A
        FROM S GROUP BY ID;
    CREATE TABLE TUMBLED AS SELECT ID, COUNT(*) AS C, SUM(V) AS S FROM S
        WINDOW TUMBLING (SIZE 100 MILLISECONDS, GRACE PERIOD 1 DAY) GROUP BY ID;
    CREATE TABLE HOPPED AS SELECT ID, COUNT(*) AS C, MAX(V) AS MX FROM S
        WINDOW HOPPING (SIZE 100 MILLISECONDS, ADVANCE BY 50 MILLISECONDS, GRACE PERIOD 1 DAY) GROUP BY ID;
    CREATE TABLE BY_G AS SELECT G, COUNT(*) AS C, SUM(V) AS S FROM T GROUP BY G;
    CREATE TABLE STREAM_BY_G AS SELECT G, COUNT(*) AS C, SUM(V) AS S, MAX(V) AS MX FROM S
        WHERE V > -20 GROUP BY G;
    CREATE TABLE TUMBLED_BY_G AS SELECT G, COUNT(*) AS C, SUM(V) AS S FROM S
        WINDOW TUMBLING (SIZE 100 MILLISECONDS, GRACE PERIOD 1 DAY) GROUP BY G;
";

/// The same queries as batch SQL; window starts computed in SQL.
const ORACLE: &[(&str, &str)] = &[
    (
        "TOTALS",
        "SELECT id AS k, NULL AS ws, COUNT(*) AS c, SUM(v) AS s, MIN(v) AS mn, MAX(v) AS mx,
                AVG(CAST(v AS DOUBLE)) AS a FROM s GROUP BY id",
    ),
    (
        "TUMBLED",
        "SELECT id AS k, (ts / 100) * 100 AS ws, COUNT(*) AS c, SUM(v) AS s
         FROM s GROUP BY id, (ts / 100) * 100",
    ),
    (
        "HOPPED",
        "SELECT id AS k, ws, COUNT(*) AS c, MAX(v) AS mx FROM (
             SELECT id, v, (ts / 50) * 50 AS ws FROM s
             UNION ALL SELECT id, v, (ts / 50) * 50 - 50 AS ws FROM s
         ) GROUP BY id, ws",
    ),
    (
        "BY_G",
        "SELECT g AS k, NULL AS ws, COUNT(*) AS c, SUM(v) AS s FROM t GROUP BY g",
    ),
    (
        "STREAM_BY_G",
        "SELECT g AS k, NULL AS ws, COUNT(*) AS c, SUM(v) AS s, MAX(v) AS mx
         FROM s WHERE v > -20 GROUP BY g",
    ),
    (
        "TUMBLED_BY_G",
        "SELECT g AS k, (ts / 100) * 100 AS ws, COUNT(*) AS c, SUM(v) AS s
         FROM s GROUP BY g, (ts / 100) * 100",
    ),
];

/// (group key as JSON text, window start) -> column name -> number.
type Materialized = BTreeMap<(String, Option<i64>), BTreeMap<String, f64>>;

fn produce(log: &Log, topic: &str, key: i64, value: Option<Value>, ts: i64) {
    let topic = log.existing_topic(topic).expect("topic");
    let key = key.to_string().into_bytes();
    let partition = partition_for_key(&key, topic.partition_count());
    let record =
        Record::new(Some(key), value.map(|v| v.to_string().into_bytes())).with_timestamp(ts);
    topic
        .partition(partition)
        .expect("partition")
        .append(&[record])
        .expect("append");
}

fn open(dir: &Path) -> Engine {
    let log = Log::open(dir, LogOptions::ephemeral()).expect("log");
    let engine = Engine::new(log).expect("engine");
    assert!(
        engine.replay_failures().is_empty(),
        "{:?}",
        engine.replay_failures()
    );
    engine
}

/// Runs the engine over the input, restarting after `restart_after` of the events.
fn run_engine(
    partitions: u32,
    stream: &[Event],
    table: &[TableChange],
    restart_after: Option<usize>,
) -> BTreeMap<&'static str, Materialized> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut engine = open(dir.path());
    engine
        .execute(&SETUP.replace("{P}", &partitions.to_string()))
        .expect("setup");
    for (i, event) in stream.iter().enumerate() {
        if restart_after == Some(i) {
            engine.run_until_idle().expect("idle");
            drop(engine);
            engine = open(dir.path());
        }
        let value = serde_json::json!({ "G": event.g, "V": event.v });
        produce(engine.log(), "s", event.id, Some(value), event.ts);
        if let Some(change) = table.get(i) {
            let value = change
                .row
                .map(|(g, v)| serde_json::json!({ "G": g, "V": v }));
            produce(engine.log(), "t", change.id, value, change.ts);
        }
        if i % 37 == 0 {
            engine.run_until_idle().expect("idle");
        }
    }
    engine.run_until_idle().expect("idle");
    ORACLE
        .iter()
        .map(|(sink, _)| (*sink, materialize(engine.log(), sink)))
        .collect()
}

/// The sink topic as a table: the latest value per key; tombstones (and, for a TABLE
/// aggregation, groups whose count fell to 0) remove it.
fn materialize(log: &Log, topic: &str) -> Materialized {
    let windowed = topic.starts_with("TUMBLED") || topic == "HOPPED";
    let mut state = Materialized::new();
    for partition in log.existing_topic(topic).expect("sink").partitions() {
        for record in partition
            .read(0, ReadLimits::records(1_000_000))
            .expect("read")
        {
            let key = record.key.expect("aggregates have keys");
            let (inner, start) = if windowed {
                let (inner, start) = key.split_at(key.len() - 8);
                let start = i64::from_be_bytes(start.try_into().expect("8 bytes"));
                (inner, Some(start))
            } else {
                (&key[..], None)
            };
            let id = (String::from_utf8_lossy(inner).into_owned(), start);
            let Some(value) = record.value else {
                state.remove(&id);
                continue;
            };
            let value: Value = serde_json::from_slice(&value).expect("JSON value");
            let columns: BTreeMap<String, f64> = value
                .as_object()
                .expect("an object")
                .iter()
                .map(|(k, v)| (k.to_lowercase(), v.as_f64().expect("a number")))
                .collect();
            if columns.get("c") == Some(&0.0) {
                state.remove(&id);
            } else {
                state.insert(id, columns);
            }
        }
    }
    state
}

fn oracle(stream: &[Event], table: &[TableChange]) -> BTreeMap<&'static str, Materialized> {
    let stream_batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("g", DataType::Int64, false),
            Field::new("v", DataType::Int64, false),
            Field::new("ts", DataType::Int64, false),
        ])),
        vec![
            Arc::new(Int64Array::from_iter_values(stream.iter().map(|e| e.id))),
            Arc::new(Int64Array::from_iter_values(stream.iter().map(|e| e.g))),
            Arc::new(Int64Array::from_iter_values(stream.iter().map(|e| e.v))),
            Arc::new(Int64Array::from_iter_values(stream.iter().map(|e| e.ts))),
        ],
    )
    .expect("stream batch");
    // The table's final state: the latest row per key, deleted rows gone.
    let mut rows = BTreeMap::new();
    for change in table {
        match change.row {
            Some(row) => rows.insert(change.id, row),
            None => rows.remove(&change.id),
        };
    }
    let table_batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("g", DataType::Int64, false),
            Field::new("v", DataType::Int64, false),
        ])),
        vec![
            Arc::new(Int64Array::from_iter_values(rows.values().map(|r| r.0))),
            Arc::new(Int64Array::from_iter_values(rows.values().map(|r| r.1))),
        ],
    )
    .expect("table batch");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let ctx = SessionContext::new();
        for (name, batch) in [("s", stream_batch), ("t", table_batch)] {
            let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).expect("table");
            ctx.register_table(name, Arc::new(table)).expect("register");
        }
        let mut out = BTreeMap::new();
        for (sink, sql) in ORACLE {
            let batches = ctx
                .sql(sql)
                .await
                .expect("plans")
                .collect()
                .await
                .expect("runs");
            out.insert(*sink, from_batches(&batches));
        }
        out
    })
}

fn number(array: &dyn Array, row: usize) -> f64 {
    let cast = arrow::compute::cast(&array.slice(row, 1), &DataType::Float64).expect("numeric");
    cast.as_primitive::<arrow::datatypes::Float64Type>()
        .value(0)
}

fn from_batches(batches: &[RecordBatch]) -> Materialized {
    let mut state = Materialized::new();
    for batch in batches {
        let schema = batch.schema();
        for row in 0..batch.num_rows() {
            let key = number(batch.column(0).as_ref(), row) as i64;
            let start = batch.column(1);
            let present = start.data_type() != &DataType::Null && !start.is_null(row);
            let start = present.then(|| number(start.as_ref(), row) as i64);
            let columns = (2..batch.num_columns())
                .map(|c| {
                    (
                        schema.field(c).name().clone(),
                        number(batch.column(c).as_ref(), row),
                    )
                })
                .collect();
            state.insert((key.to_string(), start), columns);
        }
    }
    state
}

fn assert_same(sink: &str, engine: &Materialized, oracle: &Materialized, what: &str) {
    let keys = |m: &Materialized| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(engine), keys(oracle), "{sink} groups differ ({what})");
    for (key, expected) in oracle {
        let got = &engine[key];
        for (column, want) in expected {
            let have = got.get(column).copied().unwrap_or(f64::NAN);
            assert!(
                (have - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{sink} {key:?} {column}: engine {have}, oracle {want} ({what})"
            );
        }
    }
}

#[test]
fn incremental_results_equal_a_batch_recomputation() {
    for seed in [1, 2, 3] {
        let (stream, table) = generate(seed, 240);
        let expected = oracle(&stream, &table);
        for (partitions, restart) in [(1, None), (4, None), (1, Some(120)), (4, Some(77))] {
            let actual = run_engine(partitions, &stream, &table, restart);
            let what = format!("seed {seed}, {partitions} partitions, restart {restart:?}");
            for (sink, expected) in &expected {
                assert_same(sink, &actual[sink], expected, &what);
            }
        }
    }
}
