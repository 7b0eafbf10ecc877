//! Keyed state stores for stateful operators, recorded in compacted changelog topics.
//!
//! See [`changelog`] for the record layout and how a task's state, source position and
//! output are committed together so a restarted task neither loses nor repeats output.

pub mod changelog;
pub mod codec;
pub mod error;
pub mod fast_hash;
pub mod key_bytes;
pub mod materialized;
pub mod store;

pub use changelog::{Checkpoint, Intent, Restored, TaskChangelog};
pub use codec::StateCodec;
pub use error::{Result, StateError};
pub use materialized::MaterializedTable;
pub use store::{DurableStore, KeyedStore};
