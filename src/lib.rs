//! Runnel: a streaming SQL engine in the ksqlDB dialect over its own embedded log.
//!
//! # Layout
//!
//! - [`log`]: the partitioned, durable log (topics, partitions, segments in Kafka's
//!   RecordBatch v2 format, indexes, readers, consumer groups, retention, compaction).
//! - [`sql`]: the dialect: types, AST, parser, printer and positioned errors.
//! - [`catalog`]: streams, tables, types and queries, and their logical schemas.
//! - [`engine`]: statements in, outcomes out; the registry of running queries.
//! - [`exec`]: operators over change batches (rows with Insert/Update/Delete kinds).
//! - [`format`]: record serialization (JSON, DELIMITED, KAFKA, NONE) to and from Arrow.
//! - [`functions`]: ksqlDB's function library as DataFusion UDFs.
//! - [`plan`]: AST to a typed dataflow; expressions compiled to DataFusion.
//! - [`state`]: keyed state stores backed by changelog topics, checkpoints, and the
//!   materializations pull queries read.
//! - [`qtt`]: ksqlDB's QTT/RQTT test files and the runner behind `runnel test`.
//! - [`repl`]: the interactive REPL that plain `runnel` starts.
//! - [`server`]: ksqlDB's REST API over HTTP (`runnel server`), and a client for it.
//! - [`cli`]: the command-line tools behind `runnel <command>`.

pub mod catalog;
pub mod cli;
pub mod engine;
pub mod exec;
pub mod format;
pub mod functions;
pub mod log;
pub mod plan;
pub mod qtt;
pub mod repl;
pub mod server;
pub mod sql;
pub mod state;
