//! ksqlDB's function library: scalar functions as DataFusion UDFs, streaming aggregates
//! and table functions, found by name through a registry.
//!
//! # Layout
//!
//! - [`registry`]: lookup by ksqlDB name (case-insensitive) and `SHOW FUNCTIONS` data.
//! - [`metadata`]: names, categories, signatures and ksqlDB's argument-type errors.
//! - [`scalar`]: scalar functions by family (math, string, nulls, date-time with the
//!   Java-pattern translation, collections, JSON) on one generic DataFusion UDF.
//! - [`aggregate`]: the streaming aggregate trait (add, retract, merge, persist) and
//!   COUNT, SUM, AVG, MIN, MAX, TOPK, COLLECT_*, *_BY_OFFSET, HISTOGRAM, statistics.
//! - [`table`]: EXPLODE and CUBE_EXPLODE.
//! - [`test_functions`]: BAD_UDF, WHENCONDITION, WHENRESULT of ksqlDB's test corpus.
//! - [`values`]: conversions between `ScalarValue`s and Rust values.

pub mod aggregate;
pub mod error;
pub mod metadata;
pub mod registry;
pub mod scalar;
pub mod table;
pub mod test_functions;
pub mod values;

pub use aggregate::{AggregateFunction, AggregateSpec, AggregateState};
pub use error::{FunctionError, Result};
pub use metadata::{FunctionKind, FunctionMeta};
pub use registry::{FunctionRef, FunctionRegistry};
pub use scalar::ScalarFunction;
pub use table::TableFunction;
