//! Feeds the format cases of ksqlDB's QTT corpus (pass-through streams and schema errors)
//! through the format layer and compares with the expected records and messages.
//!
//! A case qualifies when it is `CREATE STREAM src (...) WITH (...)` optionally followed by
//! `CREATE STREAM sink [WITH (...)] AS SELECT <all columns> FROM src`: then each input is
//! decoded with the source formats, re-encoded with the sink formats and compared.

use std::collections::BTreeMap;
use std::path::Path;

use runnel::format::{
    Column, FormatError, FormatKind, FormatSpec, RecordDecoder, RecordEncoder, SerdePart,
    bytes_to_test_value, test_value_to_bytes,
};
use runnel::sql::{SqlType, StructField};
use serde_json::Value;

const CORPUS: &str = "/work/shared/ksql-qtt";

// ---- a tiny reader of the statements these cases use ----

fn split_top_level(text: &str, sep: char) -> Vec<String> {
    let (mut depth, mut quoted, mut parts, mut current) = (0i32, false, Vec::new(), String::new());
    for c in text.chars() {
        match c {
            '\'' => quoted = !quoted,
            '<' | '(' if !quoted => depth += 1,
            '>' | ')' if !quoted => depth -= 1,
            c if c == sep && depth == 0 && !quoted => {
                parts.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_string());
    }
    parts
}

fn identifier(raw: &str) -> String {
    match raw.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        Some(quoted) => quoted.to_string(),
        None => raw.to_ascii_uppercase(),
    }
}

fn parse_type(raw: &str) -> Option<SqlType> {
    let raw = raw.trim();
    let upper = raw.to_ascii_uppercase();
    let inner = |prefix: &str| {
        upper
            .starts_with(prefix)
            .then(|| raw[prefix.len()..raw.len() - 1].to_string())
    };
    if let Some(item) = inner("ARRAY<") {
        return Some(SqlType::Array(Box::new(parse_type(&item)?)));
    }
    if let Some(kv) = inner("MAP<") {
        let parts = split_top_level(&kv, ',');
        return Some(SqlType::Map(
            Box::new(parse_type(parts.first()?)?),
            Box::new(parse_type(parts.get(1)?)?),
        ));
    }
    if let Some(fields) = inner("STRUCT<") {
        return split_top_level(&fields, ',')
            .iter()
            .map(|f| {
                let (name, ty) = f.split_once(' ')?;
                Some(StructField {
                    name: identifier(name),
                    ty: parse_type(ty)?,
                })
            })
            .collect::<Option<Vec<_>>>()
            .map(SqlType::Struct);
    }
    if let Some(ps) = inner("DECIMAL(") {
        let (p, s) = ps.split_once(',')?;
        return Some(SqlType::decimal(
            p.trim().parse().ok()?,
            s.trim().parse().ok()?,
        ));
    }
    Some(match upper.as_str() {
        "BOOLEAN" => SqlType::Boolean,
        "INT" | "INTEGER" => SqlType::Int,
        "BIGINT" => SqlType::BigInt,
        "DOUBLE" => SqlType::Double,
        "STRING" | "VARCHAR" => SqlType::String,
        "BYTES" => SqlType::Bytes,
        "DATE" => SqlType::Date,
        "TIME" => SqlType::Time,
        "TIMESTAMP" => SqlType::Timestamp,
        _ => return None,
    })
}

fn parse_with(raw: &str) -> BTreeMap<String, String> {
    split_top_level(raw, ',')
        .iter()
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((
                k.trim().to_ascii_uppercase(),
                v.trim().trim_matches('\'').to_string(),
            ))
        })
        .collect()
}

/// Finds the text inside the parenthesis that opens at `open`.
fn parenthesised(text: &str, open: usize) -> Option<(&str, usize)> {
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&text[open + 1..open + i], open + i + 1));
                }
            }
            _ => {}
        }
    }
    None
}

struct Source {
    key: Vec<Column>,
    value: Vec<Column>,
    props: BTreeMap<String, String>,
}

fn parse_source(statement: &str) -> Option<Source> {
    let upper = statement.to_ascii_uppercase();
    let is_source = upper.starts_with("CREATE STREAM ") || upper.starts_with("CREATE TABLE ");
    if !is_source || upper.contains(" AS SELECT") {
        return None;
    }
    let open = statement.find('(')?;
    let (columns_text, after) = parenthesised(statement, open)?;
    let with_at = statement[after..].to_ascii_uppercase().find("WITH")? + after;
    let (props_text, _) = parenthesised(statement, statement[with_at..].find('(')? + with_at)?;
    let (mut key, mut value) = (Vec::new(), Vec::new());
    for column in split_top_level(columns_text, ',') {
        let (name, rest) = column.split_once(' ')?;
        let rest = rest.trim();
        let upper_rest = rest.to_ascii_uppercase();
        let (ty, is_key) = if upper_rest.ends_with(" PRIMARY KEY") {
            (&rest[..rest.len() - " PRIMARY KEY".len()], true)
        } else if upper_rest.ends_with(" KEY") {
            (&rest[..rest.len() - " KEY".len()], true)
        } else {
            (rest, false)
        };
        let column = Column::new(identifier(name), parse_type(ty)?);
        if is_key {
            key.push(column)
        } else {
            value.push(column)
        }
    }
    Some(Source {
        key,
        value,
        props: parse_with(props_text),
    })
}

