//! A task's changelog: its stores' changes and its checkpoints, in one compacted topic.
//!
//! # Why one topic per task, not one per store
//!
//! A task's batch changes several stores (windows, a table's rows, HAVING's published
//! set) and moves its source position. All of it must become visible together or not
//! at all, and the log makes exactly one thing atomic: one append to one partition (a
//! RecordBatch is written whole or truncated away at recovery). So a task appends each
//! batch's store changes *and* its checkpoint as one batch to its own partition of the
//! query's changelog topic (`_runnel-<query id>-changelog`, compacted, one partition per
//! source partition); the store a record belongs to is part of its key.
//!
//! # Record keys (all integers big-endian)
//!
//! ```text
//! 0x00 nameLen:u16 name keyBytes   a store entry; value = the encoded value, null = deleted
//! 0x01                             the checkpoint: JSON {source_offset, stream_time, sink_ends}
//! 0x02                             the intent: JSON {sink_ends} — written just before the
//!                                  task appends a batch's output to its sink
//! ```
//! Compaction keeps the latest record per key, so the latest checkpoint and intent, and
//! every live store entry, survive; a store entry never follows the latest checkpoint.
//!
//! # No lost and no duplicated output
//!
//! A batch is committed in three appends: the intent (the sink partitions' end offsets
//! before the output), the output itself, then the store changes with the checkpoint
//! (source position after the batch). A crash before the checkpoint leaves the state and
//! the position of the previous batch, so the input is processed again and produces the
//! same output (processing is deterministic per record). If the crash came after the
//! output was appended, the latest intent is newer than the latest checkpoint: the
//! records in each sink partition past the intent's end offset are that output, and the
//! restarted task skips that many of its first records per sink partition. This holds
//! because the engine runs one task at a time, so nothing else writes a task's sink
//! partitions between its intent and its checkpoint, and a restarted engine restores
//! every task before any runs. The guarantee covers a process crash; against power
//! loss it needs `FlushPolicy::EveryBatch` (appends reach disk in order).

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::codec::{StateCodec, StateWriter};
use super::error::{Result, StateError};
use super::store::DurableStore;
use crate::log::{Partition, ReadLimits, Record};

const STORE_ENTRY: u8 = 0;
const CHECKPOINT: u8 = 1;
const INTENT: u8 = 2;

/// Where a task's processing stood after a committed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The next source offset to read.
    pub source_offset: u64,
    /// The largest event time the task has seen (what closes windows).
    pub stream_time: i64,
    /// The sink partitions' end offsets after the batch's output.
    #[serde(default)]
    pub sink_ends: BTreeMap<u32, u64>,
}

/// Written just before a batch's output is appended: the sink ends before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub sink_ends: BTreeMap<u32, u64>,
}

/// One record for a task's changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogRecord {
    key: Bytes,
    value: Option<Bytes>,
}

/// One store's changed entries of a batch, framed as changelog records in one shared
/// buffer: a commit then costs one allocation per store, not two or more per entry,
/// and each record's key and value are slices of that buffer.
pub struct StoreFrames<'a> {
    name: &'a [u8],
    buf: Vec<u8>,
    /// Each record's key and value (none for a tombstone) as ranges of `buf`.
    spans: Vec<(Range<usize>, Option<Range<usize>>)>,
}

impl<'a> StoreFrames<'a> {
    /// Frames for the store called `name`, for about `entries` entries.
    pub fn new(name: &'a str, entries: usize) -> Self {
        // Store names are short identifiers chosen by the code, never by users.
        let name = &name.as_bytes()[..name.len().min(u16::MAX as usize)];
        StoreFrames {
            name,
            buf: Vec::with_capacity(entries * 64),
            spans: Vec::with_capacity(entries),
        }
    }

