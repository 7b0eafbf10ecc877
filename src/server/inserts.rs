//! `POST /inserts-stream`: a first line `{"target": NAME}`, then one JSON object per
//! row; each row is inserted as `INSERT ... VALUES` would and acknowledged on its own
//! line (`{"status":"ok","seq":N}`, or an error line with the same seq).

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::error::{ApiError, BAD_REQUEST};
use super::framing::DELIMITED;
use super::state::AppState;
use crate::catalog::Source;
use crate::sql::SqlType;
use crate::sql::ast::{Expr, Ident, Literal};

/// Acks buffered ahead of a slow client.
const ACK_DEPTH: usize = 64;
/// The longest line (one row) accepted.
const MAX_LINE: usize = 1024 * 1024;

pub async fn inserts_stream(
    State(state): State<AppState>,
    body: Body,
) -> Result<Response, ApiError> {
    let mut lines = LineReader {
        chunks: body.into_data_stream(),
        buffer: BytesMut::new(),
        ended: false,
    };
    let first = lines.next_line().await?.ok_or_else(|| {
        ApiError::bad_request(
            "Empty /inserts-stream body: expected {\"target\": NAME} on the first line",
        )
    })?;
    let header: Map<String, Value> = serde_json::from_slice(&first)
        .map_err(|e| ApiError::malformed_body("/inserts-stream (first line)", &e))?;
    let target = header
        .get("target")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::bad_request("The first line of /inserts-stream must be {\"target\": NAME}")
        })?
        .to_string();
    let name = target.clone();
    let source = state
        .with_engine(move |engine| {
            let catalog = engine.catalog();
            catalog
                .source(&name)
                .or_else(|| catalog.source(&name.to_uppercase()))
                .map(|s| (**s).clone())
        })
        .await?
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Cannot insert into {target}: no such stream or table"
            ))
        })?;
    let (sender, mut receiver) = mpsc::channel::<Bytes>(ACK_DEPTH);
    tokio::spawn(async move {
        let mut seq = 0u64;
        loop {
            let line = match lines.next_line().await {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(err) => {
                    let _ = sender.send(ack_error(seq, &err.body.to_string())).await;
                    break;
                }
            };
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let ack = match insert_sql(&source, &line) {
                Ok(sql) => match state.with_engine(move |e| e.execute(&sql)).await {
                    Ok(Ok(_)) => Bytes::from(format!("{}\n", json!({"status": "ok", "seq": seq}))),
                    Ok(Err(err)) => ack_error(seq, &err.to_string()),
                    Err(err) => ack_error(seq, &err.body.to_string()),
                },
                Err(message) => ack_error(seq, &message),
            };
            if sender.send(ack).await.is_err() {
                break;
            }
            seq += 1;
        }
    });
    let acks = futures::stream::poll_fn(move |cx| {
        receiver
            .poll_recv(cx)
            .map(|ack| ack.map(Ok::<_, Infallible>))
    });
    let mut response = Response::new(Body::from_stream(acks));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(DELIMITED),
    );
    Ok(response)
}

fn ack_error(seq: u64, message: &str) -> Bytes {
    let line =
        json!({"status": "error", "seq": seq, "error_code": BAD_REQUEST, "message": message});
    Bytes::from(format!("{line}\n"))
}

/// Splits a streamed request body into lines.
struct LineReader {
    chunks: axum::body::BodyDataStream,
    buffer: BytesMut,
    ended: bool,
}

impl LineReader {
    async fn next_line(&mut self) -> Result<Option<Bytes>, ApiError> {
        loop {
            if let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
                let line = self.buffer.split_to(end + 1);
                return Ok(Some(line.freeze().slice(..end)));
            }
            if self.ended {
                if self.buffer.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(self.buffer.split().freeze()));
            }
            if self.buffer.len() > MAX_LINE {
                return Err(ApiError::bad_request(format!(
                    "A line of /inserts-stream is longer than {MAX_LINE} bytes"
                )));
            }
            match self.chunks.next().await {
                Some(Ok(chunk)) => self.buffer.extend_from_slice(&chunk),
                Some(Err(err)) => {
                    return Err(ApiError::bad_request(format!(
                        "reading the /inserts-stream body: {err}"
                    )));
                }
                None => self.ended = true,
            }
        }
    }
}

