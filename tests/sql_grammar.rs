//! Checks grammar/runnel.ebnf against the parser: productions defined and used, each
//! implemented by a function marked `/// Grammar: name`, and every `queries/*.sql` parses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The grammar with `(* comments *)`, `"terminals"` and `? special sequences ?` removed.
fn strip_grammar(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' if chars.peek() == Some(&'*') => {
                let mut prev = ' ';
                for c in chars.by_ref() {
                    if prev == '*' && c == ')' {
                        break;
                    }
                    prev = c;
                }
                out.push(' ');
            }
            '"' | '?' => {
                for inner in chars.by_ref() {
                    if inner == c {
                        break;
                    }
                }
                out.push(' ');
            }
            other => out.push(other),
        }
    }
    out
}

/// Production name -> the names its definition mentions.
fn productions() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("grammar/runnel.ebnf"))
        .expect("grammar/runnel.ebnf is readable");
    let stripped = strip_grammar(&text);
    let mut rules = BTreeMap::new();
    for rule in stripped.split(';') {
        let Some((name, body)) = rule.split_once('=') else {
            assert!(rule.trim().is_empty(), "not a production: {rule:?}");
            continue;
        };
        let name = name.trim().to_string();
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "bad production name {name:?}"
        );
        let used: BTreeSet<String> = body
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        assert!(
            rules.insert(name.clone(), used).is_none(),
            "{name} defined twice"
        );
    }
    rules
}

/// Names on `/// Grammar: name` lines under src/sql.
fn grammar_tags(dir: &Path, tags: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).expect("source folder is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            grammar_tags(&path, tags);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source is readable");
            for line in text.lines() {
                if let Some(name) = line.trim().strip_prefix("/// Grammar:") {
                    tags.push((name.trim().to_string(), path.clone()));
                }
            }
        }
    }
}

#[test]
fn every_production_is_defined_used_and_implemented() {
    let rules = productions();
    assert!(
        rules.len() > 40,
        "the grammar has only {} productions",
        rules.len()
    );
    let mut used = BTreeSet::new();
    for (name, refs) in &rules {
        for r in refs {
            assert!(
                rules.contains_key(r),
                "{name} uses undefined production {r}"
            );
            if r != name {
                used.insert(r.clone());
            }
        }
    }
    for name in rules.keys() {
        assert!(
            name == "statements" || used.contains(name),
            "production {name} is never used"
        );
    }
    let mut tags = Vec::new();
    grammar_tags(&Path::new(ROOT).join("src/sql"), &mut tags);
    let mut tagged = BTreeSet::new();
    for (name, path) in &tags {
        assert!(
            rules.contains_key(name),
            "{} names unknown production {name}",
            path.display()
        );
        assert!(
            tagged.insert(name.clone()),
            "production {name} is tagged twice"
        );
    }
    for name in rules.keys() {
        assert!(
            tagged.contains(name),
            "no parser function is tagged `/// Grammar: {name}`"
        );
    }
}

#[test]
fn every_query_file_parses() {
    let dir = Path::new(ROOT).join("queries");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "sql") {
            let text = std::fs::read_to_string(&path).expect("query file is readable");
            if let Err(err) = runnel::sql::parse_statements(&text) {
                panic!("{}: {err}", path.display());
            }
        }
    }
}
