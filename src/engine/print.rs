//! PRINT: the records of a topic as text, the way ksqlDB's PRINT shows them.

use chrono::{TimeZone, Utc};

use crate::log::{ConsumedRecord, ReadLimits};
use crate::sql::ast::TopicName;

use super::{Engine, EngineError, Result};

/// One record as PRINT writes it.
pub fn print_line(record: &ConsumedRecord, partition: u32) -> String {
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
    format!(
        "rowtime: {rowtime}, key: {}, value: {}, partition: {partition}",
        show(&record.key),
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
                        lines.push(print_line(record, partition.id()));
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
