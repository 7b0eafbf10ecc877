//! `runnel run FILE.sql [--bounded]`: runs a SQL file headless.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;

use crate::engine::{AUTO_OFFSET_RESET, Engine, Outcome};
use crate::log::LogOptions;

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
    let statements = crate::sql::parse_statements(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    // Time spent processing records, for the records/s figure.
    let mut busy = Duration::ZERO;
    for statement in &statements {
        let sql = statement.span.text(&text);
        match engine.execute_statement(statement, sql) {
            Ok(outcome) => report(&outcome),
            Err(err) => {
                eprintln!(
                    "{}:{}: {err}\n  in: {}",
                    args.file.display(),
                    statement.span.line,
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
    loop {
        if engine.run_until_idle()? == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
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
