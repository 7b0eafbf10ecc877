//! Running operators over change batches; a task per source partition.

pub mod change;

pub use change::{ChangeBatch, RowKind};
