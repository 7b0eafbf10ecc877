//! LineEditor: the REPL's terminal input through rustyline: editing, history kept in a
//! file, Tab completion, and statements spanning lines until their `;`. Outside
//! `read_line` the terminal is in its normal mode, so Ctrl-C during a statement reaches
//! the process as SIGINT.

use std::io;
use std::path::PathBuf;

use rustyline::Editor;
use rustyline::config::{CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;

use super::complete::CompletionWords;
use super::sql_helper::SqlHelper;

/// How many statements the history file keeps.
const HISTORY_SIZE: usize = 1000;

/// What reading a line ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadLine {
    /// What was typed: a REPL command, or text ending with a statement's `;` (it may
    /// span several lines).
    Line(String),
    /// Ctrl-C: the input typed so far is dropped.
    Interrupted,
    /// Ctrl-D on an empty line.
    Eof,
}

/// Line editing with history (kept in `history_file`) and completion.
pub struct LineEditor {
    editor: Editor<SqlHelper, DefaultHistory>,
    history_file: PathBuf,
}

impl LineEditor {
    /// An editor whose history is read from (and appended to) `history_file`.
    pub fn new(history_file: PathBuf, words: CompletionWords) -> io::Result<Self> {
        let config = Config::builder()
            .completion_type(CompletionType::List)
            .auto_add_history(false)
            .max_history_size(HISTORY_SIZE)
            .map_err(readline_io)?
            .history_ignore_dups(true)
            .map_err(readline_io)?
            .build();
        let mut editor = Editor::with_config(config).map_err(readline_io)?;
        editor.set_helper(Some(SqlHelper::new(words)));
        // A first session has no history yet; an unreadable one is only worth a warning.
        if history_file.exists()
            && let Err(err) = editor.load_history(&history_file)
        {
            eprintln!(
                "warning: cannot read history {}: {err}",
                history_file.display()
            );
        }
        Ok(LineEditor {
            editor,
            history_file,
        })
    }

    /// Records a statement in the history and appends it to the history file.
    pub fn add_history(&mut self, entry: &str) {
        let entry = entry.trim();
        if entry.is_empty() {
            return;
        }
        let added = self
            .editor
            .add_history_entry(entry)
            .and_then(|_| self.editor.append_history(&self.history_file));
        if let Err(err) = added {
            eprintln!(
                "warning: cannot write history {}: {err}",
                self.history_file.display()
            );
        }
    }

    /// Reads input until it ends a statement (Enter before the `;` opens a new line).
    pub fn read_line(&mut self, prompt: &str) -> io::Result<ReadLine> {
        match self.editor.readline(prompt) {
            Ok(line) => Ok(ReadLine::Line(line)),
            Err(ReadlineError::Interrupted) => Ok(ReadLine::Interrupted),
            Err(ReadlineError::Eof) => Ok(ReadLine::Eof),
            Err(err) => Err(readline_io(err)),
        }
    }
}

fn readline_io(err: ReadlineError) -> io::Error {
    match err {
        ReadlineError::Io(err) => err,
        other => io::Error::other(other.to_string()),
    }
}
