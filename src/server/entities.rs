//! ksqlDB's `/ksql` response entities built from Runnel's outcomes: `currentStatus`
//! for statements that change something, `streams`, `tables`, `queries`,
//! `kafka_topics`, `properties`, `function_names` and `sourceDescription` for listings.

use serde_json::{Map, Value, json};

use crate::catalog::{Namespace, Source};
use crate::engine::{Engine, Outcome, QueryRows};
use crate::format::ksql_type_name;
use crate::sql::ast::{DescribeTarget, ShowTarget, SourceKind, StatementKind};

/// Runnel's own entity for a result ksqlDB has no entity for (EXPLAIN, DESCRIBE
/// FUNCTION, ...): column names and rows of cells.
pub const ROWS_ENTITY: &str = "runnel_rows";

/// The entity for `outcome` of the statement `kind` (its text `sql`).
pub fn entity(
    engine: &Engine,
    kind: &StatementKind,
    sql: &str,
    outcome: &Outcome,
    sequence: u64,
) -> Value {
    let listing = |type_name: &str, field: &str, items: Vec<Value>| json!({"@type": type_name, "statementText": sql, field: items, "warnings": []});
    match (kind, outcome) {
        (StatementKind::Show(target), Outcome::Rows(rows)) => match target {
            ShowTarget::Streams { .. } => listing("streams", "streams", sources(rows, "STREAM")),
            ShowTarget::Tables { .. } => listing("tables", "tables", sources(rows, "TABLE")),
            ShowTarget::Queries { .. } => listing("queries", "queries", queries(rows)),
            ShowTarget::Topics { .. } => listing("kafka_topics", "topics", topics(rows)),
            ShowTarget::Properties => listing("properties", "properties", properties(rows)),
            ShowTarget::Functions => listing("function_names", "functions", functions(rows)),
            _ => rows_entity(sql, rows),
        },
        (StatementKind::Describe(DescribeTarget::Source { name, .. }), Outcome::Rows(rows)) => {
            match engine.catalog().source(name.as_str()) {
                Some(source) => json!({
                    "@type": "sourceDescription",
                    "statementText": sql,
                    "sourceDescription": source_description(engine, source),
                    "warnings": [],
                }),
                None => rows_entity(sql, rows),
            }
        }
        (_, Outcome::Rows(rows)) => rows_entity(sql, rows),
        (_, Outcome::Printed { lines }) => {
            json!({"@type": "runnel_print", "statementText": sql, "lines": lines})
        }
        (_, outcome) => current_status(engine, sql, outcome, sequence),
    }
}

/// `currentStatus`: the command succeeded, with ksqlDB's message for it.
fn current_status(engine: &Engine, sql: &str, outcome: &Outcome, sequence: u64) -> Value {
    let (command_id, message, query_id) = match outcome {
        Outcome::SourceCreated { name } => {
            let kind = engine
                .catalog()
                .source(name)
                .map_or("stream", |s| s.kind_name());
            (
                format!("{kind}/`{name}`/create"),
                format!("{}{} created", kind[..1].to_uppercase(), &kind[1..]),
                None,
            )
        }
        Outcome::SourceDropped { name } => (
            format!("source/`{name}`/drop"),
            format!("Source `{name}` was dropped."),
            None,
        ),
        Outcome::QueryStarted { id, sink } => (
            format!("sink/`{sink}`/create"),
            format!("Created query with ID {id}"),
            Some(id.clone()),
        ),
        Outcome::QueryTerminated { ids } => (
            format!("terminate/{}/execute", ids.join(",")),
            "Query terminated.".to_string(),
            None,
        ),
        other => (
            "statement/execute".to_string(),
            crate::repl::render::render_outcome(other),
            None,
        ),
    };
    json!({
        "@type": "currentStatus",
        "statementText": sql,
        "commandId": command_id,
        "commandStatus": {"status": "SUCCESS", "message": message, "queryId": query_id},
        "commandSequenceNumber": sequence,
        "warnings": [],
    })
}

/// Any result as Runnel's rows entity.
pub fn rows_entity(sql: &str, rows: &QueryRows) -> Value {
    json!({
        "@type": ROWS_ENTITY,
        "statementText": sql,
        "columnNames": rows.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        "rows": rows.rows,
    })
}

