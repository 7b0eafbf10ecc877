//! Keyed state stores for stateful operators (in memory; a changelog topic backs them next).

pub mod materialized;
pub mod store;

pub use materialized::MaterializedTable;
pub use store::KeyedStore;
