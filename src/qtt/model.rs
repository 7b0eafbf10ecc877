//! The QTT and RQTT test-file formats of ksqlDB, as serde types.
//!
//! A QTT file (`query-validation-tests/*.json`) runs statements, feeds input records to
//! topics and compares the records that appear on output topics; an RQTT file
//! (`rest-query-validation-tests/*.json`) also compares the responses of each statement,
//! which is how pull queries are checked. Both share this model: a case has `outputs` or
//! `responses` (or both) and, where a statement must fail, `expectedException` (QTT) or
//! `expectedError` (RQTT).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// One test file: a list of cases.
#[derive(Debug, Clone, Deserialize)]
pub struct TestFile {
    pub tests: Vec<TestCase>,
}

/// One test case as written in the file (before `format` expansion).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestCase {
    pub name: String,
    pub statements: Vec<String>,
    /// When present, the case is run once per format, with `{FORMAT}` in the statements
    /// replaced by it.
    #[serde(default)]
    pub format: Vec<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, Value>,
    /// Topics declared up front, with schemas for formats that need a registry.
    #[serde(default)]
    pub topics: Vec<TopicSpec>,
    #[serde(default)]
    pub inputs: Vec<RecordSpec>,
    #[serde(default)]
    pub outputs: Option<Vec<RecordSpec>>,
    #[serde(default)]
    pub responses: Option<Vec<Value>>,
    #[serde(default)]
    pub expected_exception: Option<ExpectedError>,
    #[serde(default)]
    pub expected_error: Option<ExpectedError>,
    #[serde(default)]
    pub post: Option<PostConditions>,
    /// `false` marks a case upstream does not run either.
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicSpec {
    pub name: String,
    #[serde(default)]
    pub partitions: Option<u32>,
    /// A format name, or an object `{"format": .., "features": [..], ..}`.
    #[serde(default)]
    pub key_format: Option<Value>,
    #[serde(default)]
    pub value_format: Option<Value>,
    #[serde(default)]
    pub format: Option<Value>,
    #[serde(default)]
    pub key_schema: Option<Value>,
    #[serde(default)]
    pub value_schema: Option<Value>,
    #[serde(default)]
    pub key_schema_id: Option<Value>,
    #[serde(default)]
    pub value_schema_id: Option<Value>,
}

/// An input or expected output record.
///
/// Runnel's own extension: an input `{"restart": true}` (no topic) stops the engine
/// after it has processed the inputs before it and opens a new one on the same log,
/// which replays the catalog and restores the queries' state, before the next input.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordSpec {
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub restart: bool,
    #[serde(default)]
    pub key: Option<Value>,
    #[serde(default)]
    pub value: Value,
    #[serde(default)]
    pub timestamp: Option<i64>,
    #[serde(default)]
    pub window: Option<WindowSpec>,
    #[serde(default)]
    pub headers: Option<Vec<HeaderSpec>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WindowSpec {
    pub start: i64,
    pub end: i64,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HeaderSpec {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// What a failing statement must report: the Java exception type and a message fragment.
#[derive(Debug, Clone, Deserialize)]
pub struct ExpectedError {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PostConditions {
    #[serde(default)]
    pub sources: Vec<SourceSpec>,
    #[serde(default)]
    pub topics: Option<TopicConditions>,
}

/// An expected catalog entry after the statements ran.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub key_format: Option<Value>,
    #[serde(default)]
    pub value_format: Option<Value>,
    #[serde(default)]
    pub key_features: Option<Vec<String>>,
    #[serde(default)]
    pub value_features: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TopicConditions {
    /// A regex of topic names that must not exist.
    #[serde(default)]
    pub blacklist: Option<String>,
    #[serde(default)]
    pub topics: Vec<TopicSpec>,
}

impl TestCase {
    /// The concrete cases this entry stands for: one per `format`, or itself.
    pub fn expand(&self) -> Vec<TestCase> {
        if self.format.is_empty() {
            return vec![self.clone()];
        }
        self.format
            .iter()
            .map(|format| {
                let mut case = self.clone();
                case.name = format!("{} - {format}", self.name);
                case.statements = self
                    .statements
                    .iter()
                    .map(|s| s.replace("{FORMAT}", format))
                    .collect();
                case.format = Vec::new();
                case
            })
            .collect()
    }

    /// The expected failure, from either file format.
    pub fn expected_failure(&self) -> Option<&ExpectedError> {
        self.expected_exception
            .as_ref()
            .or(self.expected_error.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_corpus_file_deserializes_and_expands() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/ksql-qtt");
        let mut files = 0;
        let mut cases = 0;
        for dir in [root.to_string(), format!("{root}/rest")] {
            for entry in std::fs::read_dir(&dir).expect("corpus folder") {
                let path = entry.expect("dir entry").path();
                if path.extension().is_some_and(|e| e == "json") {
                    let text = std::fs::read_to_string(&path).expect("readable");
                    let file: TestFile = serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    files += 1;
                    cases += file.tests.iter().map(|c| c.expand().len()).sum::<usize>();
                }
            }
        }
        assert_eq!(files, 40);
        assert_eq!(cases, 1136, "one case per listed format, else one");
    }
}
