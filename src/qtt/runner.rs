//! Runs one QTT/RQTT case against a fresh engine on a temporary log.

use std::collections::BTreeMap;

use serde_json::Value;

use super::compare::{ExpectedRecord, ObservedRecord, diff_records};
use super::model::{RecordSpec, TestCase, WindowSpec};
use crate::catalog::{Source, WindowType};
use crate::engine::{AUTO_OFFSET_RESET, Engine, EngineError};
use crate::exec::source::{split_windowed_key, windowed_key};
use crate::format::{self, SerdePart, bytes_to_test_value, test_value_to_bytes};
use crate::functions::registry::FunctionRegistry;
use crate::log::{Log, LogOptions, ReadLimits, Record, TopicConfig, partition_for_key};
use crate::sql::ast::StatementKind;

/// How a case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Passed,
    /// A case that expected a statement to fail, and it did; `message_matches` says
    /// whether the error contains ksqlDB's expected message.
    PassedExpectedError {
        message_matches: bool,
    },
    Failed(String),
    /// The case needs a format Runnel declares out of scope.
    Skipped(String),
}

/// Runs `case` (already expanded) in a fresh engine over a log in a temporary folder.
pub fn run_case(case: &TestCase) -> Verdict {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => return Verdict::Failed(format!("cannot create a temporary folder: {e}")),
    };
    match run_in(case, dir.path()) {
        Ok(verdict) => verdict,
        Err(message) => Verdict::Failed(message),
    }
}

fn expected_message(case: &TestCase) -> Option<&str> {
    case.expected_failure().and_then(|e| e.message.as_deref())
}

fn on_error(case: &TestCase, statement: &str, err: &EngineError) -> Verdict {
    if err.is_unsupported_format() {
        return Verdict::Skipped(err.to_string());
    }
    match case.expected_failure() {
        Some(_) => Verdict::PassedExpectedError {
            message_matches: expected_message(case).is_none_or(|m| err.to_string().contains(m)),
        },
        None => Verdict::Failed(format!("statement failed: {statement}\n  error: {err}")),
    }
}

fn run_in(case: &TestCase, dir: &std::path::Path) -> Result<Verdict, String> {
    let log = Log::open(dir, LogOptions::ephemeral()).map_err(|e| e.to_string())?;
    create_topics(case, &log)?;
    let functions = FunctionRegistry::builtin().with_test_functions();
    let open_engine = || -> Result<Engine, String> {
        let mut engine = Engine::with_functions(std::sync::Arc::clone(&log), functions.clone())
            .map_err(|e| e.to_string())?;
        if let Some(failure) = engine.replay_failures().first() {
            return Err(failure.to_string());
        }
        engine.set_property(AUTO_OFFSET_RESET, "earliest");
        // As ksqlDB's harness: no record cache, every change is an output record.
        engine.set_property(crate::exec::record_cache::CACHE_MAX_BYTES, "0");
        for (name, value) in &case.properties {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            engine.set_property(name, &value);
        }
        Ok(engine)
    };
    let mut engine = open_engine()?;
    // As ksqlDB's RQTT does: statements up to the first query, then the inputs, then
    // the queries, whose answers must see every input.
    let first_query = case.statements.iter().position(|s| is_query(s));
    let mut outcomes: Vec<Option<crate::engine::Outcome>> = Vec::new();
    let mut produced = false;
    for (index, statement) in case.statements.iter().enumerate() {
        if Some(index) == first_query {
            produced = true;
            if let Some(verdict) = produce_inputs(case, &mut engine, &log, &open_engine)? {
                return Ok(verdict);
            }
        }
        match engine.execute(statement) {
            Ok(mut statement_outcomes) => outcomes.push(statement_outcomes.pop()),
            Err(err) => return Ok(on_error(case, statement, &err)),
        }
    }
    if !produced {
        if let Some(verdict) = produce_inputs(case, &mut engine, &log, &open_engine)? {
            return Ok(verdict);
        }
    }
    if case.expected_failure().is_some() {
        return Ok(Verdict::Failed(format!(
            "expected an error ({}), but every statement succeeded",
            expected_message(case).unwrap_or("any")
        )));
    }
    if let Some(responses) = &case.responses {
        if let Some(diff) = super::responses::diff_responses(responses, &outcomes) {
            return Ok(Verdict::Failed(format!("responses differ: {diff}")));
        }
    }
    let Some(outputs) = &case.outputs else {
        return Ok(Verdict::Passed);
    };
    let expected: Vec<ExpectedRecord> = outputs
        .iter()
        .map(|o| ExpectedRecord {
            topic: o.topic.clone(),
            key: o.key.clone().unwrap_or(Value::Null),
            value: o.value.clone(),
            timestamp: o.timestamp,
            window: o.window.clone(),
        })
        .collect();
    let mut topics: Vec<&str> = expected.iter().map(|e| e.topic.as_str()).collect();
    topics.dedup();
    let mut observed = Vec::new();
    for topic in topics {
        observed.extend(read_topic(&engine, &log, topic)?);
    }
    Ok(match diff_records(&expected, &observed) {
        None => Verdict::Passed,
        Some(diff) => Verdict::Failed(format!("output differs:\n{diff}")),
    })
}

