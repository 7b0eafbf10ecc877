//! LineEditor: a small line editor for a terminal put in raw mode with `stty`: typing,
//! Backspace, Left/Right, Home/End, Up/Down through history, Tab completion, Ctrl-C and
//! Ctrl-D. Outside `read_line` the terminal is in its normal mode, so Ctrl-C during a
//! statement reaches the process as SIGINT.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::complete::{CompletionWords, complete_at};

/// What reading a line ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadLine {
    Line(String),
    /// Ctrl-C: the line typed so far is dropped.
    Interrupted,
    /// Ctrl-D on an empty line.
    Eof,
}

/// Runs `stty` on the terminal (our stdin) and returns what it prints.
fn stty(args: &[&str]) -> io::Result<String> {
    let output = Command::new("stty")
        .args(args)
        .stdin(Stdio::inherit())
        .stderr(Stdio::null())
        .output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!("stty {} failed", args.join(" "))));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// The terminal in raw mode until dropped, when its previous settings come back.
struct RawMode {
    saved: String,
}

impl RawMode {
    fn enter() -> io::Result<RawMode> {
        let saved = stty(&["-g"])?;
        stty(&["raw", "-echo"])?;
        Ok(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = stty(&[&self.saved]);
    }
}

/// A key as decoded from the terminal's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Char(char),
    Enter,
    Backspace,
    Delete,
    Tab,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    CtrlC,
    CtrlD,
    CtrlU,
    Ignored,
}

/// Line editing with history (kept in `history_file`) and completion.
pub struct LineEditor {
    history: Vec<String>,
    history_file: PathBuf,
    words: CompletionWords,
}

impl LineEditor {
    /// An editor whose history is read from (and appended to) `history_file`.
    pub fn new(history_file: PathBuf, words: CompletionWords) -> Self {
        let history = std::fs::read_to_string(&history_file)
            .map(|text| text.lines().map(str::to_string).collect())
            .unwrap_or_default();
        LineEditor {
            history,
            history_file,
            words,
        }
    }

    /// Records a statement in the history and its file (one line per entry).
    pub fn add_history(&mut self, entry: &str) {
        let entry = entry.split_whitespace().collect::<Vec<_>>().join(" ");
        if entry.is_empty() || self.history.last() == Some(&entry) {
            return;
        }
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.history_file)
            .and_then(|mut f| writeln!(f, "{entry}"));
        if let Err(err) = appended {
            eprintln!(
                "warning: cannot write history {}: {err}",
                self.history_file.display()
            );
        }
        self.history.push(entry);
    }

    /// Reads one line, editing it in raw mode.
    pub fn read_line(&mut self, prompt: &str) -> io::Result<ReadLine> {
        let _raw = RawMode::enter()?;
        let mut out = io::stdout();
        let mut line: Vec<char> = Vec::new();
        let mut cursor = 0usize;
        let mut browsing = self.history.len();
        let mut draft: Vec<char> = Vec::new();
        redraw(&mut out, prompt, &line, cursor)?;
        loop {
            let key = read_key()?;
            match key {
                Key::Enter => {
                    write!(out, "\r\n")?;
                    out.flush()?;
                    return Ok(ReadLine::Line(line.into_iter().collect()));
                }
                Key::CtrlC => {
                    write!(out, "^C\r\n")?;
                    out.flush()?;
                    return Ok(ReadLine::Interrupted);
                }
                Key::CtrlD if line.is_empty() => {
                    write!(out, "\r\n")?;
                    out.flush()?;
                    return Ok(ReadLine::Eof);
                }
                Key::CtrlD | Key::Delete => {
                    if cursor < line.len() {
                        line.remove(cursor);
                    }
                }
                Key::Char(c) => {
                    line.insert(cursor, c);
                    cursor += 1;
                }
                Key::Backspace => {
                    if cursor > 0 {
                        cursor -= 1;
                        line.remove(cursor);
                    }
                }
                Key::CtrlU => {
                    line.drain(..cursor);
                    cursor = 0;
                }
                Key::Left => cursor = cursor.saturating_sub(1),
                Key::Right => cursor = (cursor + 1).min(line.len()),
                Key::Home => cursor = 0,
                Key::End => cursor = line.len(),
                Key::Up if browsing > 0 => {
                    if browsing == self.history.len() {
                        draft = line.clone();
                    }
                    browsing -= 1;
                    line = self.history[browsing].chars().collect();
                    cursor = line.len();
                }
                Key::Down if browsing < self.history.len() => {
                    browsing += 1;
                    line = match self.history.get(browsing) {
                        Some(entry) => entry.chars().collect(),
                        None => draft.clone(),
                    };
                    cursor = line.len();
                }
                Key::Tab => {
                    cursor = self.complete(&mut out, &mut line, cursor)?;
                }
                Key::Up | Key::Down | Key::Ignored => {}
            }
            redraw(&mut out, prompt, &line, cursor)?;
        }
    }

    /// Completes the word before the cursor: the whole word when one candidate fits,
    /// their common prefix otherwise, listing them when that adds nothing.
    fn complete(
        &self,
        out: &mut impl Write,
        line: &mut Vec<char>,
        cursor: usize,
    ) -> io::Result<usize> {
        let text: String = line[..cursor].iter().collect();
        let (start, candidates) = complete_at(&self.words, &text, text.len());
        let typed = &text[start..];
        let Some(first) = candidates.first() else {
            return Ok(cursor);
        };
        let common = candidates.iter().fold(first.clone(), |prefix, c| {
            prefix
                .chars()
                .zip(c.chars())
                .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
                .map(|(a, _)| a)
                .collect()
        });
        let replacement = if candidates.len() == 1 {
            format!("{first} ")
        } else {
            common
        };
        if replacement.chars().count() <= typed.chars().count() && candidates.len() > 1 {
            write!(out, "\r\n{}\r\n", candidates.join("  "))?;
            return Ok(cursor);
        }
        let start_chars = text[..start].chars().count();
        line.splice(start_chars..cursor, replacement.chars());
        Ok(start_chars + replacement.chars().count())
    }
}

