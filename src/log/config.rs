//! Per-topic configuration, parsed from `key=value` strings and validated.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{LogError, Result};

/// What the cleaner does with old data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupPolicy {
    pub delete: bool,
    pub compact: bool,
}

impl CleanupPolicy {
    pub const DELETE: CleanupPolicy = CleanupPolicy {
        delete: true,
        compact: false,
    };
    pub const COMPACT: CleanupPolicy = CleanupPolicy {
        delete: false,
        compact: true,
    };

    fn parse(text: &str) -> Option<CleanupPolicy> {
        let mut policy = CleanupPolicy {
            delete: false,
            compact: false,
        };
        for part in text.split(',').map(str::trim) {
            match part {
                "delete" => policy.delete = true,
                "compact" => policy.compact = true,
                _ => return None,
            }
        }
        Some(policy)
    }
}

impl std::fmt::Display for CleanupPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.compact, self.delete) {
            (true, true) => write!(f, "compact,delete"),
            (true, false) => write!(f, "compact"),
            _ => write!(f, "delete"),
        }
    }
}

/// A topic's settings; the defaults are Kafka's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicConfig {
    pub partitions: u32,
    /// Delete sealed segments whose newest record is older than this; -1 keeps forever.
    pub retention_ms: i64,
    /// Delete the oldest sealed segments while the partition exceeds this; -1 = no limit.
    pub retention_bytes: i64,
    pub cleanup_policy: CleanupPolicy,
    pub segment_bytes: u64,
    /// Roll the active segment once it is this old (so retention can reach its data).
    pub segment_ms: i64,
    pub min_compaction_lag_ms: i64,
    pub delete_retention_ms: i64,
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            partitions: 1,
            retention_ms: 7 * 24 * 3_600_000,
            retention_bytes: -1,
            cleanup_policy: CleanupPolicy::DELETE,
            segment_bytes: 1 << 30,
            segment_ms: 7 * 24 * 3_600_000,
            min_compaction_lag_ms: 0,
            delete_retention_ms: 24 * 3_600_000,
        }
    }
}

/// The keys [`TopicConfig::set`] accepts.
pub const CONFIG_KEYS: &[&str] = &[
    "partitions",
    "retention.ms",
    "retention.bytes",
    "cleanup.policy",
    "segment.bytes",
    "segment.ms",
    "min.compaction.lag.ms",
    "delete.retention.ms",
];

impl TopicConfig {
    /// A config from `key=value` strings over the defaults; any bad entry refuses all.
    pub fn from_pairs<S: AsRef<str>>(pairs: &[S]) -> Result<TopicConfig> {
        let mut config = TopicConfig::default();
        for pair in pairs {
            let pair = pair.as_ref();
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                LogError::InvalidConfig(format!("'{pair}' is not of the form key=value"))
            })?;
            config.set(key.trim(), value.trim())?;
        }
        Ok(config)
    }

    /// Sets one key, validating the value.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad =
            |expected: &str| LogError::InvalidConfig(format!("{key}={value}: expected {expected}"));
        let int = |min: i64| -> Result<i64> {
            value
                .parse::<i64>()
                .ok()
                .filter(|v| *v >= min)
                .ok_or_else(|| bad(&format!("an integer >= {min}")))
        };
        match key {
            "partitions" => {
                self.partitions = value
                    .parse::<u32>()
                    .ok()
                    .filter(|p| (1..=10_000).contains(p))
                    .ok_or_else(|| bad("an integer from 1 to 10000"))?;
            }
            "retention.ms" => self.retention_ms = int(-1)?,
            "retention.bytes" => self.retention_bytes = int(-1)?,
            "cleanup.policy" => {
                self.cleanup_policy = CleanupPolicy::parse(value)
                    .ok_or_else(|| bad("delete, compact or compact,delete"))?;
            }
            "segment.bytes" => {
                let bytes = int(100)?;
                if bytes > i64::from(i32::MAX) {
                    return Err(bad("at most 2147483647"));
                }
                self.segment_bytes = bytes as u64;
            }
            "segment.ms" => self.segment_ms = int(1)?,
            "min.compaction.lag.ms" => self.min_compaction_lag_ms = int(0)?,
            "delete.retention.ms" => self.delete_retention_ms = int(0)?,
            _ => {
                return Err(LogError::InvalidConfig(format!(
                    "unknown key '{key}'; known keys: {}",
                    CONFIG_KEYS.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The settings as `key -> value` strings, for `topic describe`.
    pub fn to_pairs(&self) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            ("partitions", self.partitions.to_string()),
            ("retention.ms", self.retention_ms.to_string()),
            ("retention.bytes", self.retention_bytes.to_string()),
            ("cleanup.policy", self.cleanup_policy.to_string()),
            ("segment.bytes", self.segment_bytes.to_string()),
            ("segment.ms", self.segment_ms.to_string()),
            (
                "min.compaction.lag.ms",
                self.min_compaction_lag_ms.to_string(),
            ),
            ("delete.retention.ms", self.delete_retention_ms.to_string()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_keys() {
        let config = TopicConfig::from_pairs(&[
            "partitions=4",
            "cleanup.policy=compact",
            "retention.ms=-1",
            "segment.bytes=1024",
        ])
        .expect("valid config");
        assert_eq!(config.partitions, 4);
        assert_eq!(config.cleanup_policy, CleanupPolicy::COMPACT);
        assert_eq!(config.retention_ms, -1);
        assert_eq!(config.segment_bytes, 1024);
    }

    #[test]
    fn refuses_unknown_keys_and_bad_values() {
        for bad in [
            "colour=blue",
            "partitions=0",
            "partitions=x",
            "retention.ms=-2",
            "cleanup.policy=shred",
            "segment.bytes=10",
            "novalue",
        ] {
            let err = TopicConfig::from_pairs(&[bad]).expect_err(bad);
            assert!(matches!(err, LogError::InvalidConfig(_)), "{bad}: {err}");
        }
    }
}