/// Whether `text` is a query (pull or push) rather than a statement that changes things.
fn is_query(text: &str) -> bool {
    crate::sql::parse_statements(text).is_ok_and(|statements| {
        statements
            .iter()
            .any(|s| matches!(s.kind, StatementKind::Query(_)))
    })
}

/// Produces the case's input records, letting the engine process each; a verdict when
/// the case ends there (an unsupported format, a processing failure).
fn produce_inputs(
    case: &TestCase,
    engine: &mut Engine,
    log: &Log,
    open_engine: &dyn Fn() -> Result<Engine, String>,
) -> Result<Option<Verdict>, String> {
    for input in &case.inputs {
        if input.restart {
            // The old engine stops here; the new one replays the command topic and
            // restores its queries from their changelogs.
            *engine = open_engine()?;
            continue;
        }
        if let Err(message) = produce(engine, log, input) {
            if message.contains("is not supported by Runnel") {
                return Ok(Some(Verdict::Skipped(message)));
            }
            return Err(message);
        }
        if let Err(err) = engine.run_until_idle() {
            return Ok(Some(on_error(case, "(processing input)", &err)));
        }
    }
    Ok(None)
}

/// Creates the topics a case uses before its statements run, as ksqlDB's test driver
/// does: declared topics, input topics and the topics named by CREATE statements.
fn create_topics(case: &TestCase, log: &Log) -> Result<(), String> {
    let mut wanted: BTreeMap<String, u32> = BTreeMap::new();
    for topic in &case.topics {
        wanted.insert(topic.name.clone(), topic.partitions.unwrap_or(1));
    }
    for input in case.inputs.iter().filter(|i| !i.restart) {
        wanted.entry(input.topic.clone()).or_insert(1);
    }
    for text in &case.statements {
        let Ok(statements) = crate::sql::parse_statements(text) else {
            continue;
        };
        for statement in statements {
            if let StatementKind::CreateSource(create) = &statement.kind {
                let props = crate::catalog::ddl::property_map(&create.properties);
                if props.contains_key("PARTITIONS") {
                    continue;
                }
                if let Some(topic) = props.get("KAFKA_TOPIC") {
                    wanted.entry(topic.clone()).or_insert(1);
                }
            }
        }
    }
    for (name, partitions) in wanted {
        if log.topic(&name).is_none() {
            log.create_topic(
                &name,
                TopicConfig {
                    partitions,
                    ..TopicConfig::default()
                },
            )
            .map_err(|e| format!("creating topic {name}: {e}"))?;
        }
    }
    Ok(())
}

/// The first source declared over `topic`, whose formats say how its bytes look.
fn source_for_topic<'e>(engine: &'e Engine, topic: &str) -> Option<&'e std::sync::Arc<Source>> {
    engine.catalog().sources().find(|s| s.topic == topic)
}

fn format_columns(source: &Source, part: SerdePart) -> Vec<format::Column> {
    let columns: Box<dyn Iterator<Item = &crate::catalog::Column>> = match part {
        SerdePart::Key => Box::new(source.schema.key_columns()),
        SerdePart::Value => Box::new(source.schema.value_columns()),
    };
    columns
        .map(|c| format::Column::new(&c.name, c.ty.clone()))
        .collect()
}

