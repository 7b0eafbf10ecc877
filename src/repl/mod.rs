//! The interactive REPL: reads statements, runs them on the engine, renders outcomes.

pub mod render;
