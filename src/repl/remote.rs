//! The REPL as a client of a Runnel server: statements go to `/ksql`, queries to
//! `/query-stream`, and the answers are rendered as the local REPL renders them.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};

use super::backend::Backend;
use super::complete::CompletionWords;
use super::render::{cell_text, render_stream_row, render_table};
use crate::engine::{QueryRows, ResultColumn};
use crate::server::entities::ROWS_ENTITY;
use crate::server::framing::DELIMITED;
use crate::server::{HttpClient, HttpResponse, ServerError};
use crate::sql::ast::StatementKind;

/// Without a terminal nobody can press Ctrl-C: a push query ends after this long
/// without a new row.
const PIPED_IDLE_END: Duration = Duration::from_secs(2);
/// How often the watcher of a push query looks for Ctrl-C.
const WATCH_PAUSE: Duration = Duration::from_millis(50);

/// A REPL backend that talks to a server.
pub struct RemoteBackend {
    client: HttpClient,
    /// Set by Ctrl-C; a push query is closed when it is seen.
    pub interrupted: Arc<AtomicBool>,
    interactive: bool,
    /// Set by a statement that may change the server's names (DDL, TERMINATE, ...):
    /// the completion words are fetched again after it.
    names_stale: AtomicBool,
}

impl RemoteBackend {
    /// Checks that the server answers `/info`, then returns the backend.
    pub fn connect(
        url: &str,
        credentials: Option<String>,
        interactive: bool,
    ) -> Result<Self, ServerError> {
        let client = HttpClient::new(url)?.with_credentials(credentials);
        let response = client.request("GET", "/info", &[], b"")?;
        if response.status != 200 {
            let status = response.status;
            let text = response.text().unwrap_or_default();
            return Err(ServerError::Client(format!(
                "{url} answered /info with {status}: {text}"
            )));
        }
        if interactive {
            let info = response.json()?;
            let version = info
                .pointer("/KsqlServerInfo/version")
                .and_then(Value::as_str)
                .unwrap_or("?");
            println!("Connected to the Runnel server {version} at {url}.");
        }
        Ok(RemoteBackend {
            client,
            interrupted: Arc::new(AtomicBool::new(false)),
            interactive,
            names_stale: AtomicBool::new(true),
        })
    }

    fn run_at(&self, text: &str, depth: usize) -> bool {
        let statements = match crate::sql::parse_statements(text) {
            Ok(statements) => statements,
            // A SELECT beyond ksqlDB's grammar may still run as SQL over a snapshot.
            Err(_) if text.trim_start().to_ascii_uppercase().starts_with("SELECT") => {
                return self.report(self.pull(text.trim()));
            }
            Err(err) => {
                eprintln!("Syntax error at {err}");
                return false;
            }
        };
        let mut ok = true;
        for statement in &statements {
            let sql = statement.span.text(text);
            let result = match &statement.kind {
                StatementKind::RunScript { path } => self.run_script(path, depth),
                StatementKind::Query(query) if query.emit.is_some() => self.stream(sql),
                StatementKind::Query(_) => self.pull(sql),
                _ => {
                    self.names_stale.store(true, Ordering::SeqCst);
                    self.ksql(sql)
                }
            };
            ok &= self.report(result);
        }
        let _ = std::io::stdout().flush();
        ok
    }

    fn report(&self, result: Result<(), String>) -> bool {
        match result {
            Ok(()) => true,
            Err(message) => {
                eprintln!("Error: {message}");
                false
            }
        }
    }

    fn run_script(&self, path: &str, depth: usize) -> Result<(), String> {
        super::backend::run_script(path, depth, |text, depth| self.run_at(text, depth))
    }

    /// A statement for `/ksql`: prints each entity of the answer.
    fn ksql(&self, sql: &str) -> Result<(), String> {
        let response = self
            .client
            .post_json("/ksql", "application/json", &json!({"ksql": sql}))
            .map_err(|e| e.to_string())?;
        let status = response.status;
        let body = response.json().map_err(|e| e.to_string())?;
        if status != 200 {
            return Err(error_message(&body));
        }
        for entity in body.as_array().into_iter().flatten() {
            println!("{}", render_entity(entity));
        }
        Ok(())
    }

