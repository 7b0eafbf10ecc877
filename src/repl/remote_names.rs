//! The names a Runnel server knows (streams, tables, their topics and columns, query
//! ids, functions), fetched over `/ksql` for the remote REPL's tab completion.

use serde_json::{Value, json};

use crate::server::HttpClient;

/// Every name worth completing that the server at `client` knows now.
pub fn fetch_names(client: &HttpClient) -> Result<Vec<String>, String> {
    let listings = ksql_entities(
        client,
        "SHOW STREAMS; SHOW TABLES; SHOW QUERIES; SHOW FUNCTIONS;",
    )?;
    let mut names = Vec::new();
    let mut sources = Vec::new();
    for entity in &listings {
        for source in array(entity, "streams").chain(array(entity, "tables")) {
            if let Some(name) = source.get("name").and_then(Value::as_str) {
                sources.push(name.to_string());
            }
            names.extend(text(source, "topic"));
        }
        names.extend(array(entity, "queries").filter_map(|q| text(q, "id")));
        names.extend(array(entity, "functions").filter_map(|f| text(f, "name")));
    }
    if !sources.is_empty() {
        // One request describes every source; backticks keep a name's case as stored.
        let describe: String = sources
            .iter()
            .map(|name| format!("DESCRIBE `{}`; ", name.replace('`', "``")))
            .collect();
        for entity in ksql_entities(client, &describe)? {
            let description = entity.get("sourceDescription").unwrap_or(&Value::Null);
            names.extend(array(description, "fields").filter_map(|f| text(f, "name")));
        }
    }
    names.extend(sources);
    Ok(names)
}

/// The entities `/ksql` answers for `sql`, or the server's error message.
fn ksql_entities(client: &HttpClient, sql: &str) -> Result<Vec<Value>, String> {
    let response = client
        .post_json("/ksql", "application/json", &json!({"ksql": sql}))
        .map_err(|e| e.to_string())?;
    let status = response.status;
    let body = response.json().map_err(|e| e.to_string())?;
    match body {
        Value::Array(entities) if status == 200 => Ok(entities),
        other => Err(other
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| other.to_string(), str::to_string)),
    }
}

fn array<'a>(value: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn text(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(str::to_string)
}
