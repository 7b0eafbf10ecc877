//! The engine: statements in, outcomes out; the registry of running queries.
//!
//! The engine owns the log, the catalog and the running persistent queries. Processing
//! is driven from outside ([`Engine::run_until_idle`]) so that the test runner can step
//! it deterministically and a server can drive it from tokio.

pub mod commands;
mod control;
mod ddl;
mod describe;
pub mod error;
pub mod explain;
mod explain_dot;
mod insert;
mod pipeline;
mod print;
mod pull;
mod pull_rules;
mod push;
mod query;
pub mod rows;
pub mod shared_source;
mod show;
mod snapshot_sql;
pub mod terminate;

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::execution::SessionState;
use datafusion::prelude::SessionContext;
use serde::Serialize;

pub use commands::{COMMAND_TOPIC, ReplayFailure};
pub use control::QueryAction;
pub use error::{EngineError, Result};
pub use pull::PULL_TABLE_SCAN_ENABLED;
pub use push::PushQuery;
pub use rows::{QueryRows, ResultColumn};
pub use shared_source::{SharedFeedStats, SharedSources};

use crate::catalog::{Catalog, Column, LogicalSchema, Namespace, QueryInfo, Source};
use crate::exec::processing_log::PROCESSING_LOG;
use crate::exec::{
    AggregateTask, JoinTask, ProcessingError, RepartitionTask, SelectTask, TaskMetrics,
};
use crate::format::{FormatKind, FormatSpec};
use crate::functions::registry::FunctionRegistry;
use crate::log::{Log, Record, TopicConfig};
use crate::plan::FunctionResolver;
use crate::sql::SqlType;
use crate::sql::ast::SourceKind;
use crate::sql::ast::{Statement, StatementKind};

/// The stream users query to see the records queries could not process.
fn processing_log_source() -> Source {
    let column = |name: &str, ty: SqlType| Column {
        name: name.to_string(),
        ty,
        namespace: Namespace::Value,
    };
    Source {
        name: PROCESSING_LOG.to_string(),
        kind: SourceKind::Stream,
        topic: PROCESSING_LOG.to_string(),
        schema: LogicalSchema::new(vec![
            column("QUERY_ID", SqlType::String),
            column("TOPIC", SqlType::String),
            column("PARTITION", SqlType::Int),
            column("OFFSET", SqlType::BigInt),
            column("MESSAGE", SqlType::String),
        ]),
        key_format: FormatSpec::new(FormatKind::Kafka),
        value_format: FormatSpec::new(FormatKind::Json),
        timestamp: None,
        window: None,
        read_only: true,
        sql: String::new(),
    }
}

/// Whether `text` is one SELECT without EMIT: a candidate for full SQL over a snapshot.
fn is_plain_select(text: &str) -> bool {
    let upper = text.trim_start().to_ascii_uppercase();
    let body = upper.trim().trim_end_matches(';');
    upper.starts_with("SELECT") && !upper.contains(" EMIT ") && !body.contains(';')
}

/// What a statement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    SourceCreated {
        name: String,
    },
    SourceDropped {
        name: String,
    },
    TypeCreated {
        name: String,
    },
    TypeDropped {
        name: String,
    },
    QueryStarted {
        id: String,
        sink: String,
    },
    RowInserted {
        target: String,
    },
    PropertySet {
        name: String,
    },
    /// TERMINATE stopped these queries.
    QueryTerminated {
        ids: Vec<String>,
    },
    /// PRINT's lines.
    Printed {
        lines: Vec<String>,
    },
    /// A pull query's answer, or a listing (SHOW, DESCRIBE, EXPLAIN).
    Rows(QueryRows),
    /// A statement that did something worth a sentence (TERMINATE, PAUSE, ...).
    Message(String),
}

/// A persistent query and its tasks (one per source partition).
pub struct RunningQuery {
    pub info: QueryInfo,
    tasks: Vec<QueryTask>,
}

/// A task of a persistent query: stateless, or maintaining GROUP BY state.
pub enum QueryTask {
    Select(SelectTask),
    Aggregate(AggregateTask),
    Join(JoinTask),
    /// Routes a source partition to an internal repartition topic by a new key.
    Repartition(RepartitionTask),
}

