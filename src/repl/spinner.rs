//! Spinner: a progress line on stderr for a statement that takes over a second.

use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a statement runs before the spinner shows.
const SHOW_AFTER: Duration = Duration::from_secs(1);
const FRAMES: &[char] = &['|', '/', '-', '\\'];

/// Shows "| running... 2.3s" until dropped, once [`SHOW_AFTER`] has passed.
pub struct Spinner {
    stop: Option<Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Spinner {
    /// A spinner, or a silent one when `enabled` is false (input is not a terminal).
    pub fn start(enabled: bool) -> Self {
        if !enabled {
            return Spinner {
                stop: None,
                handle: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let handle = std::thread::spawn(move || {
            let started = Instant::now();
            if !matches!(
                stopped.recv_timeout(SHOW_AFTER),
                Err(RecvTimeoutError::Timeout)
            ) {
                return;
            }
            let mut frame = 0;
            loop {
                let mut err = std::io::stderr();
                let _ = write!(
                    err,
                    "\r{} running... {:.1}s",
                    FRAMES[frame % FRAMES.len()],
                    started.elapsed().as_secs_f64()
                );
                let _ = err.flush();
                frame += 1;
                if !matches!(
                    stopped.recv_timeout(Duration::from_millis(100)),
                    Err(RecvTimeoutError::Timeout)
                ) {
                    let _ = write!(err, "\r{}\r", " ".repeat(30));
                    let _ = err.flush();
                    return;
                }
            }
        });
        Spinner {
            stop: Some(stop),
            handle: Some(handle),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
