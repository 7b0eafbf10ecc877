//! MaterializedTable: the latest record per key of a table's topic, folded incrementally.
//!
//! A table's topic is its changelog: each record upserts its key and a record without a
//! value deletes it. Pull queries read this fold; each read first appends what the topic
//! received since the last one, so the view is as fresh as the log.

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;

use crate::log::{ConsumedRecord, LogError, ReadLimits, Topic};

/// How many records one catch-up read asks the log for at a time.
const CATCH_UP_BATCH: usize = 10_000;

/// The fold of one partition: its latest record per key bytes.
#[derive(Debug, Default)]
struct PartitionView {
    next_offset: u64,
    rows: BTreeMap<Bytes, ConsumedRecord>,
}

/// The latest record per key of every partition of one topic.
#[derive(Debug, Default)]
pub struct MaterializedTable {
    partitions: Vec<PartitionView>,
}

impl MaterializedTable {
    /// Folds in every record appended to `topic` since the last call; returns how many
    /// records were read.
    pub fn catch_up(&mut self, topic: &Topic) -> Result<u64, LogError> {
        let mut read = 0;
        for partition in topic.partitions() {
            let index = partition.id() as usize;
            while self.partitions.len() <= index {
                self.partitions.push(PartitionView::default());
            }
            let view = &mut self.partitions[index];
            view.next_offset = view.next_offset.max(partition.log_start_offset());
            loop {
                let records =
                    partition.read(view.next_offset, ReadLimits::records(CATCH_UP_BATCH))?;
                let Some(last) = records.last() else { break };
                view.next_offset = last.offset + 1;
                read += records.len() as u64;
                for record in records {
                    // A record without a key cannot be looked up; ksqlDB drops it too.
                    let Some(key) = record.key.clone() else {
                        continue;
                    };
                    if record.value.is_none() {
                        view.rows.remove(&key);
                    } else {
                        view.rows.insert(key, record);
                    }
                }
            }
        }
        Ok(read)
    }

    /// How many keys the table holds.
    pub fn len(&self) -> usize {
        self.partitions.iter().map(|p| p.rows.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record of `key` (exact bytes) with its partition.
    pub fn get(&self, key: &[u8]) -> Option<(u32, &ConsumedRecord)> {
        self.partitions
            .iter()
            .enumerate()
            .find_map(|(p, view)| view.rows.get(key).map(|r| (p as u32, r)))
    }

    /// The records whose key bytes start with `prefix` (a windowed table's keys are the
    /// key bytes followed by the window), with their partitions.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = (u32, &'a ConsumedRecord)> + 'a {
        self.partitions
            .iter()
            .enumerate()
            .flat_map(move |(p, view)| {
                view.rows
                    .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
                    .take_while(move |(k, _)| k.starts_with(prefix))
                    .map(move |(_, r)| (p as u32, r))
            })
    }

    /// Every record, partition by partition in key-byte order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &ConsumedRecord)> + '_ {
        self.partitions
            .iter()
            .enumerate()
            .flat_map(|(p, view)| view.rows.values().map(move |r| (p as u32, r)))
    }

    /// An estimate of the bytes the fold holds (keys, values and headers).
    pub fn size_bytes(&self) -> u64 {
        self.iter()
            .map(|(_, r)| {
                let key = r.key.as_ref().map_or(0, |k| k.len());
                let value = r.value.as_ref().map_or(0, |v| v.len());
                (2 * key + value + 32) as u64
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{Log, LogOptions, Record, TopicConfig};

    #[test]
    fn folds_upserts_and_deletes_incrementally() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("log");
        let topic = log
            .create_topic("t", TopicConfig::default())
            .expect("topic");
        let partition = topic.partition(0).expect("partition");
        partition
            .append(&[
                Record::new(Some(b"a".to_vec()), Some(b"1".to_vec())),
                Record::new(Some(b"b".to_vec()), Some(b"2".to_vec())),
            ])
            .expect("append");
        let mut table = MaterializedTable::default();
        assert_eq!(table.catch_up(&topic).expect("catch up"), 2);
        assert_eq!(table.len(), 2);
        partition
            .append(&[
                Record::new(Some(b"a".to_vec()), None::<Vec<u8>>),
                Record::new(Some(b"b".to_vec()), Some(b"3".to_vec())),
            ])
            .expect("append");
        assert_eq!(table.catch_up(&topic).expect("catch up"), 2);
        assert!(table.get(b"a").is_none());
        let (_, b) = table.get(b"b").expect("b is present");
        assert_eq!(b.value.as_deref(), Some(&b"3"[..]));
        assert_eq!(table.with_prefix(b"b").count(), 1);
        assert_eq!(table.with_prefix(b"c").count(), 0);
    }
}