    /// Frames `key` and its `value` (`None`: the entry was deleted), encoded by the
    /// codecs exactly as [`encode_to_vec`] would.
    pub fn push<K, V>(
        &mut self,
        keys: &dyn StateCodec<K>,
        key: &K,
        values: &dyn StateCodec<V>,
        value: Option<&V>,
    ) -> std::result::Result<(), String> {
        let key_start = self.buf.len();
        self.buf.push(STORE_ENTRY);
        self.buf
            .extend_from_slice(&(self.name.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(self.name);
        self.encode(keys, key)?;
        let key_span = key_start..self.buf.len();
        let value_span = match value {
            Some(value) => {
                let value_start = self.buf.len();
                self.encode(values, value)?;
                Some(value_start..self.buf.len())
            }
            None => None,
        };
        self.spans.push((key_span, value_span));
        Ok(())
    }

    fn encode<T>(
        &mut self,
        codec: &dyn StateCodec<T>,
        value: &T,
    ) -> std::result::Result<(), String> {
        let mut writer = StateWriter::appending_to(std::mem::take(&mut self.buf));
        let encoded = codec.encode(value, &mut writer);
        self.buf = writer.finish();
        encoded
    }

    /// Appends the framed records to `out`.
    pub fn finish(self, out: &mut Vec<ChangelogRecord>) {
        let buf = Bytes::from(self.buf);
        out.extend(self.spans.into_iter().map(|(key, value)| ChangelogRecord {
            key: buf.slice(key),
            value: value.map(|v| buf.slice(v)),
        }));
    }
}

/// A store entry read back: which store, the encoded key, the encoded value or none.
#[derive(Debug, Clone, Copy)]
pub struct StoreChange<'a> {
    pub store: &'a str,
    pub key: &'a [u8],
    pub value: Option<&'a [u8]>,
}

enum Parsed<'a> {
    Store(StoreChange<'a>),
    Checkpoint,
    Intent,
}

fn parse<'a>(key: &'a [u8], value: Option<&'a [u8]>) -> Result<Parsed<'a>, String> {
    match key.split_first() {
        Some((&STORE_ENTRY, rest)) => {
            let (len, rest) = rest
                .split_first_chunk::<2>()
                .ok_or("store entry key without its store name length")?;
            let len = u16::from_be_bytes(*len) as usize;
            if rest.len() < len {
                return Err("store entry key shorter than its store name".into());
            }
            let (name, key) = rest.split_at(len);
            let store = std::str::from_utf8(name).map_err(|e| format!("store name: {e}"))?;
            Ok(Parsed::Store(StoreChange { store, key, value }))
        }
        Some((&CHECKPOINT, [])) => Ok(Parsed::Checkpoint),
        Some((&INTENT, [])) => Ok(Parsed::Intent),
        Some((tag, _)) => Err(format!("unknown record tag {tag}")),
        None => Err("empty key".into()),
    }
}

impl ChangelogRecord {
    /// A store's entry: its encoded key and value (`None` deletes it).
    pub fn store(name: &str, key: &[u8], value: Option<Vec<u8>>) -> Self {
        // Store names are short identifiers chosen by the code, never by users.
        let name = &name.as_bytes()[..name.len().min(u16::MAX as usize)];
        let mut framed = Vec::with_capacity(3 + name.len() + key.len());
        framed.push(STORE_ENTRY);
        framed.extend_from_slice(&(name.len() as u16).to_be_bytes());
        framed.extend_from_slice(name);
        framed.extend_from_slice(key);
        ChangelogRecord {
            key: Bytes::from(framed),
            value: value.map(Bytes::from),
        }
    }

    /// The store entry this record holds, if it is one.
    pub fn as_store_change(&self) -> Option<StoreChange<'_>> {
        match parse(&self.key, self.value.as_deref()) {
            Ok(Parsed::Store(change)) => Some(change),
            _ => None,
        }
    }

