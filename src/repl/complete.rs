//! Tab completion of keywords, streams, tables, columns, functions and query ids.

use std::sync::Arc;

use parking_lot::RwLock;

use crate::engine::Engine;

/// The statement and clause words of the dialect, offered at any position.
const KEYWORDS: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "ASSERT",
    "BEGINNING",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CHANGES",
    "CREATE",
    "DEFINE",
    "DELETE",
    "DESCRIBE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "EMIT",
    "END",
    "EXISTS",
    "EXPLAIN",
    "EXTENDED",
    "FALSE",
    "FINAL",
    "FROM",
    "FULL",
    "FUNCTION",
    "FUNCTIONS",
    "GRACE",
    "GROUP",
    "HAVING",
    "HOPPING",
    "IF",
    "IN",
    "INNER",
    "INSERT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "KEY",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LIST",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "OUTER",
    "PARTITION",
    "PAUSE",
    "PERIOD",
    "PRIMARY",
    "PRINT",
    "PROPERTIES",
    "QUERIES",
    "REPLACE",
    "RESUME",
    "RETENTION",
    "RIGHT",
    "RUN",
    "SCRIPT",
    "SELECT",
    "SESSION",
    "SET",
    "SHOW",
    "SIZE",
    "SOURCE",
    "STREAM",
    "STREAMS",
    "STRUCT",
    "TABLE",
    "TABLES",
    "TERMINATE",
    "THEN",
    "TOPIC",
    "TOPICS",
    "TRUE",
    "TUMBLING",
    "TYPE",
    "TYPES",
    "UNSET",
    "VALUES",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WINDOWEND",
    "WINDOWSTART",
    "WITH",
    "WITHIN",
    "ROWTIME",
    "ROWOFFSET",
    "ROWPARTITION",
    "EXIT",
    "HELP",
];

/// The names the engine knows now, refreshed by the REPL after each statement.
#[derive(Debug, Default, Clone)]
pub struct CompletionWords {
    words: Arc<RwLock<Vec<String>>>,
}

impl CompletionWords {
    /// Replaces the known names with the engine's current ones.
    pub fn refresh(&self, engine: &Engine) {
        let mut words: Vec<String> = Vec::new();
        for source in engine.catalog().sources() {
            words.push(source.name.clone());
            words.push(source.topic.clone());
            words.extend(source.schema.columns.iter().map(|c| c.name.clone()));
        }
        words.extend(engine.queries().map(|q| q.info.id.clone()));
        words.extend(engine.function_names());
        self.replace(words);
    }

    /// Replaces the known names with `words` (a server's names, for a remote REPL).
    pub fn replace(&self, mut words: Vec<String>) {
        words.sort();
        words.dedup();
        *self.words.write() = words;
    }

    /// Every keyword and name that starts with `prefix` (any case), in the case the
    /// user is typing for keywords.
    pub fn candidates(&self, prefix: &str) -> Vec<String> {
        if prefix.is_empty() {
            return Vec::new();
        }
        let upper = prefix.to_ascii_uppercase();
        let lower_typed = prefix.chars().all(|c| !c.is_ascii_uppercase());
        let mut out: Vec<String> = KEYWORDS
            .iter()
            .filter(|k| k.starts_with(&upper))
            .map(|k| {
                if lower_typed {
                    k.to_ascii_lowercase()
                } else {
                    k.to_string()
                }
            })
            .collect();
        out.extend(
            self.words
                .read()
                .iter()
                .filter(|w| w.to_ascii_uppercase().starts_with(&upper))
                .cloned(),
        );
        out.sort();
        out.dedup();
        out
    }
}

/// Where the word being typed at byte `pos` of `line` starts, and the completions
/// of that word.
pub fn complete_at(words: &CompletionWords, line: &str, pos: usize) -> (usize, Vec<String>) {
    let before = line.get(..pos).unwrap_or(line);
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    (start, words.candidates(&before[start..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_keywords_in_the_case_typed_and_known_names() {
        let words = CompletionWords::default();
        *words.words.write() = vec!["PAGEVIEWS".to_string(), "PAGEVIEWS_BY_USER".to_string()];
        assert!(words.candidates("sel").contains(&"select".to_string()));
        assert!(words.candidates("SEL").contains(&"SELECT".to_string()));
        assert_eq!(
            words.candidates("pagev"),
            vec!["PAGEVIEWS".to_string(), "PAGEVIEWS_BY_USER".to_string()]
        );
        assert!(words.candidates("").is_empty());
        let (start, found) = complete_at(&words, "SELECT * FROM pagev", 19);
        assert_eq!(start, 14);
        assert_eq!(found.len(), 2);
    }
}