impl QueryTask {
    fn poll_once(&mut self, log: &Log, max_records: usize) -> crate::exec::Result<usize> {
        match self {
            QueryTask::Select(task) => task.poll_once(log, max_records),
            QueryTask::Aggregate(task) => task.poll_once(log, max_records),
            QueryTask::Join(task) => task.poll_once(log, max_records),
            QueryTask::Repartition(task) => task.poll_once(log, max_records),
        }
    }

    fn errors(&mut self) -> &mut Vec<ProcessingError> {
        match self {
            QueryTask::Select(task) => &mut task.errors,
            QueryTask::Aggregate(task) => &mut task.errors,
            QueryTask::Join(task) => &mut task.errors,
            QueryTask::Repartition(task) => &mut task.errors,
        }
    }

    /// What the task has done so far.
    pub fn metrics(&self) -> TaskMetrics {
        match self {
            QueryTask::Select(task) => task.metrics,
            QueryTask::Aggregate(task) => task.metrics,
            QueryTask::Join(task) => task.metrics,
            QueryTask::Repartition(task) => task.metrics,
        }
    }
}

/// The session properties Runnel reads; others are kept and shown.
pub const AUTO_OFFSET_RESET: &str = "auto.offset.reset";
pub const OUTPUT_TOPIC_PREFIX: &str = "ksql.output.topic.name.prefix";

/// The stack of every thread that plans or runs queries: planning and evaluation recurse
/// through expression trees, which may be as deep as a statement's operator budget
/// (`sql::parser::MAX_OPERATORS`) allows, beyond a default 2 MiB thread stack.
pub const QUERY_THREAD_STACK: usize = 32 << 20;

/// ksqlDB's clients pass Kafka Streams settings as `ksql.streams.<name>` as often as
/// plain `<name>` (`ksql.streams.auto.offset.reset`): both spell one property.
fn canonical_property(name: &str) -> &str {
    name.strip_prefix("ksql.streams.").unwrap_or(name)
}

pub struct Engine {
    log: Arc<Log>,
    catalog: Catalog,
    session: SessionState,
    /// Scalar, aggregate and table functions by name.
    registry: FunctionRegistry,
    queries: BTreeMap<String, RunningQuery>,
    next_query_number: u64,
    properties: BTreeMap<String, String>,
    /// Tables' materializations for pull queries, by topic.
    materialized: std::collections::HashMap<String, crate::state::MaterializedTable>,
    /// Ids of the queries PAUSE stopped; RESUME lets them run again.
    paused: std::collections::BTreeSet<String>,
    /// Set while a recorded command is replayed.
    replay: Option<commands::ReplayState>,
    replay_failures: Vec<ReplayFailure>,
    /// The source reads push queries share.
    shared_sources: Arc<SharedSources>,
}

impl Engine {
    /// An engine over `log` with ksqlDB's built-in functions; see [`Engine::with_functions`].
    pub fn new(log: Arc<Log>) -> Result<Self> {
        Self::with_functions(log, FunctionRegistry::global().clone())
    }

    /// The engine of a data directory: its log in `DATA_DIR/log`, opened with `options`,
    /// the catalog and queries replayed from the command topic.
    pub fn open(data_dir: &std::path::Path, options: crate::log::LogOptions) -> Result<Self> {
        let log = Log::open(data_dir.join(crate::log::LOG_SUBDIR), options)?;
        Self::new(log)
    }

    /// An engine with its own function registry (the test runner adds test functions).
    /// The catalog and the persistent queries recorded in the log's command topic are
    /// rebuilt and restarted (see [`commands`]); commands that fail to replay are in
    /// [`Engine::replay_failures`].
    pub fn with_functions(log: Arc<Log>, functions: FunctionRegistry) -> Result<Self> {
        if log.topic(PROCESSING_LOG).is_none() {
            log.create_topic(PROCESSING_LOG, TopicConfig::default())?;
        }
        let mut catalog = Catalog::default();
        catalog.add_source(processing_log_source(), true)?;
        Ok(Engine {
            log,
            catalog,
            session: SessionContext::new().state(),
            registry: functions,
            queries: BTreeMap::new(),
            next_query_number: 0,
            properties: BTreeMap::new(),
            materialized: std::collections::HashMap::new(),
            paused: std::collections::BTreeSet::new(),
            replay: None,
            replay_failures: Vec::new(),
            shared_sources: Arc::default(),
        })
        .and_then(|mut engine| {
            engine.replay_commands()?;
            Ok(engine)
        })
    }

