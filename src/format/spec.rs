//! Which format a key or value uses, with its options, as set by a statement's WITH clause.

use std::collections::BTreeMap;
use std::fmt;

use super::error::{FormatError, Result};

/// Whether bytes are a record's key or its value: the two follow different rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SerdePart {
    Key,
    Value,
}

impl fmt::Display for SerdePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SerdePart::Key => "key",
            SerdePart::Value => "value",
        })
    }
}

/// The formats Runnel reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormatKind {
    Json,
    Delimited,
    Kafka,
    None,
}

impl FormatKind {
    /// Parses a format name case-insensitively; out-of-scope formats get their own error.
    pub fn parse(name: &str) -> Result<Self> {
        match name.trim().to_ascii_uppercase().as_str() {
            "JSON" => Ok(FormatKind::Json),
            "DELIMITED" => Ok(FormatKind::Delimited),
            "KAFKA" => Ok(FormatKind::Kafka),
            "NONE" => Ok(FormatKind::None),
            upper @ ("AVRO" | "PROTOBUF" | "PROTOBUF_NOSR" | "JSON_SR") => {
                Err(FormatError::UnsupportedFormat(upper.to_string()))
            }
            _ => Err(FormatError::UnknownFormat(name.to_string())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FormatKind::Json => "JSON",
            FormatKind::Delimited => "DELIMITED",
            FormatKind::Kafka => "KAFKA",
            FormatKind::None => "NONE",
        }
    }
}

impl fmt::Display for FormatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format with its options, for either the key or the value of a source or sink.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FormatSpec {
    pub kind: FormatKind,
    /// Field separator of DELIMITED; `,` unless `KEY_DELIMITER`/`VALUE_DELIMITER` says otherwise.
    pub delimiter: char,
    /// `WRAP_SINGLE_VALUE` as given; `None` means the format's default.
    pub wrap_single_value: Option<bool>,
}

/// ksqlDB's default field separator for DELIMITED.
pub const DEFAULT_DELIMITER: char = ',';

const DELIMITER_EXAMPLE: &str = "\nExample valid value: ';'";

impl FormatSpec {
    /// A format with default options.
    pub fn new(kind: FormatKind) -> Self {
        FormatSpec {
            kind,
            delimiter: DEFAULT_DELIMITER,
            wrap_single_value: None,
        }
    }

    /// Builds the key or value format from a WITH clause whose property names are upper-cased
    /// and whose values are unquoted (`FORMAT`, `KEY_FORMAT`, `VALUE_FORMAT`, `KEY_DELIMITER`,
    /// `VALUE_DELIMITER`, `WRAP_SINGLE_VALUE`). A key without a format is KAFKA, as in ksqlDB.
    pub fn from_properties(properties: &BTreeMap<String, String>, part: SerdePart) -> Result<Self> {
        let (format_prop, delimiter_prop) = match part {
            SerdePart::Key => ("KEY_FORMAT", "KEY_DELIMITER"),
            SerdePart::Value => ("VALUE_FORMAT", "VALUE_DELIMITER"),
        };
        let both = properties.get("FORMAT");
        let specific = properties.get(format_prop);
        if both.is_some() && specific.is_some() {
            return Err(FormatError::InvalidConfig(format!(
                "Cannot supply both '{format_prop}' and 'FORMAT' properties, as 'FORMAT' sets both key and value formats."
            )));
        }
        let kind = match specific.or(both) {
            Some(name) => FormatKind::parse(name)?,
            None if part == SerdePart::Key => FormatKind::Kafka,
            None => {
                return Err(FormatError::InvalidConfig(
                    "Missing required property \"VALUE_FORMAT\" or \"FORMAT\"".to_string(),
                ));
            }
        };
        let mut spec = FormatSpec::new(kind);
        if let Some(raw) = properties.get(delimiter_prop) {
            if kind != FormatKind::Delimited {
                return Err(FormatError::InvalidConfig(format!(
                    "{kind} does not support the following configs: [delimiter]"
                )));
            }
            spec.delimiter = parse_delimiter(delimiter_prop, raw)?;
        }
        if let (SerdePart::Value, Some(raw)) = (part, properties.get("WRAP_SINGLE_VALUE")) {
            spec = spec.with_wrap_single_value(parse_bool("WRAP_SINGLE_VALUE", raw)?)?;
        }
        Ok(spec)
    }

