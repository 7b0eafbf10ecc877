//! Records as producers hand them in and as readers get them back.

use bytes::Bytes;

/// A record to append. `timestamp: None` means "use the log-append time".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub key: Option<Bytes>,
    /// `None` is a tombstone (a delete for compacted topics and tables).
    pub value: Option<Bytes>,
    pub timestamp: Option<i64>,
    pub headers: Vec<(String, Option<Bytes>)>,
}

impl Record {
    /// A record with a key and value and no timestamp or headers.
    pub fn new(key: Option<impl Into<Bytes>>, value: Option<impl Into<Bytes>>) -> Self {
        Record {
            key: key.map(Into::into),
            value: value.map(Into::into),
            timestamp: None,
            headers: Vec::new(),
        }
    }

    pub fn with_timestamp(mut self, timestamp_ms: i64) -> Self {
        self.timestamp = Some(timestamp_ms);
        self
    }
}

/// A record whose parts are borrowed: what a producer that encodes many records into
/// one buffer appends, without a `Bytes` per key and value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordRef<'a> {
    pub key: Option<&'a [u8]>,
    /// `None` is a tombstone.
    pub value: Option<&'a [u8]>,
    pub timestamp: Option<i64>,
    pub headers: &'a [(String, Option<Bytes>)],
}

/// What the append path reads of a record: [`Record`] and [`RecordRef`] both append.
pub trait AppendRecord {
    fn key(&self) -> Option<&[u8]>;
    fn value(&self) -> Option<&[u8]>;
    fn timestamp(&self) -> Option<i64>;
    fn headers(&self) -> &[(String, Option<Bytes>)];
}

impl AppendRecord for Record {
    #[inline(always)]
    fn key(&self) -> Option<&[u8]> {
        self.key.as_deref()
    }
    #[inline(always)]
    fn value(&self) -> Option<&[u8]> {
        self.value.as_deref()
    }
    #[inline(always)]
    fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }
    #[inline(always)]
    fn headers(&self) -> &[(String, Option<Bytes>)] {
        &self.headers
    }
}

impl AppendRecord for RecordRef<'_> {
    #[inline(always)]
    fn key(&self) -> Option<&[u8]> {
        self.key
    }
    #[inline(always)]
    fn value(&self) -> Option<&[u8]> {
        self.value
    }
    #[inline(always)]
    fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }
    #[inline(always)]
    fn headers(&self) -> &[(String, Option<Bytes>)] {
        self.headers
    }
}

/// A record read back from a partition, with its offset and its (resolved) timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    pub offset: u64,
    pub timestamp: i64,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
}

/// The offsets one append was given: `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetRange {
    pub first: u64,
    pub last: u64,
}

impl OffsetRange {
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Bounds on one read. At least one record is returned when any is available, even if it
/// alone exceeds `max_bytes` (as Kafka does, so a large record cannot block a reader).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    pub max_records: usize,
    pub max_bytes: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_records: 500,
            max_bytes: 1 << 20,
        }
    }
}

impl ReadLimits {
    pub fn records(max_records: usize) -> Self {
        ReadLimits {
            max_records,
            max_bytes: usize::MAX,
        }
    }
}

/// A (topic, partition) pair.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: u32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: u32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}
