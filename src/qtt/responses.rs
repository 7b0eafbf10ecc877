//! Checks the `responses` of an RQTT case: each pull query's header and rows.

use serde_json::Value;

use super::compare::json_equal;
use crate::engine::{Outcome, QueryRows};

/// Compares what each statement produced with the case's expected responses; `None`
/// when they agree. Only query responses are compared: admin responses carry ksqlDB's
/// server messages, which Runnel does not imitate.
pub fn diff_responses(expected: &[Value], outcomes: &[Option<Outcome>]) -> Option<String> {
    for (index, response) in expected.iter().enumerate() {
        let Some(query) = response.get("query").and_then(Value::as_array) else {
            continue;
        };
        let rows = match outcomes.get(index) {
            Some(Some(Outcome::Rows(rows))) => rows,
            other => {
                return Some(format!(
                    "statement {}: expected query rows, got {other:?}",
                    index + 1
                ));
            }
        };
        if let Some(diff) = diff_query(query, rows) {
            return Some(format!("statement {}: {diff}", index + 1));
        }
    }
    None
}

/// Header schema equal, and the same rows in any order (ksqlDB's table scans return
/// them in state-store order, which Runnel does not promise).
fn diff_query(expected: &[Value], rows: &QueryRows) -> Option<String> {
    let mut expected_rows: Vec<&Value> = Vec::new();
    for entry in expected {
        if let Some(schema) = entry.pointer("/header/schema").and_then(Value::as_str) {
            let actual = rows.schema_text();
            if schema != actual {
                return Some(format!(
                    "schema differs:\n  expected {schema}\n  actual   {actual}"
                ));
            }
        }
        if let Some(columns) = entry.pointer("/row/columns") {
            expected_rows.push(columns);
        }
    }
    let mut unmatched: Vec<Value> = rows.rows.iter().map(|r| Value::Array(r.clone())).collect();
    let mut missing = Vec::new();
    for want in expected_rows {
        match unmatched.iter().position(|got| json_equal(want, got)) {
            Some(i) => {
                unmatched.remove(i);
            }
            None => missing.push(want.to_string()),
        }
    }
    if missing.is_empty() && unmatched.is_empty() {
        return None;
    }
    let extra: Vec<String> = unmatched.iter().map(Value::to_string).collect();
    Some(format!(
        "rows differ:\n  missing {}\n  unexpected {}",
        missing.join(" "),
        extra.join(" ")
    ))
}