/// The `INSERT INTO ... VALUES` statement for one JSON row of `source`.
fn insert_sql(source: &Source, line: &[u8]) -> Result<String, String> {
    let row: Map<String, Value> = serde_json::from_slice(line).map_err(|e| {
        format!(
            "Malformed JSON row at line {} column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    let mut columns = Vec::with_capacity(row.len());
    let mut values = Vec::with_capacity(row.len());
    for (name, value) in &row {
        let column = source
            .schema
            .column(name)
            .or_else(|| source.schema.column(&name.to_uppercase()));
        let (column_name, ty) = match column {
            Some(column) => (column.name.clone(), column.ty.clone()),
            None if name.eq_ignore_ascii_case("ROWTIME") => {
                ("ROWTIME".to_string(), SqlType::BigInt)
            }
            None => return Err(format!("Column {name} does not exist in {}", source.name)),
        };
        columns.push(Ident::new(column_name).to_string());
        values.push(json_to_expr(value, &ty)?.to_string());
    }
    Ok(format!(
        "INSERT INTO {} ({}) VALUES ({});",
        Ident::new(source.name.clone()),
        columns.join(", "),
        values.join(", ")
    ))
}

/// A JSON value as a SQL expression for a column of type `ty`.
fn json_to_expr(value: &Value, ty: &SqlType) -> Result<Expr, String> {
    let literal = |l: Literal| Ok(Expr::Literal(l));
    match value {
        Value::Null => literal(Literal::Null),
        Value::Bool(b) => literal(Literal::Boolean(*b)),
        Value::Number(n) => match (n.as_i64(), ty) {
            (Some(i), SqlType::Int) => match i32::try_from(i) {
                Ok(i) => literal(Literal::Int(i)),
                Err(_) => Err(format!("{i} does not fit an INT")),
            },
            (Some(i), _) => literal(Literal::BigInt(i)),
            (None, _) => match n.as_f64() {
                Some(d) => literal(Literal::Double(d)),
                None => Err(format!("{n} is not a number Runnel can insert")),
            },
        },
        Value::String(s) => literal(Literal::String(s.clone())),
        Value::Array(items) => {
            let inner = match ty {
                SqlType::Array(inner) => inner.as_ref(),
                other => return Err(format!("an array cannot go into a {other} column")),
            };
            items
                .iter()
                .map(|item| json_to_expr(item, inner))
                .collect::<Result<_, _>>()
                .map(Expr::Array)
        }
        Value::Object(object) => match ty {
            SqlType::Map(key, value_ty) => object
                .iter()
                .map(|(k, v)| {
                    Ok((
                        json_to_expr(&Value::String(k.clone()), key)?,
                        json_to_expr(v, value_ty)?,
                    ))
                })
                .collect::<Result<_, String>>()
                .map(Expr::Map),
            SqlType::Struct(fields) => fields
                .iter()
                .map(|field| {
                    let value = object
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(&field.name))
                        .map_or(&Value::Null, |(_, v)| v);
                    Ok((
                        Ident::new(field.name.clone()),
                        json_to_expr(value, &field.ty)?,
                    ))
                })
                .collect::<Result<_, String>>()
                .map(Expr::Struct),
            other => Err(format!("an object cannot go into a {other} column")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_typed_literals() {
        let expr = json_to_expr(&json!([1, 2]), &SqlType::Array(Box::new(SqlType::BigInt)))
            .expect("array");
        assert_eq!(expr.to_string(), "ARRAY[1, 2]");
        let error = json_to_expr(&json!(5_000_000_000i64), &SqlType::Int).expect_err("too big");
        assert!(error.contains("INT"), "{error}");
        let string = json_to_expr(&json!("it's"), &SqlType::String).expect("string");
        assert_eq!(string.to_string(), "'it''s'");
    }
}