    pub fn log(&self) -> &Arc<Log> {
        &self.log
    }

    /// The source reads shared by the push queries this engine started.
    pub fn shared_sources(&self) -> &Arc<SharedSources> {
        &self.shared_sources
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn set_property(&mut self, name: &str, value: &str) {
        self.properties
            .insert(canonical_property(name).to_string(), value.to_string());
    }

    pub fn unset_property(&mut self, name: &str) {
        self.properties.remove(canonical_property(name));
    }

    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .get(canonical_property(name))
            .map(String::as_str)
    }

    /// Parses and runs every statement of `text` in order, stopping at the first error.
    pub fn execute(&mut self, text: &str) -> Result<Vec<Outcome>> {
        let statements = match crate::sql::parse_statements(text) {
            Ok(statements) => statements,
            // Beyond ksqlDB's grammar (ORDER BY, OFFSET, ...): a SELECT without EMIT
            // is tried as full SQL over a snapshot; if that fails too, both reasons
            // are given, the parse error (with its caret) first.
            // A statement refused for its size is not retried: DataFusion's planner would
            // recurse through it just as deeply.
            Err(parse_error @ crate::sql::ParseError::Syntax { .. }) if is_plain_select(text) => {
                return self
                    .snapshot_query(text.trim().trim_end_matches(';'))
                    .map(|rows| vec![Outcome::Rows(rows)])
                    .map_err(|snapshot_error| {
                        EngineError::Statement(format!(
                            "{parse_error}\nAs full SQL over a snapshot it fails too: {snapshot_error}"
                        ))
                    });
            }
            Err(parse_error) => return Err(parse_error.into()),
        };
        let mut outcomes = Vec::with_capacity(statements.len());
        for statement in &statements {
            outcomes.push(self.execute_statement(statement, statement.span.text(text))?);
        }
        Ok(outcomes)
    }

    /// Runs one parsed statement; `sql` is its text, kept in the catalog. A statement
    /// that changes the catalog or the running queries is recorded in the command topic.
    pub fn execute_statement(&mut self, statement: &Statement, sql: &str) -> Result<Outcome> {
        let outcome = self.run_statement(statement, sql)?;
        self.record_command(statement, sql, &outcome)?;
        Ok(outcome)
    }

    fn run_statement(&mut self, statement: &Statement, sql: &str) -> Result<Outcome> {
        match &statement.kind {
            StatementKind::CreateSource(create) => self.create_source(create, sql),
            StatementKind::CreateAsSelect(create) => self.create_as_select(create, sql),
            StatementKind::InsertInto(insert) => self.insert_into(insert, sql),
            StatementKind::InsertValues(insert) => self.insert_values(insert),
            StatementKind::DropSource(drop) => self.drop_source(drop),
            StatementKind::CreateType(create) => {
                let name = create.name.as_str().to_string();
                self.catalog
                    .types
                    .register(&name, &create.ty, create.if_not_exists)?;
                Ok(Outcome::TypeCreated { name })
            }
            StatementKind::DropType { if_exists, name } => {
                self.catalog.types.drop_type(name.as_str(), *if_exists)?;
                Ok(Outcome::TypeDropped {
                    name: name.as_str().to_string(),
                })
            }
            StatementKind::SetProperty { name, value } => {
                self.set_property(name, value);
                Ok(Outcome::PropertySet { name: name.clone() })
            }
            StatementKind::Print {
                topic,
                from_beginning,
                interval,
                limit,
            } => {
                let lines = self.print_topic(topic, *from_beginning, *interval, *limit)?;
                Ok(Outcome::Printed { lines })
            }
            StatementKind::Terminate(target) => self.terminate(target),
            StatementKind::UnsetProperty { name } => {
                self.unset_property(name);
                Ok(Outcome::PropertySet { name: name.clone() })
            }
            StatementKind::Show(target) => self.show(target),
            StatementKind::Describe(target) => self.describe(target),
            StatementKind::Explain(target) => self.explain(target),
            StatementKind::ExplainGraph(target) => self.explain_graph(target),
            StatementKind::Pause(target) => self.control_query(target, QueryAction::Pause),
            StatementKind::Resume(target) => self.control_query(target, QueryAction::Resume),
            StatementKind::Query(query) if query.emit.is_none() => {
                Ok(Outcome::Rows(self.pull_query(query)?))
            }
            StatementKind::Query(_) => Err(EngineError::Unsupported(
                "A push query (EMIT CHANGES) streams rows until stopped: run it in the REPL, or start it with Engine::push_query".into(),
            )),
            _ => Err(EngineError::Unsupported(format!(
                "Runnel does not run this statement yet: {sql}"
            ))),
        }
    }

