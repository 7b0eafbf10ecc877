//! Comparing produced records with a test case's expected records, with a readable diff.

use std::fmt::Write as _;

use serde_json::Value;

use super::model::WindowSpec;

/// A record as the comparison sees it: everything already turned into JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRecord {
    pub topic: String,
    pub key: Value,
    pub value: Value,
    pub timestamp: i64,
    pub window: Option<WindowSpec>,
}

/// An expected record; `timestamp` and `window` are only compared when the file gives them.
#[derive(Debug, Clone)]
pub struct ExpectedRecord {
    pub topic: String,
    pub key: Value,
    pub value: Value,
    pub timestamp: Option<i64>,
    pub window: Option<WindowSpec>,
}

/// JSON equality as ksqlDB's test runner applies it: numbers are equal when their values
/// are (`1` equals `1.0`), objects regardless of field order. ksqlDB reads the expected
/// record through the sink's JSON deserializer, which matches field names regardless of
/// case and reads a field it does not find as NULL: so does this comparison.
pub fn json_equal(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => match (e.as_i64(), a.as_i64()) {
            (Some(e), Some(a)) => e == a,
            _ => match (e.as_f64(), a.as_f64()) {
                (Some(e), Some(a)) => e == a || (e - a).abs() <= f64::EPSILON * e.abs().max(1.0),
                _ => e == a,
            },
        },
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| json_equal(e, a))
        }
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter().all(|(k, ev)| {
                    let found = a.get(k).or_else(|| {
                        a.iter()
                            .find(|(ak, _)| ak.eq_ignore_ascii_case(k))
                            .map(|(_, av)| av)
                    });
                    json_equal(ev, found.unwrap_or(&Value::Null))
                })
                && a.iter()
                    .all(|(k, av)| av.is_null() || e.keys().any(|ek| ek.eq_ignore_ascii_case(k)))
        }
        _ => expected == actual,
    }
}

impl ExpectedRecord {
    pub fn matches(&self, actual: &ObservedRecord) -> bool {
        self.topic == actual.topic
            && json_equal(&self.key, &actual.key)
            && json_equal(&self.value, &actual.value)
            && self.timestamp.is_none_or(|t| t == actual.timestamp)
            && self
                .window
                .as_ref()
                .is_none_or(|w| Some(w) == actual.window.as_ref())
    }
}

fn describe_expected(r: &ExpectedRecord) -> String {
    let mut s = format!("{} key={} value={}", r.topic, r.key, r.value);
    if let Some(t) = r.timestamp {
        let _ = write!(s, " timestamp={t}");
    }
    if let Some(w) = &r.window {
        let _ = write!(s, " window=[{}, {}) {}", w.start, w.end, w.kind);
    }
    s
}

fn describe_observed(r: &ObservedRecord) -> String {
    let mut s = format!(
        "{} key={} value={} timestamp={}",
        r.topic, r.key, r.value, r.timestamp
    );
    if let Some(w) = &r.window {
        let _ = write!(s, " window=[{}, {}) {}", w.start, w.end, w.kind);
    }
    s
}

/// Compares the records of the topics named in `expected` (in order, per topic, as
/// ksqlDB does), returning `None` when they match and a line-by-line diff otherwise.
pub fn diff_records(expected: &[ExpectedRecord], actual: &[ObservedRecord]) -> Option<String> {
    let mut topics: Vec<&str> = Vec::new();
    for r in expected {
        if !topics.contains(&r.topic.as_str()) {
            topics.push(&r.topic);
        }
    }
    let mut out = String::new();
    for topic in topics {
        let exp: Vec<_> = expected.iter().filter(|r| r.topic == topic).collect();
        let act: Vec<_> = actual.iter().filter(|r| r.topic == topic).collect();
        let mismatch = exp.len() != act.len() || exp.iter().zip(&act).any(|(e, a)| !e.matches(a));
        if !mismatch {
            continue;
        }
        let _ = writeln!(
            out,
            "  topic {topic}: expected {} records, got {}",
            exp.len(),
            act.len()
        );
        for i in 0..exp.len().max(act.len()) {
            match (exp.get(i), act.get(i)) {
                (Some(e), Some(a)) if e.matches(a) => {
                    let _ = writeln!(out, "      #{i} {}", describe_observed(a));
                }
                (Some(e), Some(a)) => {
                    let _ = writeln!(out, "    - #{i} {}", describe_expected(e));
                    let _ = writeln!(out, "    + #{i} {}", describe_observed(a));
                }
                (Some(e), None) => {
                    let _ = writeln!(out, "    - #{i} {}", describe_expected(e));
                }
                (None, Some(a)) => {
                    let _ = writeln!(out, "    + #{i} {}", describe_observed(a));
                }
                (None, None) => {}
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn observed(key: Value, value: Value, timestamp: i64) -> ObservedRecord {
        ObservedRecord {
            topic: "OUT".into(),
            key,
            value,
            timestamp,
            window: None,
        }
    }

    fn expected(key: Value, value: Value, timestamp: Option<i64>) -> ExpectedRecord {
        ExpectedRecord {
            topic: "OUT".into(),
            key,
            value,
            timestamp,
            window: None,
        }
    }

    #[test]
    fn numbers_compare_by_value_and_objects_ignore_field_order() {
        assert!(json_equal(
            &json!({"A": 1, "B": [1.0, "x"]}),
            &json!({"B": [1, "x"], "A": 1.0})
        ));
        assert!(!json_equal(&json!({"A": 1}), &json!({"A": 1, "B": null})));
        assert!(json_equal(&json!({"val": 1.5}), &json!({"VAL": 1.5})));
        assert!(json_equal(
            &json!({"MISSING": null}),
            &json!({"OTHER": null})
        ));
        assert!(!json_equal(&json!({"MISSING": null}), &json!({"OTHER": 1})));
        assert!(!json_equal(&json!(1), &json!("1")));
        assert!(!json_equal(&json!(1.5), &json!(1.25)));
    }

    #[test]
    fn timestamp_is_compared_only_when_expected() {
        let actual = [observed(json!(1), json!({"C": 2}), 99)];
        assert!(diff_records(&[expected(json!(1), json!({"C": 2}), None)], &actual).is_none());
        assert!(diff_records(&[expected(json!(1), json!({"C": 2}), Some(99))], &actual).is_none());
        assert!(diff_records(&[expected(json!(1), json!({"C": 2}), Some(98))], &actual).is_some());
    }

    #[test]
    fn diff_marks_mismatched_missing_and_extra_records() {
        let exp = [
            expected(json!(1), json!({"C": 1}), None),
            expected(json!(2), json!({"C": 2}), None),
        ];
        let act = [
            observed(json!(1), json!({"C": 1}), 0),
            observed(json!(2), json!({"C": 3}), 0),
            observed(json!(3), Value::Null, 0),
        ];
        let diff = diff_records(&exp, &act).expect("a difference");
        assert!(diff.contains("expected 2 records, got 3"), "{diff}");
        assert!(diff.contains("- #1 OUT key=2 value={\"C\":2}"), "{diff}");
        assert!(diff.contains("+ #1 OUT key=2 value={\"C\":3}"), "{diff}");
        assert!(diff.contains("+ #2 OUT key=3 value=null"), "{diff}");
        assert!(diff.contains("      #0 OUT key=1"), "{diff}");
    }
}
