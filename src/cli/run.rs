//! `runnel run FILE.sql [--bounded]`: runs a SQL file headless.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use crate::engine::{AUTO_OFFSET_RESET, Engine, Outcome};
use crate::log::LogOptions;
use crate::repl::input::StatementBuffer;

/// The longest the queries park when they had nothing to read: an append wakes them
/// sooner; the bound only guards work that no append announces.
const IDLE_PAUSE: Duration = Duration::from_millis(100);

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The SQL file to run.
    pub file: PathBuf,
    /// Process what is in the log now, then stop every query and exit, printing per-query
    /// records in/out and records/s (the same SQL as a batch job).
    #[arg(long)]
    pub bounded: bool,
}

pub fn run(data_dir: &Path, args: RunArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let mut engine = Engine::open(data_dir, LogOptions::default())?;
    // The catalog and queries of earlier runs come back from the command topic.
    for failure in engine.replay_failures() {
        eprintln!("warning: {failure}");
    }
    if args.bounded {
        // A batch job reads everything that is in its sources.
        engine.set_property(AUTO_OFFSET_RESET, "earliest");
    }
    // Time spent processing records, for the records/s figure.
    let mut busy = Duration::ZERO;
    for (first_line, chunk) in statement_chunks(&text) {
        let outcomes = match crate::sql::parse_statements(&chunk) {
            Ok(statements) => statements
                .iter()
                .map(|statement| {
                    let sql = statement.span.text(&chunk);
                    let line = first_line + statement.span.line - 1;
                    engine
                        .execute_statement(statement, sql)
                        .map_err(|err| (line, err, sql.to_string()))
                })
                .collect::<Result<Vec<_>, _>>(),
            // Beyond ksqlDB's grammar (ORDER BY, ...): the engine tries it as full SQL
            // over a snapshot, or gives the parse error.
            Err(_) => engine
                .execute(&chunk)
                .map_err(|err| (first_line, err, chunk.trim().to_string())),
        };
        match outcomes {
            Ok(outcomes) => outcomes.iter().for_each(report),
            Err((line, err, sql)) => {
                eprintln!(
                    "{}:{line}: {err}\n  in: {}",
                    args.file.display(),
                    sql.lines().next().unwrap_or("")
                );
                return Ok(ExitCode::FAILURE);
            }
        }
        // Later statements (PRINT, pull queries) see what earlier queries produced.
        let started = Instant::now();
        engine.run_until_idle()?;
        busy += started.elapsed();
    }
    if args.bounded {
        let elapsed = busy.as_secs_f64().max(1e-9);
        for (id, m) in engine.query_metrics() {
            println!(
                "{id}: {} records in, {} records out, {} errors, {:.0} records/s",
                m.records_in,
                m.records_out,
                m.errors,
                m.records_in as f64 / elapsed
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!("Running; press Ctrl-C to stop.");
    let log = Arc::clone(engine.log());
    loop {
        // Read before running, so an append during the run is not missed.
        let seen = log.append_sequence();
        if engine.run_until_idle()? == 0 {
            log.wait_for_append(seen, IDLE_PAUSE);
        }
    }
}

/// The file cut into runs of whole statements (each ends with a `;` outside quotes and
/// comments), with the line each run starts on.
fn statement_chunks(text: &str) -> Vec<(u64, String)> {
    let mut chunks = Vec::new();
    let mut buffer = StatementBuffer::default();
    let mut first_line = 1;
    for (index, line) in text.lines().enumerate() {
        if buffer.is_empty() {
            // A run starts at its statement, not at the comments before it.
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with("--") {
                continue;
            }
            buffer.clear();
            first_line = index as u64 + 1;
        }
        if let Some(chunk) = buffer.push_line(line) {
            chunks.push((first_line, chunk));
        }
    }
    chunks.extend(buffer.take_rest().map(|rest| (first_line, rest)));
    chunks
}

fn report(outcome: &Outcome) {
    match outcome {
        Outcome::SourceCreated { name } => println!("Created {name}."),
        Outcome::SourceDropped { name } => println!("Dropped {name}."),
        Outcome::TypeCreated { name } => println!("Created type {name}."),
        Outcome::TypeDropped { name } => println!("Dropped type {name}."),
        Outcome::QueryStarted { id, sink } => println!("Started query {id} writing {sink}."),
        Outcome::RowInserted { .. } => {}
        Outcome::PropertySet { name } => println!("Set {name}."),
        Outcome::QueryTerminated { ids } => println!("Terminated {}.", ids.join(", ")),
        Outcome::Printed { lines } => lines.iter().for_each(|l| println!("{l}")),
        Outcome::Rows(rows) => println!("{}", crate::repl::render::render_table(rows)),
        Outcome::Message(message) => println!("{message}"),
    }
}
