//! The background cleaner: periodic retention, compaction, interval flushes and
//! group-session expiry; also callable synchronously with [`Log::run_cleaner_once`].

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;

use parking_lot::Mutex;

use super::error::{LogError, Result};
use super::store::Log;

/// What one cleaner pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanerReport {
    pub segments_deleted: usize,
    pub segments_compacted: usize,
    pub records_compacted_away: usize,
}

/// The running cleaner thread of a log.
#[derive(Debug)]
pub struct CleanerHandle {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
    last_error: Arc<Mutex<Option<String>>>,
}

impl CleanerHandle {
    pub(crate) fn start(log: &Arc<Log>) -> Result<()> {
        let (stop, stopped) = mpsc::channel::<()>();
        let weak: Weak<Log> = Arc::downgrade(log);
        let interval = log.options.cleaner_interval;
        let last_error = Arc::new(Mutex::new(None));
        let errors = Arc::clone(&last_error);
        let thread = std::thread::Builder::new()
            .name("runnel-log-cleaner".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    let Some(log) = weak.upgrade() else { break };
                    if let Err(e) = log.run_cleaner_once() {
                        *errors.lock() = Some(e.to_string());
                    }
                }
            })
            .map_err(|e| LogError::io("starting the cleaner thread for", log.dir(), e))?;
        *log.cleaner.lock() = Some(CleanerHandle {
            stop,
            thread,
            last_error,
        });
        Ok(())
    }

    pub(crate) fn stop(self) {
        let _ = self.stop.send(());
        // The cleaner itself may hold the last reference and be dropping the log.
        if self.thread.thread().id() != std::thread::current().id() {
            let _ = self.thread.join();
        }
    }
}

impl Log {
    /// Runs one pass of everything the background cleaner does, now.
    pub fn run_cleaner_once(&self) -> Result<CleanerReport> {
        let mut report = CleanerReport::default();
        for topic in self.topics() {
            for partition in topic.partitions() {
                partition.flush_if_due()?;
                report.segments_deleted += partition.apply_retention()?;
                let stats = partition.compact()?;
                report.segments_compacted += stats.segments_rewritten;
                report.records_compacted_away += stats.records_removed;
            }
        }
        self.expire_group_members();
        Ok(report)
    }

    /// The last error the background cleaner hit, if any.
    pub fn cleaner_error(&self) -> Option<String> {
        self.cleaner.lock().as_ref()?.last_error.lock().clone()
    }
}
