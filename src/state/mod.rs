//! Keyed state stores for stateful operators (in memory; a changelog topic backs them next).

pub mod store;

pub use store::KeyedStore;
