//! `POST /ksql`: runs statements (DDL, persistent queries, SHOW, DESCRIBE, ...) and
//! answers ksqlDB's array of entities, or `statement_error` with HTTP 400.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::State;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use super::entities::entity;
use super::error::ApiError;
use super::state::AppState;
use crate::engine::Engine;
use crate::sql::ast::StatementKind;

#[derive(Debug, Deserialize)]
pub struct KsqlRequest {
    pub ksql: String,
    #[serde(default, rename = "streamsProperties")]
    pub streams_properties: BTreeMap<String, Value>,
}

/// Numbers the commands the server ran, as ksqlDB's `commandSequenceNumber`.
static COMMAND_SEQUENCE: AtomicU64 = AtomicU64::new(0);

pub async fn ksql(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Vec<Value>>, ApiError> {
    let request: KsqlRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::malformed_body("/ksql", &e))?;
    let request = Arc::new(request);
    let entities = state
        .with_engine(move |engine| {
            with_properties(engine, &request.streams_properties, |engine| {
                run_statements(engine, &request.ksql)
            })
        })
        .await??;
    Ok(Json(entities))
}

/// Runs `work` with the request's properties set, then puts the engine's back.
pub fn with_properties<T>(
    engine: &mut Engine,
    properties: &BTreeMap<String, Value>,
    work: impl FnOnce(&mut Engine) -> T,
) -> T {
    let saved: Vec<(String, Option<String>)> = properties
        .keys()
        .map(|name| (name.clone(), engine.property(name).map(str::to_string)))
        .collect();
    for (name, value) in properties {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        engine.set_property(name, &text);
    }
    let result = work(engine);
    for (name, value) in saved {
        match value {
            Some(value) => engine.set_property(&name, &value),
            None => engine.unset_property(&name),
        }
    }
    result
}

fn run_statements(engine: &mut Engine, text: &str) -> Result<Vec<Value>, ApiError> {
    let statements = crate::sql::parse_statements(text)
        .map_err(|e| ApiError::statement(text.trim(), e.to_string(), Vec::new()))?;
    let mut entities = Vec::with_capacity(statements.len());
    for statement in &statements {
        let sql = statement.span.text(text);
        if matches!(statement.kind, StatementKind::Query(_)) {
            return Err(ApiError::statement(
                sql,
                "The following statement types should be issued to the '/query-stream' or '/query' endpoint: SELECT",
                entities,
            ));
        }
        if matches!(statement.kind, StatementKind::RunScript { .. }) {
            return Err(ApiError::statement(
                sql,
                "RUN SCRIPT reads a file of the client: send the script's statements instead",
                entities,
            ));
        }
        match engine.execute_statement(statement, sql) {
            Ok(outcome) => {
                let sequence = COMMAND_SEQUENCE.fetch_add(1, Ordering::Relaxed);
                entities.push(entity(engine, &statement.kind, sql, &outcome, sequence));
            }
            Err(err) => return Err(ApiError::statement(sql, err.to_string(), entities)),
        }
    }
    Ok(entities)
}