/// The text cell under `header` in `row`.
fn cell<'a>(rows: &QueryRows, row: &'a [Value], header: &str) -> &'a str {
    rows.columns
        .iter()
        .position(|c| c.name == header)
        .and_then(|i| row.get(i))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn sources(rows: &QueryRows, type_name: &str) -> Vec<Value> {
    let name_header = if type_name == "STREAM" {
        "Stream Name"
    } else {
        "Table Name"
    };
    rows.rows
        .iter()
        .map(|row| {
            json!({
                "type": type_name,
                "name": cell(rows, row, name_header),
                "topic": cell(rows, row, "Kafka Topic"),
                "keyFormat": cell(rows, row, "Key Format"),
                "valueFormat": cell(rows, row, "Value Format"),
                "isWindowed": cell(rows, row, "Windowed") == "true",
            })
        })
        .collect()
}

fn queries(rows: &QueryRows) -> Vec<Value> {
    rows.rows
        .iter()
        .map(|row| {
            let state = cell(rows, row, "Status");
            json!({
                "queryString": cell(rows, row, "Query String"),
                "sinks": [cell(rows, row, "Sink Name")],
                "sinkKafkaTopics": [cell(rows, row, "Sink Kafka Topic")],
                "id": cell(rows, row, "Query ID"),
                "statusCount": {state: 1},
                "queryType": cell(rows, row, "Query Type"),
                "state": state,
            })
        })
        .collect()
}

fn topics(rows: &QueryRows) -> Vec<Value> {
    rows.rows
        .iter()
        .map(|row| {
            let partitions: usize = cell(rows, row, "Partitions").parse().unwrap_or(0);
            json!({"name": cell(rows, row, "Kafka Topic"), "replicaInfo": vec![1; partitions]})
        })
        .collect()
}

fn properties(rows: &QueryRows) -> Vec<Value> {
    rows.rows
        .iter()
        .map(|row| {
            json!({
                "name": cell(rows, row, "Property"),
                "scope": "KSQL",
                "value": cell(rows, row, "Value"),
            })
        })
        .collect()
}

fn functions(rows: &QueryRows) -> Vec<Value> {
    rows.rows
        .iter()
        .map(|row| {
            json!({
                "name": cell(rows, row, "Function Name"),
                "category": cell(rows, row, "Category"),
                "type": "SCALAR",
            })
        })
        .collect()
}

/// ksqlDB's `sourceDescription` of a stream or table.
fn source_description(engine: &Engine, source: &Source) -> Value {
    let fields: Vec<Value> = source
        .schema
        .columns
        .iter()
        .map(|c| {
            let mut field = Map::new();
            field.insert("name".into(), json!(c.name));
            field.insert("schema".into(), json!({"type": ksql_type_name(&c.ty)}));
            if c.namespace == Namespace::Key {
                let key = if source.is_table() {
                    "PRIMARY_KEY"
                } else {
                    "KEY"
                };
                field.insert("type".into(), json!(key));
            }
            Value::Object(field)
        })
        .collect();
    let queries_of = |writes: bool| -> Vec<Value> {
        engine
            .queries()
            .filter(|q| {
                if writes {
                    q.info.sink == source.name
                } else {
                    q.info.sources.contains(&source.name)
                }
            })
            .map(|q| json!({"id": q.info.id, "queryString": q.info.sql, "sinks": [q.info.sink]}))
            .collect()
    };
    let partitions = engine
        .log()
        .topic(&source.topic)
        .map_or(0, |t| t.partition_count());
    json!({
        "name": source.name,
        "type": match source.kind { SourceKind::Stream => "STREAM", SourceKind::Table => "TABLE" },
        "fields": fields,
        "topic": source.topic,
        "keyFormat": source.key_format.kind.name(),
        "valueFormat": source.value_format.kind.name(),
        "windowType": source.window.map(|w| w.kind.name()),
        "timestamp": source.timestamp.as_ref().map(|t| t.column.as_str()),
        "partitions": partitions,
        "replication": 1,
        "statement": source.sql,
        "readQueries": queries_of(false),
        "writeQueries": queries_of(true),
    })
}
