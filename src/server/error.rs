//! The server's errors: why it could not start (ServerError) and what a request gets
//! back when it fails (ApiError, in ksqlDB's JSON error shapes).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::engine::EngineError;

/// ksqlDB's error codes: the HTTP status followed by two digits.
pub const BAD_REQUEST: u32 = 40000;
pub const BAD_STATEMENT: u32 = 40001;
pub const UNAUTHORIZED: u32 = 40100;
pub const NOT_FOUND: u32 = 40400;
pub const SERVER_ERROR: u32 = 50000;

/// Why the server (or the client of one) failed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot open the engine in {dir}: {source}")]
    Engine { dir: String, source: EngineError },
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("bad credentials ({0}): expected user:password")]
    Credentials(String),
    #[error("cannot read the credentials file {path}: {source}")]
    CredentialsFile {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Client(String),
}

/// A failed request: an HTTP status and ksqlDB's error entity.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: serde_json::Value,
}

impl ApiError {
    /// `generic_error` with `status`.
    pub fn generic(status: StatusCode, error_code: u32, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({
                "@type": "generic_error",
                "error_code": error_code,
                "message": message.into(),
            }),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::generic(StatusCode::BAD_REQUEST, BAD_REQUEST, message)
    }

    /// A statement that failed: ksqlDB's `statement_error`, with the entities of the
    /// statements before it that succeeded.
    pub fn statement(
        statement_text: &str,
        message: impl Into<String>,
        entities: Vec<serde_json::Value>,
    ) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: json!({
                "@type": "statement_error",
                "error_code": BAD_STATEMENT,
                "message": message.into(),
                "statementText": statement_text,
                "entities": entities,
            }),
        }
    }

    /// A JSON body that does not parse or lacks a field; says what and where.
    pub fn malformed_body(endpoint: &str, error: &serde_json::Error) -> Self {
        Self::bad_request(format!(
            "Malformed JSON body for {endpoint} at line {} column {}: {error}",
            error.line(),
            error.column()
        ))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::generic(StatusCode::INTERNAL_SERVER_ERROR, SERVER_ERROR, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
