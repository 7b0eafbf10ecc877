//! Collects typed lines into whole statements: a statement ends at a `;` outside
//! quotes and comments, so a statement may span lines and a line may hold several.

/// REPL commands that are not SQL and need no `;`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Help,
    Exit,
}

/// What a line typed at an empty prompt means when it is a REPL command.
pub fn command(line: &str) -> Option<Command> {
    let word = line
        .trim()
        .trim_end_matches(';')
        .trim()
        .to_ascii_lowercase();
    match word.as_str() {
        "help" | "?" => Some(Command::Help),
        "exit" | "quit" | "\\q" => Some(Command::Exit),
        _ => None,
    }
}

/// Lines typed so far that do not yet end a statement.
#[derive(Debug, Default)]
pub struct StatementBuffer {
    text: String,
}

impl StatementBuffer {
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    pub fn clear(&mut self) {
        self.text.clear();
    }

    /// Adds a line; returns the complete statements' text when the buffer now ends with
    /// a `;` (outside quotes and comments), leaving the buffer empty.
    pub fn push_line(&mut self, line: &str) -> Option<String> {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(line);
        if ends_statement(&self.text) {
            Some(std::mem::take(&mut self.text))
        } else {
            None
        }
    }

    /// What is left when input ends (a last statement without `;`).
    pub fn take_rest(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.text);
        (!rest.trim().is_empty()).then_some(rest)
    }
}

/// Whether `text`'s last significant character (outside quotes and comments) is `;`.
pub fn ends_statement(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut last_significant = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' | '`' => {
                // A quote doubled inside the literal escapes it.
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return false,
                        Some(q) if *q == c => {
                            if chars.get(i + 1) == Some(&c) {
                                i += 2;
                                continue;
                            }
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                last_significant = Some(c);
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                if i >= chars.len() {
                    return false;
                }
                i += 1;
            }
            c if c.is_whitespace() => {}
            c => last_significant = Some(c),
        }
        i += 1;
    }
    last_significant == Some(';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_ends_at_a_semicolon_outside_quotes_and_comments() {
        assert!(ends_statement("SHOW STREAMS;"));
        assert!(ends_statement("SELECT 1\nFROM s; -- done"));
        assert!(!ends_statement("SELECT ';'"));
        assert!(!ends_statement("SELECT 'it''s;"));
        assert!(!ends_statement("SELECT 1 /* ; */"));
        assert!(!ends_statement("SELECT 1 -- ;"));
    }

    #[test]
    fn lines_accumulate_until_the_statement_ends() {
        let mut buffer = StatementBuffer::default();
        assert_eq!(buffer.push_line("SELECT *"), None);
        assert_eq!(
            buffer.push_line("FROM s;").as_deref(),
            Some("SELECT *\nFROM s;")
        );
        assert!(buffer.is_empty());
        assert_eq!(buffer.push_line("SHOW"), None);
        assert_eq!(buffer.take_rest().as_deref(), Some("SHOW"));
    }

    #[test]
    fn commands_need_no_semicolon() {
        assert_eq!(command(" EXIT "), Some(Command::Exit));
        assert_eq!(command("help;"), Some(Command::Help));
        assert_eq!(command("SHOW STREAMS;"), None);
    }
}
