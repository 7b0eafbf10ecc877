//! The server's running push queries: each streams from its own thread into the
//! response body, and stops on its LIMIT, `/close-query`, a client that went away, or
//! the server's shutdown.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::framing::Framing;
use crate::engine::PushQuery;
use crate::log::Log;

/// The longest a push query's thread parks waiting for an append before it checks
/// again whether it was closed or its client went away.
const IDLE_PAUSE: Duration = Duration::from_millis(50);
/// Encoded pieces of a body buffered ahead of a slow client.
const CHANNEL_DEPTH: usize = 64;

/// Push queries by id, each with the flag that stops it.
#[derive(Default)]
pub struct PushRegistry {
    running: Mutex<HashMap<String, Arc<AtomicBool>>>,
    next_id: AtomicU64,
    shutting_down: Arc<AtomicBool>,
}

impl PushRegistry {
    /// A fresh query id with `prefix` (`transient_..` for push queries, as ksqlDB).
    pub fn new_id(&self, prefix: &str) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{prefix}_{n}")
    }

    /// Starts streaming `push` framed by `framing`; the receiver is the response body.
    pub fn start(
        self: &Arc<Self>,
        id: String,
        push: PushQuery,
        framing: Framing,
        log: Arc<Log>,
    ) -> std::io::Result<mpsc::Receiver<Bytes>> {
        let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
        let stop = Arc::new(AtomicBool::new(false));
        self.running.lock().insert(id.clone(), Arc::clone(&stop));
        let registry = Arc::clone(self);
        let shutting_down = Arc::clone(&self.shutting_down);
        let thread_id = id.clone();
        let spawned = std::thread::Builder::new()
            .stack_size(crate::engine::QUERY_THREAD_STACK)
            .name(format!("runnel-{id}"))
            .spawn(move || {
                let stopped =
                    || stop.load(Ordering::SeqCst) || shutting_down.load(Ordering::SeqCst);
                stream(push, framing, &thread_id, &log, &sender, stopped);
                registry.running.lock().remove(&thread_id);
            });
        if let Err(err) = spawned {
            self.running.lock().remove(&id);
            return Err(err);
        }
        Ok(receiver)
    }

    /// Stops the push query `id`; false when no such query runs.
    pub fn close(&self, id: &str) -> bool {
        match self.running.lock().get(id) {
            Some(stop) => {
                stop.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// How many push queries are running.
    pub fn active(&self) -> usize {
        self.running.lock().len()
    }

    /// Stops every push query, now and from now on.
    pub fn shut_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }
}

/// Polls `push` and sends its framed rows until done, stopped, or the client is gone;
/// between polls that found nothing it parks until `log` is appended to.
fn stream(
    mut push: PushQuery,
    framing: Framing,
    id: &str,
    log: &Log,
    sender: &mpsc::Sender<Bytes>,
    stopped: impl Fn() -> bool,
) {
    let send = |text: String| sender.blocking_send(Bytes::from(text)).is_ok();
    if !send(framing.header(id, push.columns())) {
        return;
    }
    loop {
        // A closed channel means hyper dropped the body: the client disconnected.
        if stopped() || sender.is_closed() {
            let _ = send(framing.end(false));
            return;
        }
        // Read before polling, so a row appended during the poll is not missed.
        let seen = log.append_sequence();
        let rows = match push.poll() {
            Ok(rows) => rows,
            Err(err) => {
                let _ = send(framing.error(&err.to_string()));
                return;
            }
        };
        for row in &rows {
            if !send(framing.row(row)) {
                return;
            }
        }
        if push.is_done() {
            let _ = send(framing.end(true));
            return;
        }
        if rows.is_empty() {
            log.wait_for_append(seen, IDLE_PAUSE);
        }
    }
}
