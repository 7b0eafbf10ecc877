//! The command topic: every statement that changed the catalog or the set of running
//! queries, appended after it succeeded and replayed when an engine opens its log.
//!
//! `__runnel_commands` has one partition and is never cleaned up (retention off,
//! no compaction). Each record's value is JSON:
//!
//! ```text
//! {"version": 1, "statement": "<the SQL as written>",
//!  "properties": {<session properties it ran under>}, "query_id": "<id it started>"}
//! ```
//! Recorded: CREATE/DROP STREAM/TABLE/TYPE, CREATE ... AS SELECT, INSERT INTO ... SELECT
//! and TERMINATE. INSERT ... VALUES is data, not a command, and SET/UNSET live on in the
//! `properties` of the commands that follow them.
//!
//! Replay runs the statements again in order, under their recorded properties, forcing
//! each query's recorded id, so the queries restart with the same ids and their tasks
//! resume from their changelog checkpoints. Before replaying, a pass drops what later
//! commands undid: a CREATE and the DROP of the same source, and a query that a later
//! TERMINATE stopped (a CREATE ... AS SELECT whose query was terminated only defines its
//! sink; an INSERT INTO ... SELECT is skipped with its TERMINATE). A command that still
//! fails (its topic was deleted, say) is reported in [`Engine::replay_failures`], not fatal.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Engine, EngineError, Outcome, Result};
use crate::log::{CleanupPolicy, Log, ReadLimits, Record, Topic, TopicConfig};
use crate::sql::ast::{QueryTarget, Statement, StatementKind};

/// The topic that holds the catalog's history.
pub const COMMAND_TOPIC: &str = "__runnel_commands";

const COMMAND_VERSION: u32 = 1;

/// One recorded statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub version: u32,
    pub statement: String,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// The id of the query the statement started, if it started one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_id: Option<String>,
}

/// A recorded command that failed when replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayFailure {
    /// Its offset in the command topic.
    pub offset: u64,
    pub statement: String,
    pub error: String,
}

impl std::fmt::Display for ReplayFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command {} ({}) could not be replayed: {}",
            self.offset,
            self.statement.lines().next().unwrap_or(""),
            self.error
        )
    }
}

/// How a replayed command is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ReplayState {
    /// The id the replayed statement's query gets.
    pub query_id: Option<String>,
    /// Define the sink but start no query: it was terminated later.
    pub catalog_only: bool,
}

/// Whether a statement changes the catalog or the running queries.
pub(super) fn is_command(kind: &StatementKind) -> bool {
    matches!(
        kind,
        StatementKind::CreateSource(_)
            | StatementKind::CreateAsSelect(_)
            | StatementKind::InsertInto(_)
            | StatementKind::DropSource(_)
            | StatementKind::CreateType(_)
            | StatementKind::DropType { .. }
            | StatementKind::Terminate(_)
    )
}

/// The command topic, created on first use.
fn command_topic(log: &Log) -> Result<Arc<Topic>> {
    if let Some(topic) = log.topic(COMMAND_TOPIC) {
        return Ok(topic);
    }
    let config = TopicConfig {
        partitions: 1,
        retention_ms: -1,
        retention_bytes: -1,
        cleanup_policy: CleanupPolicy::DELETE,
        ..TopicConfig::default()
    };
    Ok(log.create_topic_unchecked(COMMAND_TOPIC, config)?)
}

/// A recorded command, parsed; `None` when the record does not decode.
struct Recorded {
    offset: u64,
    command: Command,
    statement: Option<Statement>,
}

fn read_commands(topic: &Topic) -> Result<(Vec<Recorded>, Vec<ReplayFailure>)> {
    let partition = topic.partition(0)?;
    let mut recorded = Vec::new();
    let mut failures = Vec::new();
    let mut next = partition.log_start_offset();
    loop {
        let records = partition.read(next, ReadLimits::records(1024))?;
        let Some(last) = records.last() else { break };
        next = last.offset + 1;
        for record in records {
            let parsed = record
                .value
                .as_deref()
                .ok_or_else(|| "the record has no value".to_string())
                .and_then(|v| serde_json::from_slice::<Command>(v).map_err(|e| e.to_string()));
            let command = match parsed {
                Ok(command) => command,
                Err(error) => {
                    failures.push(ReplayFailure {
                        offset: record.offset,
                        statement: String::new(),
                        error: format!("unreadable command: {error}"),
                    });
                    continue;
                }
            };
            let statement = match crate::sql::parse_statements(&command.statement) {
                Ok(mut statements) if statements.len() == 1 => statements.pop(),
                Ok(_) => None,
                Err(e) => {
                    failures.push(ReplayFailure {
                        offset: record.offset,
                        statement: command.statement.clone(),
                        error: e.to_string(),
                    });
                    continue;
                }
            };
            recorded.push(Recorded {
                offset: record.offset,
                command,
                statement,
            });
        }
    }
    Ok((recorded, failures))
}

/// The name a CREATE or DROP statement defines or removes.
fn source_named(kind: &StatementKind) -> Option<String> {
    match kind {
        StatementKind::CreateSource(create) => Some(create.name.as_str().to_string()),
        StatementKind::CreateAsSelect(create) => Some(create.name.as_str().to_string()),
        _ => None,
    }
}

/// The number at the end of a query id (`CSAS_X_4` -> 4).
fn query_number(id: &str) -> Option<u64> {
    id.rsplit('_').next().and_then(|n| n.parse().ok())
}

