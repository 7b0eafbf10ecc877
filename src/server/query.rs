//! `POST /query-stream`, `POST /query` and `POST /close-query`: pull queries answer
//! at once, push queries stream until their LIMIT, close-query, or the client leaves.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use super::error::ApiError;
use super::framing::Framing;
use super::ksql::with_properties;
use super::state::AppState;
use crate::engine::{Engine, Outcome, PushQuery, QueryRows};
use crate::sql::ast::StatementKind;

#[derive(Debug, Deserialize)]
struct QueryStreamRequest {
    sql: String,
    #[serde(default)]
    properties: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
struct QueryRequest {
    ksql: String,
    #[serde(default, rename = "streamsProperties")]
    streams_properties: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
struct CloseQueryRequest {
    #[serde(rename = "queryId")]
    query_id: String,
}

/// A query the engine accepted.
enum Started {
    Pull(QueryRows),
    Push(PushQuery),
}

pub async fn query_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: QueryStreamRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::malformed_body("/query-stream", &e))?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    run(
        state,
        request.sql,
        request.properties,
        Framing::for_accept(accept),
    )
    .await
}

pub async fn query(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let request: QueryRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::malformed_body("/query", &e))?;
    run(
        state,
        request.ksql,
        request.streams_properties,
        Framing::QueryArray,
    )
    .await
}

pub async fn close_query(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let request: CloseQueryRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::malformed_body("/close-query", &e))?;
    if !state.push_queries.close(&request.query_id) {
        return Err(ApiError::bad_request(format!(
            "No query with id {} is running",
            request.query_id
        )));
    }
    Ok(json_response(StatusCode::OK, "{}\n".to_string()))
}

async fn run(
    state: AppState,
    sql: String,
    properties: BTreeMap<String, Value>,
    framing: Framing,
) -> Result<Response, ApiError> {
    let text = sql.clone();
    let started = state
        .with_engine(move |engine| {
            let log = Arc::clone(engine.log());
            with_properties(engine, &properties, |engine| start(engine, &text))
                .map(|started| (started, log))
        })
        .await?
        .map_err(|message| ApiError::statement(sql.trim(), message, Vec::new()))?;
    let (started, log) = started;
    match started {
        Started::Pull(rows) => {
            let id = state.push_queries.new_id("query");
            let body = framing.whole(&id, &rows.columns, &rows.rows);
            Ok(streaming_response(framing, Body::from(body)))
        }
        Started::Push(push) => {
            let id = state.push_queries.new_id("transient");
            let mut receiver = state
                .push_queries
                .start(id, push, framing, log)
                .map_err(|e| ApiError::internal(format!("cannot start the push query: {e}")))?;
            let rows = futures::stream::poll_fn(move |cx| {
                receiver
                    .poll_recv(cx)
                    .map(|piece| piece.map(Ok::<_, Infallible>))
            });
            Ok(streaming_response(framing, Body::from_stream(rows)))
        }
    }
}

/// Starts `text` (one query) on the engine: a push query when it says EMIT, else the
/// rows of a pull query (including full SQL over a snapshot, which the engine tries
/// for a SELECT beyond ksqlDB's grammar).
fn start(engine: &mut Engine, text: &str) -> Result<Started, String> {
    if let Ok(statements) = crate::sql::parse_statements(text) {
        match statements.as_slice() {
            [statement] => match &statement.kind {
                StatementKind::Query(query) if query.emit.is_some() => {
                    return engine
                        .start_push_query(query)
                        .map(Started::Push)
                        .map_err(|e| e.to_string());
                }
                StatementKind::Query(_) => {}
                _ => return Err(not_a_query()),
            },
            _ => return Err("Send exactly one query per request".to_string()),
        }
    }
    let outcomes = engine.execute(text).map_err(|e| e.to_string())?;
    match outcomes.into_iter().next() {
        Some(Outcome::Rows(rows)) => Ok(Started::Pull(rows)),
        _ => Err(not_a_query()),
    }
}

fn not_a_query() -> String {
    "This endpoint runs one SELECT; send other statements to /ksql".to_string()
}

fn streaming_response(framing: Framing, body: Body) -> Response {
    let mut response = Response::new(body);
    if let Ok(value) = framing.content_type().parse() {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}
