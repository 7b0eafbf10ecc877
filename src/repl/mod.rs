//! The interactive REPL: reads statements, runs them on the engine, renders outcomes.
//!
//! Plain `runnel` starts it. With a terminal it edits lines (history in the data
//! folder, tab completion) and streams push queries until Ctrl-C; with stdin not a
//! terminal it runs the statements it reads and exits.

pub mod backend;
pub mod complete;
pub mod driver;
pub mod input;
pub mod line_editor;
pub mod remote;
pub mod remote_names;
pub mod render;
pub mod session;
pub mod spinner;
pub mod sql_helper;

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use crate::engine::{Engine, EngineError};
use crate::log::{LOG_SUBDIR, Log, LogOptions};
use backend::{Backend, LocalBackend};
use complete::CompletionWords;
use driver::Driver;
use input::{Command, StatementBuffer, command};
use line_editor::{LineEditor, ReadLine};
use session::Session;

/// The history file, in the data folder.
const HISTORY_FILE: &str = "repl-history";

const HELP: &str = "\
Statements end with ';' and may span lines. Some to start with:
  SHOW STREAMS; SHOW TABLES; SHOW QUERIES [EXTENDED]; SHOW TOPICS; SHOW FUNCTIONS;
  CREATE STREAM s (id STRING KEY, v INT) WITH (kafka_topic='s', value_format='JSON', partitions=1);
  INSERT INTO s (id, v) VALUES ('a', 1);
  CREATE TABLE t AS SELECT id, COUNT(*) AS n FROM s GROUP BY id;
  SELECT * FROM t WHERE id = 'a';              -- pull query: the table now
  SELECT * FROM s EMIT CHANGES LIMIT 10;       -- push query: rows as they arrive (Ctrl-C stops)
  SET 'auto.offset.reset'='earliest';          -- push queries and new queries read from the start
  DESCRIBE [EXTENDED] t; DESCRIBE FUNCTION name; EXPLAIN query_id;
  PAUSE query_id; RESUME query_id; TERMINATE query_id | ALL;
  PRINT 'topic' FROM BEGINNING LIMIT 5; RUN SCRIPT 'file.sql';
Commands: help, exit (or Ctrl-D). Tab completes keywords and names.";

/// Why the REPL could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReplError {
    #[error("cannot open the engine: {0}")]
    Engine(#[from] EngineError),
    #[error("cannot open the log in {path}: {source}")]
    Log {
        path: String,
        source: crate::log::LogError,
    },
    #[error("reading standard input: {0}")]
    Input(#[from] std::io::Error),
    #[error("cannot reach the server: {0}")]
    Server(#[from] crate::server::ServerError),
}

/// Runs the REPL on the data in `data_dir`; returns whether every statement succeeded
/// (what the exit code reports when input is piped).
pub fn run(data_dir: &Path) -> Result<bool, ReplError> {
    let log_dir = data_dir.join(LOG_SUBDIR);
    let log = Log::open(&log_dir, LogOptions::default()).map_err(|source| ReplError::Log {
        path: log_dir.display().to_string(),
        source,
    })?;
    let engine = Arc::new(Mutex::new(Engine::new(log)?));
    let interactive = std::io::stdin().is_terminal();
    let session = Session {
        engine: Arc::clone(&engine),
        interrupted: Arc::new(AtomicBool::new(false)),
        interactive,
    };
    let driver = Driver::start(Arc::clone(&engine));
    let words = CompletionWords::default();
    words.refresh(&engine.lock());
    let interrupted = Arc::clone(&session.interrupted);
    let backend = LocalBackend { session, driver };
    if interactive {
        interactive_loop(&backend, data_dir, interrupted, words)
    } else {
        Ok(piped(&backend)?)
    }
}

/// Runs the REPL against the Runnel server at `url` (`http://host:port`), logging in
/// with `credentials` (`user:password`) when given; history stays in `data_dir`.
pub fn run_remote(
    url: &str,
    credentials: Option<String>,
    data_dir: &Path,
) -> Result<bool, ReplError> {
    let interactive = std::io::stdin().is_terminal();
    let backend = remote::RemoteBackend::connect(url, credentials, interactive)?;
    if interactive {
        let interrupted = Arc::clone(&backend.interrupted);
        if let Err(err) = std::fs::create_dir_all(data_dir) {
            eprintln!("warning: no history file in {}: {err}", data_dir.display());
        }
        let words = CompletionWords::default();
        backend.after_statement(&words);
        interactive_loop(&backend, data_dir, interrupted, words)
    } else {
        Ok(piped(&backend)?)
    }
}

/// Statements from a pipe or a file: run them in order, then exit.
fn piped(session: &dyn Backend) -> std::io::Result<bool> {
    let mut buffer = StatementBuffer::default();
    let mut ok = true;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if buffer.is_empty() {
            match command(&line) {
                Some(Command::Exit) => return Ok(ok),
                Some(Command::Help) => {
                    println!("{HELP}");
                    continue;
                }
                None => {}
            }
        }
        if let Some(text) = buffer.push_line(&line) {
            ok &= session.run_text(&text);
        }
    }
    if let Some(rest) = buffer.take_rest() {
        ok &= session.run_text(&rest);
    }
    Ok(ok)
}

/// Ctrl-C stops a running push query (and never the REPL): the handler only raises a
/// flag. While a line is being edited the terminal is raw and Ctrl-C is a key instead.
/// Returns once the handler is in place: the line editor saves and restores the SIGINT
/// action around each line, and must find ours there.
fn install_interrupt_handler(flag: Arc<AtomicBool>) {
    let (ready, installed) = std::sync::mpsc::channel::<bool>();
    let spawned = std::thread::Builder::new()
        .name("runnel-ctrl-c".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                let _ = ready.send(false);
                return;
            };
            runtime.block_on(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut interrupts) = signal(SignalKind::interrupt()) else {
                    let _ = ready.send(false);
                    return;
                };
                let _ = ready.send(true);
                while interrupts.recv().await.is_some() {
                    flag.store(true, Ordering::SeqCst);
                }
            });
        });
    let installed = match spawned {
        Ok(_) => installed.recv().unwrap_or(false),
        Err(_) => false,
    };
    if !installed {
        eprintln!("warning: Ctrl-C will end the REPL (no signal handler)");
    }
}

fn interactive_loop(
    session: &dyn Backend,
    data_dir: &Path,
    interrupted: Arc<AtomicBool>,
    words: CompletionWords,
) -> Result<bool, ReplError> {
    install_interrupt_handler(interrupted);
    let mut editor = LineEditor::new(data_dir.join(HISTORY_FILE), words.clone())?;
    println!(
        "Runnel {} - streaming SQL on an embedded log. Type 'help' for help, 'exit' to leave.",
        env!("CARGO_PKG_VERSION")
    );
    let mut buffer = StatementBuffer::default();
    loop {
        let prompt = if buffer.is_empty() {
            "runnel> "
        } else {
            "   ...> "
        };
        match editor.read_line(prompt)? {
            ReadLine::Line(line) => {
                if buffer.is_empty() {
                    match command(&line) {
                        Some(Command::Exit) => break,
                        Some(Command::Help) => {
                            println!("{HELP}");
                            continue;
                        }
                        None => {}
                    }
                }
                if let Some(text) = buffer.push_line(&line) {
                    editor.add_history(&text);
                    session.run_text(&text);
                    session.after_statement(&words);
                }
            }
            // Ctrl-C while typing drops the statement being typed.
            ReadLine::Interrupted => buffer.clear(),
            ReadLine::Eof => break,
        }
    }
    Ok(true)
}
