//! Committed consumer offsets per (group, topic, partition), durable in the internal
//! compacted topic `__consumer_offsets`, plus lag and `auto.offset.reset`.

use std::collections::BTreeMap;

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};

use super::config::{CleanupPolicy, TopicConfig};
use super::error::{LogError, Result};
use super::record::{ReadLimits, Record, TopicPartition};
use super::store::Log;
use super::topic::Topic;

/// The internal topic holding committed offsets.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";
const FORMAT_VERSION: u16 = 1;

/// Where a consumer starts when its group has no (valid) committed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    Earliest,
    Latest,
}

impl std::str::FromStr for OffsetReset {
    type Err = LogError;
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "earliest" => Ok(OffsetReset::Earliest),
            "latest" => Ok(OffsetReset::Latest),
            other => Err(LogError::InvalidConfig(format!(
                "auto.offset.reset={other}: expected earliest or latest"
            ))),
        }
    }
}

/// Committed offset, end offset and lag of one partition for a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    pub topic_partition: TopicPartition,
    pub committed: Option<u64>,
    pub end_offset: u64,
    /// `end - committed`, or `end - log start` when nothing is committed.
    pub lag: u64,
}

/// The in-memory view of `__consumer_offsets`, rebuilt by replaying it at open.
#[derive(Debug, Default)]
pub struct CommittedOffsets {
    by_group: RwLock<BTreeMap<String, BTreeMap<TopicPartition, u64>>>,
    /// Keeps the map in the same order as the topic when commits race.
    commit_lock: Mutex<()>,
}

impl CommittedOffsets {
    /// Replays every partition of the offsets topic.
    pub(crate) fn replay(topic: &Topic) -> Result<CommittedOffsets> {
        let offsets = CommittedOffsets::default();
        for partition in topic.partitions() {
            let mut from = partition.log_start_offset();
            loop {
                let records = partition.read(from, ReadLimits::records(10_000))?;
                let Some(last) = records.last() else { break };
                from = last.offset + 1;
                for record in &records {
                    let key = record.key.as_deref().unwrap_or_default();
                    let (group, tp) = decode_key(key).map_err(|reason| LogError::Corrupted {
                        path: partition.dir().to_path_buf(),
                        position: 0,
                        offset: record.offset,
                        reason: format!("bad committed-offset key: {reason}"),
                    })?;
                    let offset = match &record.value {
                        None => None,
                        Some(value) => {
                            Some(decode_value(value).map_err(|reason| LogError::Corrupted {
                                path: partition.dir().to_path_buf(),
                                position: 0,
                                offset: record.offset,
                                reason: format!("bad committed-offset value: {reason}"),
                            })?)
                        }
                    };
                    offsets.apply(&group, tp, offset);
                }
            }
        }
        Ok(offsets)
    }

    fn apply(&self, group: &str, tp: TopicPartition, offset: Option<u64>) {
        let mut by_group = self.by_group.write();
        match offset {
            Some(offset) => {
                by_group
                    .entry(group.to_string())
                    .or_default()
                    .insert(tp, offset);
            }
            None => {
                if let Some(offsets) = by_group.get_mut(group) {
                    offsets.remove(&tp);
                    if offsets.is_empty() {
                        by_group.remove(group);
                    }
                }
            }
        }
    }
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u16).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn encode_key(group: &str, tp: &TopicPartition) -> Bytes {
    let mut out = Vec::with_capacity(10 + group.len() + tp.topic.len());
    out.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    put_str(&mut out, group);
    put_str(&mut out, &tp.topic);
    out.extend_from_slice(&tp.partition.to_be_bytes());
    Bytes::from(out)
}

