//! AppendSignal: a log-wide append counter that threads can park on until something is
//! appended anywhere in the log (instead of polling on a timer).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::store::Log;

impl Log {
    /// How many appends this log has seen (any topic, any partition).
    pub fn append_sequence(&self) -> u64 {
        self.options.append_signal.sequence()
    }

    /// Parks until something is appended after the moment `seen` was read from
    /// [`Log::append_sequence`], or `timeout` passes; returns the sequence then.
    pub fn wait_for_append(&self, seen: u64, timeout: Duration) -> u64 {
        self.options.append_signal.wait(seen, timeout)
    }
}

/// Counts appends; [`AppendSignal::wait`] parks until the count moves past a value seen.
#[derive(Debug, Default)]
pub struct AppendSignal {
    sequence: AtomicU64,
    /// Threads parked (or about to park); an append with none takes no lock.
    waiters: AtomicUsize,
    lock: Mutex<()>,
    appended: Condvar,
}

impl AppendSignal {
    /// How many appends the log has seen; pass it to [`AppendSignal::wait`] to park
    /// until the next one.
    pub fn sequence(&self) -> u64 {
        self.sequence.load(Ordering::SeqCst)
    }

    /// Counts an append and wakes every parked thread.
    pub(crate) fn notify(&self) {
        self.sequence.fetch_add(1, Ordering::SeqCst);
        // Either a waiter's registration is visible here, or its check of the sequence
        // (made after registering) sees our increment: no wake-up is lost.
        if self.waiters.load(Ordering::SeqCst) > 0 {
            let _guard = self.lock.lock();
            self.appended.notify_all();
        }
    }

    /// Parks until the sequence differs from `seen` or `timeout` passes; returns the
    /// sequence then (equal to `seen` when it timed out).
    pub fn wait(&self, seen: u64, timeout: Duration) -> u64 {
        let deadline = Instant::now() + timeout;
        let mut guard = self.lock.lock();
        self.waiters.fetch_add(1, Ordering::SeqCst);
        loop {
            let now = self.sequence.load(Ordering::SeqCst);
            if now != seen {
                self.waiters.fetch_sub(1, Ordering::SeqCst);
                return now;
            }
            if self.appended.wait_until(&mut guard, deadline).timed_out() {
                self.waiters.fetch_sub(1, Ordering::SeqCst);
                return self.sequence.load(Ordering::SeqCst);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::mpsc;

    use super::*;

    /// A generous bound: the test proves a wake-up, not a speed.
    const PATIENCE: Duration = Duration::from_secs(60);

    #[test]
    fn a_parked_waiter_wakes_on_the_next_append() {
        let signal = Arc::new(AppendSignal::default());
        let seen = signal.sequence();
        let (woke, wakes) = mpsc::channel();
        let waiter = {
            let signal = Arc::clone(&signal);
            std::thread::spawn(move || {
                // Far longer than the test may take: only an append can end this wait.
                let after = signal.wait(seen, Duration::from_secs(3600));
                let _ = woke.send(after);
            })
        };
        // Wait until the waiter is parked, so the append below must wake it.
        let parked_by = Instant::now() + PATIENCE;
        while signal.waiters.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < parked_by, "the waiter never parked");
            std::thread::yield_now();
        }
        signal.notify();
        let after = wakes
            .recv_timeout(PATIENCE)
            .expect("the append woke the waiter");
        assert_eq!(after, seen + 1);
        waiter.join().expect("waiter thread");
    }

    #[test]
    fn an_append_to_the_log_wakes_a_thread_parked_on_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = Log::open(dir.path(), crate::log::LogOptions::ephemeral()).expect("log");
        let topic = log
            .create_topic("events", crate::log::TopicConfig::default())
            .expect("topic");
        let seen = log.append_sequence();
        let waiter = {
            let log = Arc::clone(&log);
            std::thread::spawn(move || log.wait_for_append(seen, Duration::from_secs(3600)))
        };
        let parked_by = Instant::now() + PATIENCE;
        while log.options.append_signal.waiters.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < parked_by, "the waiter never parked");
            std::thread::yield_now();
        }
        let partition = topic.partition(0).expect("partition");
        partition
            .append(&[crate::log::Record::new(
                None::<Vec<u8>>,
                Some(b"v".to_vec()),
            )])
            .expect("append");
        assert!(waiter.join().expect("waiter thread") > seen);
    }

    #[test]
    fn a_wait_after_an_append_returns_at_once() {
        let signal = AppendSignal::default();
        let seen = signal.sequence();
        signal.notify();
        assert_eq!(signal.wait(seen, Duration::from_secs(3600)), seen + 1);
    }

    #[test]
    fn a_wait_without_appends_times_out_with_the_same_sequence() {
        let signal = AppendSignal::default();
        let seen = signal.sequence();
        assert_eq!(signal.wait(seen, Duration::ZERO), seen);
    }
}
