//! The routes of ksqlDB's REST API, the JSON 404 for any other path, and basic
//! authentication in front of all of them.

use axum::Router;
use axum::http::{Method, StatusCode, Uri};
use axum::routing::{get, post};

use super::error::{ApiError, NOT_FOUND};
use super::state::AppState;
use super::{auth, info, inserts, ksql, query};

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/ksql", post(ksql::ksql))
        .route("/query", post(query::query))
        .route("/query-stream", post(query::query_stream))
        .route("/close-query", post(query::close_query))
        .route("/inserts-stream", post(inserts::inserts_stream))
        .route("/info", get(info::info))
        .route("/healthcheck", get(info::healthcheck))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_credentials,
        ))
        .with_state(state)
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::generic(
        StatusCode::NOT_FOUND,
        NOT_FOUND,
        format!("No endpoint {method} {}", uri.path()),
    )
}
