//! A producer-side helper: partitions records and appends them per partition in batches.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;

use super::error::Result;
use super::partitioner::Partitioner;
use super::record::{OffsetRange, Record, RecordRef};
use super::topic::Topic;

/// Buffers records for one topic, choosing partitions as Kafka's default partitioner
/// would, and appends one batch per partition on [`Producer::flush`].
#[derive(Debug)]
pub struct Producer {
    topic: Arc<Topic>,
    partitioner: Partitioner,
    pending: BTreeMap<u32, PendingBatch>,
}

/// One partition's records waiting for a flush. Keys and values are copied into one
/// arena, so a producer that encodes rows into a reused buffer costs no allocation per
/// record; the arena keeps its capacity from one flush to the next.
#[derive(Debug, Default)]
struct PendingBatch {
    bytes: Vec<u8>,
    records: Vec<PendingRecord>,
}

#[derive(Debug)]
struct PendingRecord {
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
    timestamp: Option<i64>,
    headers: Vec<(String, Option<Bytes>)>,
}

impl PendingBatch {
    fn push(
        &mut self,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: Option<i64>,
        headers: Vec<(String, Option<Bytes>)>,
    ) {
        let mut copy = |part: Option<&[u8]>| {
            part.map(|part| {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(part);
                start..self.bytes.len()
            })
        };
        let (key, value) = (copy(key), copy(value));
        self.records.push(PendingRecord {
            key,
            value,
            timestamp,
            headers,
        });
    }

    /// The records as borrowed parts of the arena, ready to append.
    fn refs(&self) -> Vec<RecordRef<'_>> {
        let part = |range: &Option<Range<usize>>| range.clone().map(|r| &self.bytes[r]);
        self.records
            .iter()
            .map(|r| RecordRef {
                key: part(&r.key),
                value: part(&r.value),
                timestamp: r.timestamp,
                headers: &r.headers,
            })
            .collect()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.records.clear();
    }
}

impl Producer {
    pub fn new(topic: Arc<Topic>) -> Self {
        Producer {
            topic,
            partitioner: Partitioner::new(),
            pending: BTreeMap::new(),
        }
    }

    pub fn topic(&self) -> &Arc<Topic> {
        &self.topic
    }

    /// Picks the record's partition (checking an explicit one) and buffers it.
    pub fn send(&mut self, record: Record, partition: Option<u32>) -> Result<u32> {
        let p = self.pick_partition(record.key.as_deref(), partition)?;
        self.pending.entry(p).or_default().push(
            record.key.as_deref(),
            record.value.as_deref(),
            record.timestamp,
            record.headers,
        );
        Ok(p)
    }

    /// [`Producer::send`] for a record given as borrowed parts, without headers: they
    /// are copied into the partition's pending batch.
    pub fn send_parts(
        &mut self,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: i64,
        partition: Option<u32>,
    ) -> Result<u32> {
        let p = self.pick_partition(key, partition)?;
        self.pending
            .entry(p)
            .or_default()
            .push(key, value, Some(timestamp), Vec::new());
        Ok(p)
    }

    fn pick_partition(&mut self, key: Option<&[u8]>, partition: Option<u32>) -> Result<u32> {
        if let Some(p) = partition {
            self.topic.partition(p)?;
        }
        Ok(self
            .partitioner
            .partition(key, partition, self.topic.partition_count()))
    }

    pub fn pending_records(&self) -> usize {
        self.pending.values().map(|batch| batch.records.len()).sum()
    }

    /// Appends the buffered records, one batch per partition, returning their offsets.
    /// A partition whose append fails keeps its records (and so do those after it).
    pub fn flush(&mut self) -> Result<Vec<(u32, OffsetRange)>> {
        let mut appended = Vec::with_capacity(self.pending.len());
        for (&p, batch) in &mut self.pending {
            if batch.records.is_empty() {
                continue;
            }
            let range = self.topic.partition(p)?.append_refs(&batch.refs())?;
            appended.push((p, range));
            batch.clear();
        }
        self.partitioner.batch_done();
        Ok(appended)
    }