    /// The running queries by id.
    pub fn queries(&self) -> impl Iterator<Item = &RunningQuery> {
        self.queries.values()
    }

    /// What each running query has done so far, by query id.
    pub fn query_metrics(&self) -> Vec<(String, TaskMetrics)> {
        self.queries
            .values()
            .map(|q| {
                let mut total = TaskMetrics::default();
                for task in &q.tasks {
                    total.records_in += task.metrics().records_in;
                    total.records_out += task.metrics().records_out;
                    total.errors += task.metrics().errors;
                    total.suppressed_rows += task.metrics().suppressed_rows;
                }
                (q.info.id.clone(), total)
            })
            .collect()
    }

    /// Polls every task until none has anything left to read; returns the records read.
    pub fn run_until_idle(&mut self) -> Result<u64> {
        let mut total = 0;
        loop {
            let mut progress = 0;
            let mut emitted = false;
            for query in self.queries.values_mut() {
                if self.paused.contains(&query.info.id) {
                    continue;
                }
                for task in &mut query.tasks {
                    let written_before = task.metrics().records_out;
                    progress += task.poll_once(&self.log, 1024)? as u64;
                    // A task that read nothing may still have flushed its record cache:
                    // the queries reading its output must get another round.
                    emitted |= task.metrics().records_out != written_before;
                }
            }
            self.flush_processing_errors()?;
            if progress == 0 && !emitted {
                return Ok(total);
            }
            total += progress;
        }
    }

    /// Writes the errors the tasks collected to the processing log topic.
    fn flush_processing_errors(&mut self) -> Result<()> {
        #[derive(Serialize)]
        struct Entry<'a> {
            #[serde(rename = "QUERY_ID")]
            query_id: &'a str,
            #[serde(flatten)]
            error: &'a ProcessingError,
        }
        let mut records = Vec::new();
        for query in self.queries.values_mut() {
            for task in &mut query.tasks {
                for error in task.errors().drain(..) {
                    let entry = Entry {
                        query_id: &query.info.id,
                        error: &error,
                    };
                    let value = serde_json::to_vec(&entry).map_err(|e| {
                        EngineError::Statement(format!("processing log entry: {e}"))
                    })?;
                    records.push(Record::new(None::<Vec<u8>>, Some(value)));
                }
            }
        }
        if !records.is_empty() {
            self.log.partition(PROCESSING_LOG, 0)?.append(&records)?;
        }
        Ok(())
    }

    /// The names of the functions queries can call.
    pub fn function_names(&self) -> Vec<String> {
        self.registry
            .list()
            .iter()
            .map(|f| f.name.to_string())
            .collect()
    }

    fn functions(&self) -> &dyn FunctionResolver {
        &self.registry
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::LogOptions;

    #[test]
    fn ksql_streams_prefixed_properties_are_the_plain_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut engine = Engine::open(dir.path(), LogOptions::default()).expect("engine");
        engine
            .execute("SET 'ksql.streams.auto.offset.reset' = 'earliest';")
            .expect("set");
        assert_eq!(engine.property(AUTO_OFFSET_RESET), Some("earliest"));
        engine.set_property(AUTO_OFFSET_RESET, "latest");
        assert_eq!(
            engine.property("ksql.streams.auto.offset.reset"),
            Some("latest")
        );
        engine.unset_property("ksql.streams.auto.offset.reset");
        assert_eq!(engine.property(AUTO_OFFSET_RESET), None);
        // Other properties keep their names.
        engine.set_property(OUTPUT_TOPIC_PREFIX, "x_");
        assert_eq!(engine.property(OUTPUT_TOPIC_PREFIX), Some("x_"));
    }
}