fn produce(engine: &Engine, log: &Log, input: &RecordSpec) -> Result<(), String> {
    let (key, value) = match source_for_topic(engine, &input.topic) {
        Some(source) => {
            let key = match &input.key {
                None | Some(Value::Null) => None,
                Some(k) => test_value_to_bytes(
                    &source.key_format,
                    SerdePart::Key,
                    &format_columns(source, SerdePart::Key),
                    k,
                )
                .map_err(|e| e.to_string())?,
            };
            let key = match (&input.window, source.window, key) {
                (Some(w), Some(info), Some(k)) => Some(windowed_key(&k, info.kind, w.start, w.end)),
                (_, _, k) => k,
            };
            let value = test_value_to_bytes(
                &source.value_format,
                SerdePart::Value,
                &format_columns(source, SerdePart::Value),
                &input.value,
            )
            .map_err(|e| e.to_string())?;
            (key, value)
        }
        None => (
            input
                .key
                .as_ref()
                .filter(|k| !k.is_null())
                .map(|k| k.to_string().into_bytes()),
            (!input.value.is_null()).then(|| input.value.to_string().into_bytes()),
        ),
    };
    let topic = log
        .existing_topic(&input.topic)
        .map_err(|e| e.to_string())?;
    let partition = key
        .as_deref()
        .map(|k| partition_for_key(k, topic.partition_count()))
        .unwrap_or(0);
    let record = Record {
        key: key.map(Into::into),
        value: value.map(Into::into),
        timestamp: Some(input.timestamp.unwrap_or(0)),
        headers: Vec::new(),
    };
    topic
        .partition(partition)
        .and_then(|p| p.append(std::slice::from_ref(&record)))
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn read_topic(engine: &Engine, log: &Log, topic: &str) -> Result<Vec<ObservedRecord>, String> {
    let Some(handle) = log.topic(topic) else {
        return Ok(Vec::new());
    };
    let source = engine
        .catalog()
        .sources()
        .filter(|s| s.topic == topic)
        .last()
        .cloned();
    let mut out = Vec::new();
    for partition in handle.partitions() {
        let mut offset = partition.log_start_offset();
        loop {
            let records = partition
                .read(offset, ReadLimits::records(10_000))
                .map_err(|e| e.to_string())?;
            let Some(last) = records.last() else { break };
            offset = last.offset + 1;
            for record in records {
                out.push(observe(topic, source.as_deref(), &record)?);
            }
        }
    }
    Ok(out)
}

fn observe(
    topic: &str,
    source: Option<&Source>,
    record: &crate::log::ConsumedRecord,
) -> Result<ObservedRecord, String> {
    let Some(source) = source else {
        let text = |b: &Option<bytes::Bytes>| {
            b.as_deref().map_or(Value::Null, |b| {
                Value::String(String::from_utf8_lossy(b).into())
            })
        };
        return Ok(ObservedRecord {
            topic: topic.to_string(),
            key: text(&record.key),
            value: text(&record.value),
            timestamp: record.timestamp,
            window: None,
        });
    };
    let (key_bytes, window) = match (source.window, record.key.as_deref()) {
        (Some(info), Some(bytes)) => match split_windowed_key(bytes, info.kind, info.size_ms) {
            Some((inner, start, end)) => (
                Some(inner),
                Some(WindowSpec {
                    start,
                    end,
                    kind: if info.kind == WindowType::Session {
                        "session"
                    } else {
                        "time"
                    }
                    .to_string(),
                }),
            ),
            None => (Some(bytes), None),
        },
        (_, key) => (key, None),
    };
    let key = bytes_to_test_value(
        &source.key_format,
        SerdePart::Key,
        &format_columns(source, SerdePart::Key),
        key_bytes,
    )
    .map_err(|e| e.to_string())?;
    let value = bytes_to_test_value(
        &source.value_format,
        SerdePart::Value,
        &format_columns(source, SerdePart::Value),
        record.value.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    Ok(ObservedRecord {
        topic: topic.to_string(),
        key,
        value,
        timestamp: record.timestamp,
        window,
    })
}