    fn json<T: Serialize>(tag: u8, value: &T) -> Result<Self> {
        let value = serde_json::to_vec(value).map_err(|e| StateError::Encode {
            store: "checkpoint".into(),
            message: e.to_string(),
        })?;
        Ok(ChangelogRecord {
            key: Bytes::from(vec![tag]),
            value: Some(Bytes::from(value)),
        })
    }

    fn into_record(self) -> Record {
        Record::new(Some(self.key), self.value)
    }
}

/// What a task's changelog held when it was restored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restored {
    /// The latest checkpoint; none for a task that never committed.
    pub checkpoint: Option<Checkpoint>,
    /// An intent newer than the checkpoint: the batch whose output may have been
    /// appended without its checkpoint.
    pub unfinished: Option<Intent>,
}

/// One task's partition of its query's changelog topic.
#[derive(Debug, Clone)]
pub struct TaskChangelog {
    partition: Arc<Partition>,
}

impl TaskChangelog {
    pub fn new(partition: Arc<Partition>) -> Self {
        TaskChangelog { partition }
    }

    pub fn partition(&self) -> &Arc<Partition> {
        &self.partition
    }

    fn corrupt(&self, offset: u64, message: impl Into<String>) -> StateError {
        StateError::Corrupt {
            topic: self.partition.topic().to_string(),
            partition: self.partition.id(),
            offset,
            message: message.into(),
        }
    }

    /// Replays the changelog into `stores` (found by name) and returns the latest
    /// checkpoint and any unfinished intent.
    pub fn restore(&self, stores: &mut [&mut dyn DurableStore]) -> Result<Restored> {
        let mut restored = Restored::default();
        let mut checkpoint_offset = None;
        let mut intent = None;
        let mut next = self.partition.log_start_offset();
        loop {
            let records = self.partition.read(next, ReadLimits::records(4096))?;
            let Some(last) = records.last() else { break };
            next = last.offset + 1;
            for record in &records {
                let offset = record.offset;
                let key = record
                    .key
                    .as_deref()
                    .ok_or_else(|| self.corrupt(offset, "record without a key"))?;
                let value = record.value.as_deref();
                match parse(key, value).map_err(|m| self.corrupt(offset, m))? {
                    Parsed::Store(change) => {
                        let store = stores
                            .iter_mut()
                            .find(|s| s.store_name() == change.store)
                            .ok_or_else(|| {
                                self.corrupt(offset, format!("unknown store {}", change.store))
                            })?;
                        store
                            .restore_change(change)
                            .map_err(|m| self.corrupt(offset, format!("{}: {m}", change.store)))?;
                    }
                    Parsed::Checkpoint => {
                        let bytes =
                            value.ok_or_else(|| self.corrupt(offset, "empty checkpoint"))?;
                        let checkpoint = serde_json::from_slice(bytes)
                            .map_err(|e| self.corrupt(offset, format!("checkpoint: {e}")))?;
                        restored.checkpoint = Some(checkpoint);
                        checkpoint_offset = Some(offset);
                    }
                    Parsed::Intent => {
                        let bytes = value.ok_or_else(|| self.corrupt(offset, "empty intent"))?;
                        let parsed: Intent = serde_json::from_slice(bytes)
                            .map_err(|e| self.corrupt(offset, format!("intent: {e}")))?;
                        intent = Some((offset, parsed));
                    }
                }
            }
        }
        restored.unfinished = intent
            .filter(|(offset, _)| checkpoint_offset.is_none_or(|c| *offset > c))
            .map(|(_, intent)| intent);
        Ok(restored)
    }

    /// Records that a batch's output is about to be appended to the sink.
    pub fn write_intent(&self, intent: &Intent) -> Result<()> {
        let record = ChangelogRecord::json(INTENT, intent)?.into_record();
        self.partition.append(std::slice::from_ref(&record))?;
        Ok(())
    }

