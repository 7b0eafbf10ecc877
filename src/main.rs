//! The `runnel` command line: parses arguments and dispatches to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "runnel",
    version,
    about = "Streaming SQL (ksqlDB dialect) over an embedded log"
)]
struct Cli {
    /// Where the log and the catalog live.
    #[arg(long, global = true, default_value = "./runnel-data")]
    data_dir: PathBuf,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print SQL normalized (one statement per paragraph), or check that it parses.
    Fmt(runnel::cli::fmt::FmtArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<ExitCode> = match cli.command {
        None => {
            eprintln!("runnel: the REPL is not built yet; see `runnel --help`");
            Ok(ExitCode::FAILURE)
        }
        Some(command) => match command {
            Command::Fmt(args) => runnel::cli::fmt::run(&args).map_err(anyhow::Error::from),
        },
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