    fn query_stream(&self, sql: &str) -> Result<HttpResponse, String> {
        let response = self
            .client
            .post_json("/query-stream", DELIMITED, &json!({"sql": sql}))
            .map_err(|e| e.to_string())?;
        if response.status != 200 {
            let body = response.json().map_err(|e| e.to_string())?;
            return Err(error_message(&body));
        }
        Ok(response)
    }

    /// A pull query: the whole answer as a table.
    fn pull(&self, sql: &str) -> Result<(), String> {
        let mut response = self.query_stream(sql)?;
        let (_, columns) = read_metadata(&mut response)?;
        let mut rows = QueryRows::new(columns);
        while let Some(line) = response.next_line().map_err(|e| e.to_string())? {
            rows.rows.push(parse_row(&line)?);
        }
        let count = rows.rows.len();
        let noun = if count == 1 { "row" } else { "rows" };
        println!("{}\n({count} {noun})", render_table(&rows));
        Ok(())
    }

    /// A push query: rows printed as they arrive, until LIMIT or Ctrl-C.
    fn stream(&self, sql: &str) -> Result<(), String> {
        let mut response = self.query_stream(sql)?;
        let (query_id, columns) = read_metadata(&mut response)?;
        let header: Vec<Value> = columns.iter().map(|c| json!(c.name)).collect();
        println!("{}", render_stream_row(&header));
        if self.interactive {
            println!("Press Ctrl-C to stop the query.");
        }
        self.interrupted.store(false, Ordering::SeqCst);
        let last_row = Arc::new(Mutex::new(Instant::now()));
        let finished = Arc::new(AtomicBool::new(false));
        let watcher = self.watch(&query_id, Arc::clone(&last_row), Arc::clone(&finished));
        let mut delivered = 0u64;
        let mut result = Ok(());
        loop {
            match response.next_line() {
                Ok(Some(line)) if line.trim().is_empty() => {}
                Ok(Some(line)) => match serde_json::from_str::<Value>(&line) {
                    Ok(Value::Array(row)) => {
                        *last_row.lock() = Instant::now();
                        delivered += 1;
                        println!("{}", render_stream_row(&row));
                        let _ = std::io::stdout().flush();
                    }
                    Ok(other) => {
                        result = Err(error_message(&other));
                        break;
                    }
                    Err(e) => {
                        result = Err(format!("the server sent a bad row ({e}): {line}"));
                        break;
                    }
                },
                Ok(None) => break,
                Err(e) => {
                    result = Err(e.to_string());
                    break;
                }
            }
        }
        finished.store(true, Ordering::SeqCst);
        if let Some(watcher) = watcher {
            let _ = watcher.join();
        }
        if result.is_ok() {
            println!("Query ended ({delivered} rows).");
        }
        result
    }

    /// Closes the push query `query_id` on Ctrl-C (or, piped, when it went quiet),
    /// which ends the stream the REPL is reading.
    fn watch(
        &self,
        query_id: &str,
        last_row: Arc<Mutex<Instant>>,
        finished: Arc<AtomicBool>,
    ) -> Option<std::thread::JoinHandle<()>> {
        let client = self.client.clone();
        let interrupted = Arc::clone(&self.interrupted);
        let interactive = self.interactive;
        let query_id = query_id.to_string();
        std::thread::Builder::new()
            .name("runnel-remote-watch".into())
            .spawn(move || {
                while !finished.load(Ordering::SeqCst) {
                    let quiet = !interactive && last_row.lock().elapsed() > PIPED_IDLE_END;
                    if interrupted.swap(false, Ordering::SeqCst) || quiet {
                        let _ = client.post_json(
                            "/close-query",
                            "application/json",
                            &json!({"queryId": query_id}),
                        );
                        return;
                    }
                    std::thread::sleep(WATCH_PAUSE);
                }
            })
            .ok()
    }
}

impl Backend for RemoteBackend {
    fn run_text(&self, text: &str) -> bool {
        self.run_at(text, 0)
    }

    /// Refetches the server's names for completion after a statement that may have
    /// changed them (anything but a query); a server that cannot answer leaves the
    /// names as they were.
    fn after_statement(&self, words: &CompletionWords) {
        if self.names_stale.swap(false, Ordering::SeqCst) {
            match super::remote_names::fetch_names(&self.client) {
                Ok(names) => words.replace(names),
                Err(_) => self.names_stale.store(true, Ordering::SeqCst),
            }
        }
    }
}