    /// Appends the stores' changes since the last commit and `checkpoint`, as one batch.
    pub fn commit(
        &self,
        stores: &mut [&mut dyn DurableStore],
        checkpoint: &Checkpoint,
    ) -> Result<()> {
        let mut changes = Vec::new();
        for store in stores.iter_mut() {
            store
                .drain_changes(&mut changes)
                .map_err(|message| StateError::Encode {
                    store: store.store_name().to_string(),
                    message,
                })?;
        }
        changes.push(ChangelogRecord::json(CHECKPOINT, checkpoint)?);
        let records: Vec<Record> = changes
            .into_iter()
            .map(ChangelogRecord::into_record)
            .collect();
        self.partition.append(&records)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{Log, LogOptions, TopicConfig};
    use crate::state::KeyedStore;
    use crate::state::codec::I64Codec;

    fn store() -> KeyedStore<i64, i64> {
        KeyedStore::with_changelog("counts", Arc::new(I64Codec), Arc::new(I64Codec))
    }

    fn checkpoint(source_offset: u64) -> Checkpoint {
        Checkpoint {
            source_offset,
            stream_time: 7,
            sink_ends: BTreeMap::from([(0, source_offset)]),
        }
    }

    #[test]
    fn restores_stores_checkpoint_and_an_unfinished_intent() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("log");
        let topic = log
            .create_topic("changelog", TopicConfig::default())
            .expect("topic");
        let changelog = TaskChangelog::new(Arc::clone(&topic.partitions()[0]));
        let mut counts = store();
        counts.put(1, 1);
        counts.put(2, 2);
        changelog
            .write_intent(&Intent {
                sink_ends: BTreeMap::new(),
            })
            .expect("intent");
        changelog
            .commit(&mut [&mut counts], &checkpoint(10))
            .expect("commit");
        counts.delete(&1);
        changelog
            .commit(&mut [&mut counts], &checkpoint(20))
            .expect("commit");

        let mut again = store();
        let restored = changelog.restore(&mut [&mut again]).expect("restore");
        assert_eq!(restored.checkpoint, Some(checkpoint(20)));
        assert_eq!(restored.unfinished, None);
        assert_eq!((again.get(&1), again.get(&2)), (None, Some(&2)));

        let intent = Intent {
            sink_ends: BTreeMap::from([(0, 20)]),
        };
        changelog.write_intent(&intent).expect("intent");
        let restored = changelog.restore(&mut [&mut store()]).expect("restore");
        assert_eq!(restored.unfinished, Some(intent));
    }

    #[test]
    fn framed_entries_are_the_records_framed_one_by_one() {
        use crate::state::codec::encode_to_vec;
        let mut frames = StoreFrames::new("counts", 1);
        frames
            .push::<i64, i64>(&I64Codec, &7, &I64Codec, Some(&70))
            .expect("encodes");
        frames
            .push::<i64, i64>(&I64Codec, &8, &I64Codec, None)
            .expect("encodes");
        let mut framed = Vec::new();
        frames.finish(&mut framed);
        let one_by_one = |key: i64, value: Option<i64>| {
            let key = encode_to_vec::<i64>(&I64Codec, &key).expect("key");
            let value = value.map(|v| encode_to_vec::<i64>(&I64Codec, &v).expect("value"));
            ChangelogRecord::store("counts", &key, value)
        };
        assert_eq!(framed, vec![one_by_one(7, Some(70)), one_by_one(8, None)]);
    }

    #[test]
    fn a_foreign_record_is_reported_not_a_panic() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("log");
        let topic = log
            .create_topic("changelog", TopicConfig::default())
            .expect("topic");
        let partition = Arc::clone(&topic.partitions()[0]);
        partition
            .append(&[Record::new(Some(vec![9u8, 1]), Some(vec![1u8]))])
            .expect("append");
        let error = TaskChangelog::new(partition)
            .restore(&mut [&mut store()])
            .expect_err("corrupt");
        assert!(error.to_string().contains("offset 0"), "{error}");
    }
}
