//! Session: runs the statements the REPL collected against the shared engine and prints
//! what they did; push queries stream until their LIMIT, Ctrl-C, or (without a
//! terminal) the end of what is available.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use super::render::{render_outcome, render_stream_row};
use super::spinner::Spinner;
use crate::engine::Engine;
use crate::sql::ast::{Query, StatementKind};

/// The longest a push query parks when no new row arrived: an append wakes it sooner;
/// the bound is how quickly Ctrl-C is noticed while nothing is appended.
const PUSH_IDLE_PAUSE: Duration = Duration::from_millis(50);

/// A REPL session over one engine.
pub struct Session {
    pub engine: Arc<Mutex<Engine>>,
    /// Set by Ctrl-C; a push query stops when it sees it.
    pub interrupted: Arc<AtomicBool>,
    /// Whether a person is at a terminal: spinners show, and push queries run until
    /// stopped instead of ending when they have caught up.
    pub interactive: bool,
}

impl Session {
    /// Runs every statement of `text`; returns whether all of them succeeded. A failing
    /// statement is reported and the next one still runs, as in ksqlDB's CLI.
    pub fn run_text(&self, text: &str) -> bool {
        self.run_text_at(text, 0)
    }

    fn run_text_at(&self, text: &str, depth: usize) -> bool {
        let statements = match crate::sql::parse_statements(text) {
            Ok(statements) => statements,
            // The engine retries a SELECT beyond ksqlDB's grammar (ORDER BY, OFFSET)
            // as full SQL over a snapshot, and otherwise reports the parse error.
            Err(_) => {
                let result = self.engine.lock().execute(text);
                return match result {
                    Ok(outcomes) => {
                        outcomes
                            .iter()
                            .for_each(|o| println!("{}", render_outcome(o)));
                        true
                    }
                    Err(err) => {
                        eprintln!("Syntax error at {err}");
                        false
                    }
                };
            }
        };
        let mut ok = true;
        for statement in &statements {
            let sql = statement.span.text(text);
            let result = match &statement.kind {
                StatementKind::RunScript { path } => self.run_script(path, depth),
                StatementKind::Query(query) if query.emit.is_some() => self.stream(query),
                _ => {
                    let _spinner = Spinner::start(self.interactive);
                    let outcome = self.engine.lock().execute_statement(statement, sql);
                    outcome
                        .map(|o| println!("{}", render_outcome(&o)))
                        .map_err(|e| e.to_string())
                }
            };
            if let Err(message) = result {
                eprintln!("Error: {message}");
                ok = false;
            }
        }
        let _ = std::io::stdout().flush();
        ok
    }

    fn run_script(&self, path: &str, depth: usize) -> Result<(), String> {
        super::backend::run_script(path, depth, |text, depth| self.run_text_at(text, depth))
    }

    /// Streams a push query's rows as they arrive.
    fn stream(&self, query: &Query) -> Result<(), String> {
        let mut push = self
            .engine
            .lock()
            .start_push_query(query)
            .map_err(|e| e.to_string())?;
        let header: Vec<serde_json::Value> = push
            .columns()
            .iter()
            .map(|c| serde_json::Value::String(c.name.clone()))
            .collect();
        println!("{}", render_stream_row(&header));
        if self.interactive {
            println!("Press Ctrl-C to stop the query.");
        }
        self.interrupted.store(false, Ordering::SeqCst);
        let mut delivered = 0u64;
        let log = Arc::clone(self.engine.lock().log());
        loop {
            if self.interrupted.swap(false, Ordering::SeqCst) {
                println!("Query terminated ({delivered} rows).");
                return Ok(());
            }
            // Read before polling, so a row appended during the poll is not missed.
            let seen = log.append_sequence();
            let rows = push.poll().map_err(|e| e.to_string())?;
            for row in &rows {
                println!("{}", render_stream_row(row));
            }
            delivered += rows.len() as u64;
            let _ = std::io::stdout().flush();
            if push.is_done() {
                println!("Limit reached ({delivered} rows).");
                return Ok(());
            }
            if rows.is_empty() {
                if !self.interactive && self.engine_is_idle()? {
                    // Without a terminal nobody can press Ctrl-C: stop once caught up.
                    let rows = push.poll().map_err(|e| e.to_string())?;
                    for row in &rows {
                        println!("{}", render_stream_row(row));
                    }
                    delivered += rows.len() as u64;
                    if rows.is_empty() {
                        return Ok(());
                    }
                    continue;
                }
                log.wait_for_append(seen, PUSH_IDLE_PAUSE);
            }
        }
    }

    /// Lets the persistent queries process everything; true when nothing was left.
    fn engine_is_idle(&self) -> Result<bool, String> {
        self.engine
            .lock()
            .run_until_idle()
            .map(|_| true)
            .map_err(|e| e.to_string())
    }
}