/// The metadata line of `/query-stream`: the query id and the columns.
fn read_metadata(response: &mut HttpResponse) -> Result<(String, Vec<ResultColumn>), String> {
    let line = response
        .next_line()
        .map_err(|e| e.to_string())?
        .ok_or("the server ended the query without a header")?;
    let metadata: Value = serde_json::from_str(&line)
        .map_err(|e| format!("the server sent a bad header ({e}): {line}"))?;
    let query_id = metadata
        .get("queryId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let columns = metadata
        .get("columnNames")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|name| ResultColumn::text(name.as_str().unwrap_or("")))
        .collect();
    Ok((query_id, columns))
}

fn parse_row(line: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Array(row)) => Ok(row),
        Ok(other) => Err(error_message(&other)),
        Err(e) => Err(format!("the server sent a bad row ({e}): {line}")),
    }
}

/// The message of a ksqlDB error entity.
fn error_message(body: &Value) -> String {
    body.get("message")
        .and_then(Value::as_str)
        .map_or_else(|| body.to_string(), str::to_string)
}

/// One `/ksql` entity as the local REPL would print the outcome.
pub fn render_entity(entity: &Value) -> String {
    let kind = entity.get("@type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "currentStatus" => entity
            .pointer("/commandStatus/message")
            .and_then(Value::as_str)
            .unwrap_or("Done.")
            .to_string(),
        "runnel_print" => entity
            .get("lines")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(cell_text)
            .collect::<Vec<_>>()
            .join("\n"),
        ROWS_ENTITY => {
            let columns = entity
                .get("columnNames")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|c| ResultColumn::text(c.as_str().unwrap_or("")))
                .collect();
            let mut rows = QueryRows::new(columns);
            rows.rows = entity
                .get("rows")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_array().cloned())
                .collect();
            render_table(&rows)
        }
        "sourceDescription" => {
            let description = entity.get("sourceDescription").unwrap_or(&Value::Null);
            let fields: Vec<Value> = description
                .get("fields")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|f| {
                    let ty = f.pointer("/schema/type").map(cell_text).unwrap_or_default();
                    let ty = match f.get("type").and_then(Value::as_str) {
                        Some("PRIMARY_KEY") => format!("{ty} (primary key)"),
                        Some("KEY") => format!("{ty} (key)"),
                        _ => ty,
                    };
                    json!({"Field": f.get("name"), "Type": ty})
                })
                .collect();
            format!(
                "Name: {}\nType: {}\nTopic: {}\n{}",
                description.get("name").map(cell_text).unwrap_or_default(),
                description.get("type").map(cell_text).unwrap_or_default(),
                description.get("topic").map(cell_text).unwrap_or_default(),
                objects_table(&fields)
            )
        }
        _ => {
            // A listing: the entity's array of objects as a table.
            let items = entity.as_object().and_then(|o| {
                o.values()
                    .find_map(|v| v.as_array().filter(|a| !a.is_empty()))
            });
            match items {
                Some(items) => objects_table(items),
                None => format!("({kind}: nothing to show)"),
            }
        }
    }
}

/// Objects as a table, one column per key of the first object.
fn objects_table(items: &[Value]) -> String {
    let keys: Vec<String> = items
        .first()
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let mut rows = QueryRows::new(keys.iter().map(|k| ResultColumn::text(k.clone())).collect());
    for item in items {
        rows.rows.push(
            keys.iter()
                .map(|k| match item.get(k) {
                    Some(Value::String(s)) => Value::String(s.clone()),
                    Some(other) => Value::String(other.to_string()),
                    None => Value::Null,
                })
                .collect(),
        );
    }
    render_table(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_render_as_messages_and_tables() {
        let status =
            json!({"@type": "currentStatus", "commandStatus": {"message": "Stream created"}});
        assert_eq!(render_entity(&status), "Stream created");
        let streams = json!({"@type": "streams", "statementText": "SHOW STREAMS;",
            "streams": [{"name": "CLICKS", "topic": "clicks"}], "warnings": []});
        let table = render_entity(&streams);
        assert!(
            table.contains("CLICKS") && table.contains("topic"),
            "{table}"
        );
        let rows = json!({"@type": ROWS_ENTITY, "columnNames": ["A"], "rows": [["x"]]});
        assert!(render_entity(&rows).contains('x'));
    }
}
