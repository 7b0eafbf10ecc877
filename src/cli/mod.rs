//! The command-line tools behind `runnel <command>`, one file per command group.

pub mod fmt;
pub mod bench;
pub mod group;
pub mod topic;
