//! Driver: a background thread that keeps the engine's persistent queries running while
//! the REPL waits for input or streams a push query.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;

use crate::engine::Engine;

/// The longest the driver parks when no query had anything to read: an append wakes it
/// sooner; the bound only guards work that no append announces.
const IDLE_PAUSE: Duration = Duration::from_millis(100);

/// Runs `run_until_idle` in a loop until dropped.
pub struct Driver {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    /// The last processing failure, for the REPL to report once.
    pub failure: Arc<Mutex<Option<String>>>,
}

impl Driver {
    pub fn start(engine: Arc<Mutex<Engine>>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let failure: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let handle = {
            let stop = Arc::clone(&stop);
            let failure = Arc::clone(&failure);
            std::thread::Builder::new()
                .stack_size(crate::engine::QUERY_THREAD_STACK)
                .name("runnel-driver".into())
                .spawn(move || {
                    let log = Arc::clone(engine.lock().log());
                    while !stop.load(Ordering::Relaxed) {
                        // Read before running, so an append during the run is not missed.
                        let seen = log.append_sequence();
                        let progress = engine.lock().run_until_idle();
                        match progress {
                            Ok(0) => {
                                log.wait_for_append(seen, IDLE_PAUSE);
                            }
                            Ok(_) => {}
                            Err(err) => {
                                *failure.lock() = Some(err.to_string());
                                log.wait_for_append(seen, IDLE_PAUSE);
                            }
                        }
                    }
                })
                .ok()
        };
        Driver {
            stop,
            handle,
            failure,
        }
    }

    /// The failure the driver met since the last call, if any.
    pub fn take_failure(&self) -> Option<String> {
        self.failure.lock().take()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