/// The sink's WITH properties when the statement selects every source column unchanged.
fn parse_passthrough_sink(statement: &str, source: &Source) -> Option<BTreeMap<String, String>> {
    let upper = statement.to_ascii_uppercase();
    let select_at = upper.find(" AS SELECT ")?;
    if !upper.starts_with("CREATE STREAM ") {
        return None;
    }
    let head = &statement[..select_at];
    let props = match head.find('(') {
        Some(open) => parse_with(parenthesised(statement, open)?.0),
        None => BTreeMap::new(),
    };
    let rest = &statement[select_at + " AS SELECT ".len()..];
    let from_at = rest.to_ascii_uppercase().find(" FROM ")?;
    let tail = rest[from_at + " FROM ".len()..]
        .trim()
        .trim_end_matches(';');
    if tail.contains(' ') {
        return None; // WHERE, PARTITION BY, ...: not a pass-through
    }
    let projection = rest[..from_at].trim();
    if projection != "*" {
        let all: Vec<String> = source
            .key
            .iter()
            .chain(&source.value)
            .map(|c| c.name.clone())
            .collect();
        let named: Vec<String> = split_top_level(projection, ',')
            .iter()
            .map(|n| identifier(n))
            .collect();
        if named != all {
            return None;
        }
    }
    Some(props)
}

/// The sink's spec: the source's formats and delimiter unless overridden; wrapping is not
/// inherited.
fn sink_spec(
    source: &BTreeMap<String, String>,
    sink: &BTreeMap<String, String>,
    part: SerdePart,
) -> Result<FormatSpec, FormatError> {
    let source_spec = FormatSpec::from_properties(source, part)?;
    let mut props = sink.clone();
    let (format_prop, delimiter_prop) = match part {
        SerdePart::Key => ("KEY_FORMAT", "KEY_DELIMITER"),
        SerdePart::Value => ("VALUE_FORMAT", "VALUE_DELIMITER"),
    };
    if !props.contains_key("FORMAT") && !props.contains_key(format_prop) {
        props.insert(format_prop.into(), source_spec.kind.name().into());
        if source_spec.kind == FormatKind::Delimited && !props.contains_key(delimiter_prop) {
            let name = match source_spec.delimiter {
                '\t' => "TAB".to_string(),
                ' ' => "SPACE".to_string(),
                c => c.to_string(),
            };
            props.insert(delimiter_prop.into(), name);
        }
    }
    FormatSpec::from_properties(&props, part)
}

fn same_json(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => expected == actual,
    }
}

#[derive(Default, Debug)]
struct Tally {
    records: usize,
    errors_matched: usize,
    failures: Vec<String>,
}

fn run_record(
    case: &str,
    part: SerdePart,
    specs: (&FormatSpec, &FormatSpec),
    columns: &[Column],
    input: &Value,
    expected: &Value,
    tally: &mut Tally,
) {
    let result = (|| -> Result<Value, String> {
        let bytes =
            test_value_to_bytes(specs.0, part, columns, input).map_err(|e| e.to_string())?;
        let decoder = RecordDecoder::try_new(specs.0, part, columns).map_err(|e| e.to_string())?;
        let decoded = decoder
            .decode(&[bytes.as_deref()])
            .map_err(|e| e.to_string())?;
        if let Some(error) = decoded.errors.first() {
            return Err(error.message.clone());
        }
        let encoder = RecordEncoder::try_new(specs.1, part, columns).map_err(|e| e.to_string())?;
        let nulls = decoded.null_records.clone();
        let out = encoder
            .encode(&decoded.arrays, 1, Some(&nulls))
            .map_err(|e| e.to_string())?;
        bytes_to_test_value(specs.1, part, columns, out[0].as_deref()).map_err(|e| e.to_string())
    })();
    tally.records += 1;
    match result {
        Ok(actual) if same_json(expected, &actual) => {}
        Ok(actual) => tally.failures.push(format!(
            "{case}: {part} {input} -> expected {expected}, got {actual}"
        )),
        Err(e) => tally
            .failures
            .push(format!("{case}: {part} {input} -> error {e}")),
    }
}

