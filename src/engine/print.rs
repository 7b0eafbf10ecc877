//! PRINT: the records of a topic as text, the way ksqlDB's PRINT shows them.

use chrono::{TimeZone, Utc};

use crate::catalog::WindowInfo;
use crate::exec::source::split_windowed_key;
use crate::log::{ConsumedRecord, ReadLimits};
use crate::sql::ast::TopicName;

use super::{Engine, EngineError, Result};

/// One record as PRINT writes it; a windowed key (of a topic behind a windowed source)
/// shows as `[key@start/end]`, as ksqlDB shows it.
pub fn print_line(record: &ConsumedRecord, partition: u32, window: Option<&WindowInfo>) -> String {
    let rowtime = Utc
        .timestamp_millis_opt(record.timestamp)
        .single()
        .map(|t| t.format("%Y/%m/%d %H:%M:%S%.3f Z").to_string())
        .unwrap_or_else(|| record.timestamp.to_string());
    let show = |bytes: &Option<bytes::Bytes>| match bytes {
        None => "<null>".to_string(),
        Some(b) => match std::str::from_utf8(b) {
            Ok(text) => text.to_string(),
            Err(_) => format!("{b:?}"),
        },
    };
    let windowed = window.zip(record.key.as_deref()).and_then(|(window, key)| {
        let (inner, start, end) = split_windowed_key(key, window.kind, window.size_ms)?;
        let inner = Some(bytes::Bytes::copy_from_slice(inner));
        Some(format!("[{}@{start}/{end}]", show(&inner)))
    });
    let key = windowed.unwrap_or_else(|| show(&record.key));
    format!(
        "rowtime: {rowtime}, key: {key}, value: {}, partition: {partition}",
        show(&record.value)
    )
}

impl Engine {
    /// The records of `topic` that PRINT shows: from the start when `from_beginning`,
    /// else none yet (PRINT without FROM BEGINNING shows only new records), at most
    /// `limit`, every `interval`-th one.
    pub fn print_topic(
        &self,
        topic: &TopicName,
        from_beginning: bool,
        interval: Option<u64>,
        limit: Option<u64>,
    ) -> Result<Vec<String>> {
        let name = match topic {
            TopicName::Ident(ident) => {
                let exact = ident.as_str();
                // Unquoted names are upper-cased by the parser; topics are often lower case.
                if self.log.topic(exact).is_some() {
                    exact.to_string()
                } else {
                    self.log
                        .topics()
                        .iter()
                        .map(|t| t.name().to_string())
                        .find(|t| t.eq_ignore_ascii_case(exact))
                        .unwrap_or_else(|| exact.to_string())
                }
            }
            TopicName::Literal(text) => text.clone(),
        };
        let topic = self
            .log
            .topic(&name)
            .ok_or_else(|| EngineError::Statement(format!("Could not find topic '{name}'")))?;
        let window = self
            .catalog
            .sources()
            .find(|source| source.topic == name)
            .and_then(|source| source.window);
        let mut lines = Vec::new();
        if !from_beginning {
            return Ok(lines);
        }
        let every = interval.unwrap_or(1).max(1) as usize;
        let limit = limit.map_or(usize::MAX, |l| l as usize);
        let mut seen = 0usize;
        for partition in topic.partitions() {
            let mut offset = partition.log_start_offset();
            loop {
                let records = partition.read(offset, ReadLimits::records(1024))?;
                let Some(last) = records.last() else { break };
                offset = last.offset + 1;
                for record in &records {
                    if seen % every == 0 && lines.len() < limit {
                        lines.push(print_line(record, partition.id(), window.as_ref()));
                    }
                    seen += 1;
                }
                if lines.len() >= limit {
                    return Ok(lines);
                }
            }
        }
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::WindowType;
    use crate::exec::source::windowed_key;

    fn record(key: &[u8]) -> ConsumedRecord {
        ConsumedRecord {
            offset: 0,
            timestamp: 5000,
            key: Some(bytes::Bytes::copy_from_slice(key)),
            value: Some(bytes::Bytes::from_static(b"{\"N\":1}")),
            headers: Vec::new(),
        }
    }

    #[test]
    fn windowed_keys_print_with_their_window() {
        let window = WindowInfo {
            kind: WindowType::Tumbling,
            size_ms: Some(60_000),
        };
        let key = windowed_key(b"/home", WindowType::Tumbling, 60_000, 120_000);
        let line = print_line(&record(&key), 0, Some(&window));
        assert_eq!(
            line,
            "rowtime: 1970/01/01 00:00:05.000 Z, key: [/home@60000/120000], value: {\"N\":1}, partition: 0"
        );
        let plain = print_line(&record(b"/home"), 0, None);
        assert!(plain.contains("key: /home,"), "{plain}");
    }
}