fn redraw(out: &mut impl Write, prompt: &str, line: &[char], cursor: usize) -> io::Result<()> {
    let text: String = line.iter().collect();
    write!(out, "\r{prompt}{text}\x1b[K")?;
    let back = line.len() - cursor;
    if back > 0 {
        write!(out, "\x1b[{back}D")?;
    }
    out.flush()
}

fn read_byte() -> io::Result<Option<u8>> {
    let mut byte = [0u8; 1];
    match io::stdin().lock().read(&mut byte)? {
        0 => Ok(None),
        _ => Ok(Some(byte[0])),
    }
}

/// Reads one key: a byte, an escape sequence or a UTF-8 character.
fn read_key() -> io::Result<Key> {
    let Some(first) = read_byte()? else {
        return Ok(Key::CtrlD);
    };
    Ok(match first {
        b'\r' | b'\n' => Key::Enter,
        0x03 => Key::CtrlC,
        0x04 => Key::CtrlD,
        0x15 => Key::CtrlU,
        0x01 => Key::Home,
        0x05 => Key::End,
        0x7f | 0x08 => Key::Backspace,
        b'\t' => Key::Tab,
        0x1b => match read_byte()? {
            Some(b'[') | Some(b'O') => match read_byte()? {
                Some(b'A') => Key::Up,
                Some(b'B') => Key::Down,
                Some(b'C') => Key::Right,
                Some(b'D') => Key::Left,
                Some(b'H') => Key::Home,
                Some(b'F') => Key::End,
                Some(b'3') => {
                    let _ = read_byte()?;
                    Key::Delete
                }
                _ => Key::Ignored,
            },
            _ => Key::Ignored,
        },
        b if b < 0x20 => Key::Ignored,
        b if b < 0x80 => Key::Char(char::from(b)),
        lead => {
            let width = match lead {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let mut bytes = vec![lead];
            for _ in 1..width {
                match read_byte()? {
                    Some(b) => bytes.push(b),
                    None => break,
                }
            }
            match std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| s.chars().next())
            {
                Some(c) => Key::Char(c),
                None => Key::Ignored,
            }
        }
    })
}
