//! SqlHelper: what rustyline asks of the REPL: completions of the word at the cursor,
//! and whether Enter ends the input (a `;`, a REPL command) or starts a new line.

use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use super::complete::{CompletionWords, complete_at};
use super::input::{command, ends_statement};

/// The REPL's rustyline helper: completion from [`CompletionWords`], multi-line input
/// until a statement ends.
pub struct SqlHelper {
    words: CompletionWords,
}

impl SqlHelper {
    pub fn new(words: CompletionWords) -> Self {
        SqlHelper { words }
    }
}

/// Whether Enter should hand `input` to the REPL rather than open another line: blank
/// input, a REPL command (`help`, `exit`) or text ending a statement with `;`.
pub fn input_is_complete(input: &str) -> bool {
    input.trim().is_empty() || command(input).is_some() || ends_statement(input)
}

impl Completer for SqlHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(complete_at(&self.words, line, pos))
    }
}

impl Validator for SqlHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if input_is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

impl Hinter for SqlHelper {
    type Hint = String;
}

/// No colours: statements and prompts show as typed.
impl Highlighter for SqlHelper {}

impl Helper for SqlHelper {}

#[cfg(test)]
mod tests {
    use super::*;
    use rustyline::history::DefaultHistory;

    #[test]
    fn enter_ends_input_only_at_a_statement_end_or_a_command() {
        assert!(input_is_complete("SHOW STREAMS;"));
        assert!(input_is_complete("SELECT *\nFROM s;"));
        assert!(input_is_complete("exit"));
        assert!(input_is_complete("   "));
        assert!(!input_is_complete("SELECT *"));
        assert!(!input_is_complete("SELECT ';'"));
    }

    #[test]
    fn completion_replaces_the_word_at_the_cursor() {
        let helper = SqlHelper::new(CompletionWords::default());
        let history = DefaultHistory::new();
        let (start, candidates) = helper
            .complete("SHOW QUERI", 10, &Context::new(&history))
            .expect("complete");
        assert_eq!(start, 5);
        assert_eq!(candidates, vec!["QUERIES".to_string()]);
    }
}
