//! The catalog: streams, tables, types and queries, persisted as a command topic.

pub mod ddl;
pub mod error;
pub mod registry;
pub mod schema;
pub mod source;
pub mod types;

pub use error::{CatalogError, Result};
pub use registry::{Catalog, QueryInfo};
pub use schema::{Column, LogicalSchema, Namespace};
pub use source::{Source, TimestampColumn, WindowInfo, WindowType};
pub use types::TypeRegistry;
