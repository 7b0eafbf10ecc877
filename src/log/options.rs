//! How a [`super::Log`] is opened: flush policy, clock and storage seams, cleaner.

use std::sync::Arc;
use std::time::Duration;

use super::append_signal::AppendSignal;
use super::clock::{Clock, SystemClock};
use super::storage::{FsStorage, Storage};

/// When appended data is forced to stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushPolicy {
    /// fsync after every appended batch, before the append returns.
    EveryBatch,
    /// fsync a partition when at least this long has passed since its last fsync
    /// (checked on append and by the background cleaner).
    Interval(Duration),
    /// Never fsync: the OS writes back when it likes. For tests and scratch logs.
    Never,
}

/// Options for [`super::Log::open`].
#[derive(Debug, Clone)]
pub struct LogOptions {
    pub flush: FlushPolicy,
    pub clock: Arc<dyn Clock>,
    pub storage: Arc<dyn Storage>,
    /// Run retention, compaction, interval flushes and session expiry on a thread.
    pub background_cleaner: bool,
    pub cleaner_interval: Duration,
    /// Rung by every append of the log; logs opened with clones of one options value
    /// share it (a waiter then wakes for either log's appends, which is harmless).
    pub(crate) append_signal: Arc<AppendSignal>,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            flush: FlushPolicy::Interval(Duration::from_millis(1000)),
            clock: Arc::new(SystemClock),
            storage: Arc::new(FsStorage),
            background_cleaner: true,
            cleaner_interval: Duration::from_millis(500),
            append_signal: Arc::new(AppendSignal::default()),
        }
    }
}

impl LogOptions {
    /// Cheap options for scratch logs (tests, one-off runs): no fsync, no cleaner thread.
    pub fn ephemeral() -> Self {
        LogOptions {
            flush: FlushPolicy::Never,
            background_cleaner: false,
            ..LogOptions::default()
        }
    }

    pub fn with_flush(mut self, flush: FlushPolicy) -> Self {
        self.flush = flush;
        self
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_storage(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = storage;
        self
    }

    pub fn with_background_cleaner(mut self, on: bool) -> Self {
        self.background_cleaner = on;
        self
    }
}