/// Which commands to skip and which queries to define without starting.
fn plan_replay(commands: &[Recorded]) -> (BTreeSet<usize>, BTreeSet<String>) {
    let mut skipped = BTreeSet::new();
    let mut terminated = BTreeSet::new();
    let mut started: Vec<String> = Vec::new();
    for (index, recorded) in commands.iter().enumerate() {
        let Some(statement) = &recorded.statement else {
            continue;
        };
        if let Some(id) = &recorded.command.query_id {
            started.push(id.clone());
        }
        match &statement.kind {
            StatementKind::DropSource(drop) => {
                let name = drop.name.as_str();
                let created = (0..index).rev().find(|i| {
                    !skipped.contains(i)
                        && commands[*i]
                            .statement
                            .as_ref()
                            .and_then(|s| source_named(&s.kind))
                            .is_some_and(|n| n == name)
                });
                if let Some(created) = created {
                    skipped.insert(created);
                    skipped.insert(index);
                }
            }
            StatementKind::Terminate(QueryTarget::Query(id)) => {
                let id = id.as_str();
                if let Some(found) = started.iter().find(|s| s.eq_ignore_ascii_case(id)) {
                    terminated.insert(found.clone());
                }
                skipped.insert(index);
            }
            StatementKind::Terminate(QueryTarget::All) => {
                terminated.extend(started.iter().cloned());
                skipped.insert(index);
            }
            _ => {}
        }
    }
    // A terminated INSERT INTO ... SELECT left nothing behind.
    for (index, recorded) in commands.iter().enumerate() {
        let is_insert = matches!(
            recorded.statement.as_ref().map(|s| &s.kind),
            Some(StatementKind::InsertInto(_))
        );
        if is_insert
            && recorded
                .command
                .query_id
                .as_ref()
                .is_some_and(|id| terminated.contains(id))
        {
            skipped.insert(index);
        }
    }
    (skipped, terminated)
}

impl Engine {
    /// Appends a statement that succeeded to the command topic (not while replaying).
    pub(super) fn record_command(
        &mut self,
        statement: &Statement,
        sql: &str,
        outcome: &Outcome,
    ) -> Result<()> {
        if self.replay.is_some() || !is_command(&statement.kind) {
            return Ok(());
        }
        let query_id = match outcome {
            Outcome::QueryStarted { id, .. } => Some(id.clone()),
            _ => None,
        };
        let command = Command {
            version: COMMAND_VERSION,
            statement: sql.to_string(),
            properties: self.properties.clone(),
            query_id,
        };
        let value = serde_json::to_vec(&command)
            .map_err(|e| EngineError::Statement(format!("recording the statement: {e}")))?;
        let topic = command_topic(&self.log)?;
        topic
            .partition(0)?
            .append(&[Record::new(None::<Vec<u8>>, Some(value))])
            .map_err(|e| {
                EngineError::Statement(format!(
                    "the statement ran but could not be recorded in {COMMAND_TOPIC}, so it will not survive a restart: {e}"
                ))
            })?;
        Ok(())
    }

    /// Rebuilds the catalog and restarts the queries from the command topic.
    pub(super) fn replay_commands(&mut self) -> Result<()> {
        let Some(topic) = self.log.topic(COMMAND_TOPIC) else {
            return Ok(());
        };
        let (commands, mut failures) = read_commands(&topic)?;
        let (skipped, terminated) = plan_replay(&commands);
        let session = std::mem::take(&mut self.properties);
        for (index, recorded) in commands.iter().enumerate() {
            // Ids stay unique across restarts even when their query is not replayed:
            // changelog topics and consumer groups are named after them.
            if let Some(number) = recorded.command.query_id.as_deref().and_then(query_number) {
                self.next_query_number = self.next_query_number.max(number + 1);
            }
            if skipped.contains(&index) {
                continue;
            }
            let Some(statement) = &recorded.statement else {
                failures.push(ReplayFailure {
                    offset: recorded.offset,
                    statement: recorded.command.statement.clone(),
                    error: "not exactly one statement".into(),
                });
                continue;
            };
            let query_id = recorded.command.query_id.clone();
            self.replay = Some(ReplayState {
                catalog_only: query_id.as_ref().is_some_and(|id| terminated.contains(id)),
                query_id,
            });
            self.properties = recorded.command.properties.clone();
            if let Err(error) = self.execute_statement(statement, &recorded.command.statement) {
                failures.push(ReplayFailure {
                    offset: recorded.offset,
                    statement: recorded.command.statement.clone(),
                    error: error.to_string(),
                });
            }
        }
        self.replay = None;
        self.properties = session;
        self.replay_failures = failures;
        Ok(())
    }

    /// The id for a new query: the recorded one while replaying, else the next number.
    pub(super) fn next_query_id(&mut self, prefix: &str) -> String {
        if let Some(id) = self.replay.as_mut().and_then(|r| r.query_id.take()) {
            if let Some(number) = query_number(&id) {
                self.next_query_number = self.next_query_number.max(number + 1);
            }
            return id;
        }
        let id = format!("{prefix}_{}", self.next_query_number);
        self.next_query_number += 1;
        id
    }

    /// Whether a query being started should run (not a replayed, later-terminated one).
    pub(super) fn starts_tasks(&self) -> bool {
        !self.replay.as_ref().is_some_and(|r| r.catalog_only)
    }

    /// Whether the engine is replaying its command topic.
    pub(super) fn is_replaying(&self) -> bool {
        self.replay.is_some()
    }

    /// The recorded commands that failed when this engine replayed its command topic.
    pub fn replay_failures(&self) -> &[ReplayFailure] {
        &self.replay_failures
    }
}
