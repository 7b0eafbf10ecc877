//! The command-line tools behind `runnel <command>`, one file per command group.

pub mod bench;
pub mod bench_engine;
pub mod bench_join;
pub mod fmt;
pub mod group;
pub mod run;
pub mod server;
pub mod test;
pub mod topic;