    /// Sets `WRAP_SINGLE_VALUE`, refusing `true` for formats that cannot wrap.
    pub fn with_wrap_single_value(mut self, wrap: bool) -> Result<Self> {
        if wrap && matches!(self.kind, FormatKind::Kafka | FormatKind::Delimited) {
            return Err(FormatError::InvalidConfig(format!(
                "Format '{}' does not support 'WRAP_SINGLE_VALUE' set to 'true'.",
                self.kind
            )));
        }
        self.wrap_single_value = Some(wrap);
        Ok(self)
    }

    /// Whether a single column is written bare (not inside an object) for this part.
    ///
    /// Keys are always bare; JSON values are wrapped unless `WRAP_SINGLE_VALUE=false`.
    pub fn unwraps_single(&self, part: SerdePart) -> bool {
        match (self.kind, part) {
            (FormatKind::Json, SerdePart::Value) => self.wrap_single_value == Some(false),
            _ => true,
        }
    }
}

/// Parses a delimiter property: one character, or the names TAB and SPACE.
pub fn parse_delimiter(property: &str, raw: &str) -> Result<char> {
    let invalid = |detail: String| {
        FormatError::InvalidConfig(format!(
            "Failed to prepare statement: Configuration {property} is invalid: {detail}{DELIMITER_EXAMPLE}"
        ))
    };
    match raw {
        "TAB" => return Ok('\t'),
        "SPACE" => return Ok(' '),
        _ => {}
    }
    if raw.trim().is_empty() {
        return Err(invalid(
            "Delimiter cannot be empty, if you meant to have a tab or space for delimiter, please use the special values 'TAB' or 'SPACE'".to_string(),
        ));
    }
    let mut chars = raw.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(invalid(format!(
            "Invalid delimiter value: '{raw}'. Delimiter must be a single character or TAB,SPACE"
        ))),
    }
}

fn parse_bool(property: &str, raw: &str) -> Result<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(FormatError::InvalidConfig(format!(
            "Property {property} must be true or false, got '{raw}'"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn format_sets_key_and_value_and_key_defaults_to_kafka() {
        let both = props(&[("FORMAT", "json")]);
        assert_eq!(
            FormatSpec::from_properties(&both, SerdePart::Key).map(|s| s.kind),
            Ok(FormatKind::Json)
        );
        let value_only = props(&[("VALUE_FORMAT", "DELIMITED"), ("VALUE_DELIMITER", "TAB")]);
        assert_eq!(
            FormatSpec::from_properties(&value_only, SerdePart::Key).map(|s| s.kind),
            Ok(FormatKind::Kafka)
        );
        assert_eq!(
            FormatSpec::from_properties(&value_only, SerdePart::Value).map(|s| s.delimiter),
            Ok('\t')
        );
    }

    #[test]
    fn out_of_scope_formats_have_their_own_error() {
        for name in ["AVRO", "protobuf", "PROTOBUF_NOSR", "JSON_SR"] {
            assert!(matches!(
                FormatKind::parse(name),
                Err(FormatError::UnsupportedFormat(_))
            ));
        }
        assert!(matches!(
            FormatKind::parse("XML"),
            Err(FormatError::UnknownFormat(_))
        ));
    }

    #[test]
    fn delimiter_errors_match_ksqldb() {
        let message = |raw: &str| {
            let p = props(&[("VALUE_FORMAT", "DELIMITED"), ("VALUE_DELIMITER", raw)]);
            FormatSpec::from_properties(&p, SerdePart::Value)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(message("<~>").contains("Invalid delimiter value: '<~>'. Delimiter must be a single character or TAB,SPACE\nExample valid value: ';'"));
        for blank in ["", " ", "\t"] {
            assert!(
                message(blank).contains("Delimiter cannot be empty"),
                "{blank:?}"
            );
        }
        let json = props(&[("VALUE_FORMAT", "JSON"), ("VALUE_DELIMITER", "|")]);
        assert_eq!(
            FormatSpec::from_properties(&json, SerdePart::Value)
                .err()
                .map(|e| e.to_string()),
            Some("JSON does not support the following configs: [delimiter]".to_string())
        );
    }

    #[test]
    fn kafka_refuses_wrapping() {
        let p = props(&[("VALUE_FORMAT", "KAFKA"), ("WRAP_SINGLE_VALUE", "true")]);
        assert_eq!(
            FormatSpec::from_properties(&p, SerdePart::Value)
                .err()
                .map(|e| e.to_string()),
            Some("Format 'KAFKA' does not support 'WRAP_SINGLE_VALUE' set to 'true'.".to_string())
        );
    }
}
