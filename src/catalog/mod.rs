//! The catalog: streams, tables, types and queries, persisted as a command topic.

pub mod schema;

pub use schema::{Column, LogicalSchema, Namespace};