fn encode_value(offset: u64, commit_ms: i64) -> Bytes {
    let mut out = Vec::with_capacity(18);
    out.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    out.extend_from_slice(&offset.to_be_bytes());
    out.extend_from_slice(&commit_ms.to_be_bytes());
    Bytes::from(out)
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if bytes.len() < n {
        return Err(format!("needs {n} more bytes, has {}", bytes.len()));
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Ok(head)
}

fn take_u16(bytes: &mut &[u8]) -> Result<u16, String> {
    let b = take(bytes, 2)?;
    Ok(u16::from_be_bytes([b[0], b[1]]))
}

fn take_str(bytes: &mut &[u8]) -> Result<String, String> {
    let len = take_u16(bytes)? as usize;
    String::from_utf8(take(bytes, len)?.to_vec()).map_err(|e| e.to_string())
}

fn decode_key(mut bytes: &[u8]) -> Result<(String, TopicPartition), String> {
    let version = take_u16(&mut bytes)?;
    if version != FORMAT_VERSION {
        return Err(format!("unknown key version {version}"));
    }
    let group = take_str(&mut bytes)?;
    let topic = take_str(&mut bytes)?;
    let p = take(&mut bytes, 4)?;
    let partition = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
    Ok((group, TopicPartition { topic, partition }))
}

fn decode_value(mut bytes: &[u8]) -> Result<u64, String> {
    let version = take_u16(&mut bytes)?;
    if version != FORMAT_VERSION {
        return Err(format!("unknown value version {version}"));
    }
    let b = take(&mut bytes, 8)?;
    let mut offset = [0u8; 8];
    offset.copy_from_slice(b);
    Ok(u64::from_be_bytes(offset))
}

impl Log {
    fn offsets_topic(&self) -> Result<std::sync::Arc<Topic>> {
        if let Some(topic) = self.topic(OFFSETS_TOPIC) {
            return Ok(topic);
        }
        let config = TopicConfig {
            cleanup_policy: CleanupPolicy::COMPACT,
            retention_ms: -1,
            segment_bytes: 16 << 20,
            ..TopicConfig::default()
        };
        match self.create_topic_unchecked(OFFSETS_TOPIC, config) {
            Err(LogError::TopicExists(_)) => self.existing_topic(OFFSETS_TOPIC),
            other => other,
        }
    }

    /// Durably commits offsets for a group (all in one batch: all or none are kept).
    /// An offset is the next one to consume, as in Kafka.
    pub fn commit_offsets(&self, group: &str, offsets: &[(TopicPartition, u64)]) -> Result<()> {
        if group.is_empty() {
            return Err(LogError::Group {
                group: group.to_string(),
                reason: "a group id cannot be empty".into(),
            });
        }
        if offsets.is_empty() {
            return Ok(());
        }
        let topic = self.offsets_topic()?;
        let now = self.options.clock.now_ms();
        let records: Vec<Record> = offsets
            .iter()
            .map(|(tp, offset)| Record {
                key: Some(encode_key(group, tp)),
                value: Some(encode_value(*offset, now)),
                timestamp: Some(now),
                headers: Vec::new(),
            })
            .collect();
        let _order = self.committed.commit_lock.lock();
        topic.partition(0)?.append(&records)?;
        for (tp, offset) in offsets {
            self.committed.apply(group, tp.clone(), Some(*offset));
        }
        Ok(())
    }

    /// Forgets every committed offset of a group (tombstones in the offsets topic).
    pub fn delete_group_offsets(&self, group: &str) -> Result<()> {
        let tps: Vec<TopicPartition> = self.committed_offsets(group).into_keys().collect();
        if tps.is_empty() {
            return Ok(());
        }
        let topic = self.offsets_topic()?;
        let records: Vec<Record> = tps
            .iter()
            .map(|tp| Record {
                key: Some(encode_key(group, tp)),
                ..Record::default()
            })
            .collect();
        let _order = self.committed.commit_lock.lock();
        topic.partition(0)?.append(&records)?;
        for tp in tps {
            self.committed.apply(group, tp, None);
        }
        Ok(())
    }

    pub fn committed_offset(&self, group: &str, tp: &TopicPartition) -> Option<u64> {
        self.committed.by_group.read().get(group)?.get(tp).copied()
    }

    pub fn committed_offsets(&self, group: &str) -> BTreeMap<TopicPartition, u64> {
        self.committed
            .by_group
            .read()
            .get(group)
            .cloned()
            .unwrap_or_default()
    }

    /// Groups with committed offsets or live members.
    pub fn group_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.committed.by_group.read().keys().cloned().collect();
        names.extend(self.groups.group_names());
        names.sort();
        names.dedup();
        names
    }

    /// Where a consumer of `tp` starts: the group's committed offset when it is still in
    /// the log, otherwise the earliest or latest offset as `reset` says.
    pub fn start_offset(
        &self,
        group: Option<&str>,
        tp: &TopicPartition,
        reset: OffsetReset,
    ) -> Result<u64> {
        let partition = self.partition(&tp.topic, tp.partition)?;
        let (start, end) = (partition.log_start_offset(), partition.end_offset());
        if let Some(committed) = group.and_then(|g| self.committed_offset(g, tp))
            && (start..=end).contains(&committed)
        {
            return Ok(committed);
        }
        Ok(match reset {
            OffsetReset::Earliest => start,
            OffsetReset::Latest => end,
        })
    }

    /// Committed offset, end offset and lag of every partition the group has committed
    /// for, and of every partition of `topic` when one is given.
    pub fn lag(&self, group: &str, topic: Option<&str>) -> Result<Vec<PartitionLag>> {
        let committed = self.committed_offsets(group);
        let mut tps: Vec<TopicPartition> = committed.keys().cloned().collect();
        if let Some(name) = topic {
            let topic = self.existing_topic(name)?;
            tps.extend((0..topic.partition_count()).map(|p| TopicPartition::new(name, p)));
        }
        tps.sort();
        tps.dedup();
        let mut lags = Vec::with_capacity(tps.len());
        for tp in tps {
            let Ok(partition) = self.partition(&tp.topic, tp.partition) else {
                continue; // the topic was deleted since the commit
            };
            let end = partition.end_offset();
            let offset = committed.get(&tp).copied();
            let from = offset.unwrap_or(partition.log_start_offset());
            lags.push(PartitionLag {
                lag: end.saturating_sub(from),
                committed: offset,
                end_offset: end,
                topic_partition: tp,
            });
        }
        Ok(lags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_and_value_round_trip() {
        let tp = TopicPartition::new("orders", 7);
        let key = encode_key("group-a", &tp);
        assert_eq!(decode_key(&key), Ok(("group-a".to_string(), tp)));
        assert_eq!(decode_value(&encode_value(42, 1000)), Ok(42));
        assert!(decode_key(&key[..key.len() - 1]).is_err());
    }
}
