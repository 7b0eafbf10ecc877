//! The REPL's backend seam: statements run on a local engine (with its driver
//! thread) or on a Runnel server over HTTP; the read loop does not care which.

use super::complete::CompletionWords;
use super::driver::Driver;
use super::session::Session;

/// Where the REPL's statements run.
pub trait Backend {
    /// Runs every statement of `text` and prints what they did; true when all succeeded.
    fn run_text(&self, text: &str) -> bool;
    /// After a statement: refresh the completion words, report background failures.
    fn after_statement(&self, words: &CompletionWords);
}

/// The engine in this process, kept running by a driver thread.
pub struct LocalBackend {
    pub session: Session,
    pub driver: Driver,
}

impl Backend for LocalBackend {
    fn run_text(&self, text: &str) -> bool {
        self.session.run_text(text)
    }

    fn after_statement(&self, words: &CompletionWords) {
        if let Some(failure) = self.driver.take_failure() {
            eprintln!("A persistent query failed: {failure}");
        }
        words.refresh(&self.session.engine.lock());
    }
}