    /// Appends one record now (a batch of one) and returns its partition and offset.
    pub fn send_now(&mut self, record: Record, partition: Option<u32>) -> Result<(u32, u64)> {
        let p = self.partitioner.partition(
            record.key.as_deref(),
            partition,
            self.topic.partition_count(),
        );
        let range = self
            .topic
            .partition(p)?
            .append(std::slice::from_ref(&record))?;
        if record.key.is_none() && partition.is_none() {
            self.partitioner.batch_done();
        }
        Ok((p, range.first))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::log::{
        FaultyStorage, FsStorage, Log, LogError, LogOptions, ReadLimits, TopicConfig,
    };

    fn topic(log: &Log, partitions: u32) -> Arc<Topic> {
        let config = TopicConfig {
            partitions,
            ..TopicConfig::default()
        };
        log.create_topic("t", config).expect("create")
    }

    fn values(topic: &Topic, partition: u32) -> Vec<(Option<Bytes>, Option<Bytes>, i64)> {
        let records = topic
            .partition(partition)
            .expect("partition")
            .read(0, ReadLimits::records(1000))
            .expect("read");
        records
            .into_iter()
            .map(|r| (r.key, r.value, r.timestamp))
            .collect()
    }

    #[test]
    fn parts_and_records_keep_their_order_and_content_across_flushes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("open");
        let topic = topic(&log, 1);
        let mut producer = Producer::new(Arc::clone(&topic));
        producer
            .send_parts(Some(b"k1"), Some(b"v1"), 10, Some(0))
            .expect("send");
        let mut record = Record::new(None::<Bytes>, Some("v2")).with_timestamp(20);
        record.headers = vec![("h".into(), Some(Bytes::from_static(b"x")))];
        producer.send(record, Some(0)).expect("send");
        producer
            .send_parts(Some(b"k3"), None, 30, Some(0))
            .expect("send");
        assert_eq!(producer.pending_records(), 3);
        let appended = producer.flush().expect("flush");
        assert_eq!(appended, vec![(0, OffsetRange { first: 0, last: 2 })]);
        assert_eq!(producer.pending_records(), 0);
        // The arena is reused: the second flush appends only what came after the first.
        producer
            .send_parts(None, Some(b"v4"), 40, Some(0))
            .expect("send");
        producer.flush().expect("flush");

        let b = |s: &'static str| Some(Bytes::from_static(s.as_bytes()));
        assert_eq!(
            values(&topic, 0),
            vec![
                (b("k1"), b("v1"), 10),
                (None, b("v2"), 20),
                (b("k3"), None, 30),
                (None, b("v4"), 40),
            ]
        );
        let read = topic
            .partition(0)
            .expect("p")
            .read(1, ReadLimits::records(1));
        assert_eq!(read.expect("read")[0].headers, vec![("h".into(), b("x"))]);
    }

    #[test]
    fn parts_are_partitioned_by_their_key_as_records_are() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("open");
        let topic = topic(&log, 4);
        let mut producer = Producer::new(Arc::clone(&topic));
        for i in 0..20u8 {
            let key = [b'k', i];
            let from_parts = producer.send_parts(Some(&key), Some(&key), 0, None);
            let from_record = producer.send(
                Record::new(Some(Bytes::copy_from_slice(&key)), None::<Bytes>),
                None,
            );
            assert_eq!(from_parts.expect("send"), from_record.expect("send"));
        }
        assert!(producer.send_parts(None, None, 0, Some(9)).is_err());
    }

    #[test]
    fn a_failed_append_keeps_the_pending_records() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (storage, faults) = FaultyStorage::new(Arc::new(FsStorage));
        let options = LogOptions::ephemeral().with_storage(Arc::new(storage));
        let log = Log::open(dir.path(), options).expect("open");
        let topic = topic(&log, 1);
        let mut producer = Producer::new(Arc::clone(&topic));
        producer
            .send_parts(None, Some(b"v"), 1, None)
            .expect("send");
        faults.fail_write.store(true, Ordering::SeqCst);
        let err = producer.flush().expect_err("write fails");
        assert!(matches!(err, LogError::Io { .. }), "{err}");
        assert_eq!(producer.pending_records(), 1);
    }
}
