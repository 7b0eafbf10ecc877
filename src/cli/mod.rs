//! The command-line tools behind `runnel <command>`, one file per command group.

pub mod fmt;