fn run_file(name: &str) -> Tally {
    let path = Path::new(CORPUS).join(name);
    let text = std::fs::read_to_string(&path).expect("corpus file is readable");
    let file: Value = serde_json::from_str(&text).expect("corpus file is JSON");
    let mut tally = Tally::default();
    for case in file["tests"].as_array().into_iter().flatten() {
        let case_name = case["name"].as_str().unwrap_or("?");
        let statements: Vec<String> = case["statements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect();
        let formats: Vec<String> = match case["format"].as_array() {
            Some(list) => list
                .iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect(),
            None => vec![String::new()],
        };
        for format in formats {
            let statements: Vec<String> = statements
                .iter()
                .map(|s| s.replace("{FORMAT}", &format))
                .collect();
            let Some(source) = statements.first().and_then(|s| parse_source(s)) else {
                continue;
            };
            let source_specs = (
                FormatSpec::from_properties(&source.props, SerdePart::Key),
                FormatSpec::from_properties(&source.props, SerdePart::Value),
            );
            let expected_error = case["expectedException"]["message"].as_str();
            if let (Some(message), 1) = (expected_error, statements.len()) {
                let outcome = source_specs
                    .0
                    .and_then(|key| runnel::format::validate(&key, SerdePart::Key, &source.key))
                    .and(source_specs.1.and_then(|value| {
                        runnel::format::validate(&value, SerdePart::Value, &source.value)
                    }));
                match outcome {
                    Err(e) if e.to_string().contains(message) => tally.errors_matched += 1,
                    other => tally.failures.push(format!(
                        "{case_name}: expected error {message:?}, got {other:?}"
                    )),
                }
                continue;
            }
            let (Ok(key_spec), Ok(value_spec)) = source_specs else {
                continue;
            };
            let sink_props = match statements.as_slice() {
                [_, sink] => parse_passthrough_sink(sink, &source),
                _ => None,
            };
            let Some(sink_props) = sink_props else {
                continue;
            };
            let sink_key = sink_spec(&source.props, &sink_props, SerdePart::Key);
            let sink_value = sink_spec(&source.props, &sink_props, SerdePart::Value);
            if let Some(message) = expected_error {
                let outcome = sink_key
                    .and_then(|k| runnel::format::validate(&k, SerdePart::Key, &source.key))
                    .and(sink_value.and_then(|v| {
                        runnel::format::validate(&v, SerdePart::Value, &source.value)
                    }));
                match outcome {
                    Err(e) if e.to_string().contains(message) => tally.errors_matched += 1,
                    other => tally.failures.push(format!(
                        "{case_name}: expected error {message:?}, got {other:?}"
                    )),
                }
                continue;
            }
            let (sink_key, sink_value) = match (sink_key, sink_value) {
                (Ok(k), Ok(v)) => (k, v),
                (Err(FormatError::UnsupportedFormat(_)), _)
                | (_, Err(FormatError::UnsupportedFormat(_))) => continue,
                (k, v) => {
                    tally
                        .failures
                        .push(format!("{case_name}: sink formats {k:?} {v:?}"));
                    continue;
                }
            };
            let inputs = case["inputs"].as_array().cloned().unwrap_or_default();
            let outputs = case["outputs"].as_array().cloned().unwrap_or_default();
            if inputs.len() != outputs.len() {
                continue;
            }
            for (input, output) in inputs.iter().zip(&outputs) {
                let part_cases = [
                    (SerdePart::Key, (&key_spec, &sink_key), &source.key, "key"),
                    (
                        SerdePart::Value,
                        (&value_spec, &sink_value),
                        &source.value,
                        "value",
                    ),
                ];
                for (part, specs, columns, field) in part_cases {
                    run_record(
                        case_name,
                        part,
                        specs,
                        columns,
                        input.get(field).unwrap_or(&Value::Null),
                        output.get(field).unwrap_or(&Value::Null),
                        &mut tally,
                    );
                }
            }
        }
    }
    tally
}

fn check_file(name: &str, min_records: usize, min_errors: usize) {
    let tally = run_file(name);
    println!(
        "{name}: {} records, {} error messages matched, {} failures",
        tally.records,
        tally.errors_matched,
        tally.failures.len()
    );
    assert!(
        tally.failures.is_empty(),
        "{name}:\n{}",
        tally.failures.join("\n")
    );
    assert!(
        tally.records >= min_records,
        "{name}: only {} records checked",
        tally.records
    );
    assert!(
        tally.errors_matched >= min_errors,
        "{name}: only {} error messages checked",
        tally.errors_matched
    );
}

#[test]
fn json_corpus() {
    check_file("json.json", 200, 3);
}

#[test]
fn delimited_corpus() {
    check_file("delimited.json", 90, 10);
}

#[test]
fn kafka_corpus() {
    check_file("kafka.json", 12, 7);
}

#[test]
fn key_schemas_corpus() {
    check_file("key-schemas.json", 2, 2);
}

#[test]
fn multi_col_keys_corpus() {
    check_file("multi-col-keys.json", 8, 0);
}
