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

    /// Run the REPL against the Runnel server at this URL (e.g. http://127.0.0.1:8088).
    #[arg(long)]
    server: Option<String>,

    /// `user:password` for a server that requires basic authentication.
    #[arg(long, requires = "server")]
    server_auth: Option<String>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print SQL normalized (one statement per paragraph), or check that it parses.
    Fmt(runnel::cli::fmt::FmtArgs),
    /// Manage and use the log's topics.
    #[command(subcommand)]
    Topic(runnel::cli::topic::TopicCommand),
    /// Inspect consumer groups.
    #[command(subcommand)]
    Group(runnel::cli::group::GroupCommand),
    /// Measure throughput.
    #[command(subcommand)]
    Bench(runnel::cli::bench::BenchCommand),
    /// Run a SQL file headless (`--bounded`: process what is in the log, then exit).
    Run(runnel::cli::run::RunArgs),
    /// Run ksqlDB QTT/RQTT test files (a file or a folder).
    Test(runnel::cli::test::TestArgs),
    /// Serve ksqlDB's REST API (/ksql, /query-stream, ...) over the data directory.
    Server(runnel::cli::server::ServerArgs),
}

fn main() -> ExitCode {
    // `runnel ... | head` must end quietly when the reader goes away, as Unix tools do,
    // instead of panicking on a failed print.
    sigpipe::reset();
    let cli = Cli::parse();
    let result: anyhow::Result<ExitCode> = match cli.command {
        None => match &cli.server {
            Some(url) => runnel::repl::run_remote(url, cli.server_auth.clone(), &cli.data_dir),
            None => runnel::repl::run(&cli.data_dir),
        }
        .map(|ok| {
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        })
        .map_err(Into::into),
        Some(command) => match command {
            Command::Fmt(args) => runnel::cli::fmt::run(&args).map_err(anyhow::Error::from),
            Command::Topic(cmd) => runnel::cli::topic::run(&cli.data_dir, cmd).map_err(Into::into),
            Command::Group(cmd) => runnel::cli::group::run(&cli.data_dir, cmd).map_err(Into::into),
            Command::Bench(runnel::cli::bench::BenchCommand::Engine(args)) => {
                runnel::cli::bench_engine::run(args)
            }
            Command::Bench(runnel::cli::bench::BenchCommand::Join(args)) => {
                runnel::cli::bench_join::run(args)
            }
            Command::Bench(cmd) => runnel::cli::bench::run(&cli.data_dir, cmd).map_err(Into::into),
            Command::Run(args) => runnel::cli::run::run(&cli.data_dir, args),
            Command::Test(args) => runnel::cli::test::run(args),
            Command::Server(args) => runnel::cli::server::run(&cli.data_dir, args)
                .map(|()| ExitCode::SUCCESS)
                .map_err(Into::into),
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
