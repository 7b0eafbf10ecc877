//! The REPL's backend seam: statements run on a local engine (with its driver
//! thread) or on a Runnel server over HTTP; the read loop does not care which.

use super::complete::CompletionWords;
use super::driver::Driver;
use super::session::Session;

/// How deeply `RUN SCRIPT` may nest, so that a script running itself stops.
const MAX_SCRIPT_DEPTH: usize = 8;

/// `RUN SCRIPT path` at nesting `depth`: reads the file (on the client's side, also for
/// a remote backend) and hands its text to `run_at` one level deeper.
pub fn run_script(
    path: &str,
    depth: usize,
    run_at: impl FnOnce(&str, usize) -> bool,
) -> Result<(), String> {
    if depth >= MAX_SCRIPT_DEPTH {
        return Err(format!(
            "RUN SCRIPT nests deeper than {MAX_SCRIPT_DEPTH} scripts: {path}"
        ));
    }
    let text = std::fs::read_to_string(std::path::Path::new(path))
        .map_err(|e| format!("cannot read script {path}: {e}"))?;
    if run_at(&text, depth + 1) {
        Ok(())
    } else {
        Err(format!("script {path} had failing statements"))
    }
}

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
