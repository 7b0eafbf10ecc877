//! The log: topics of partitions of segments, on disk in Kafka's RecordBatch v2 format.
//!
//! # Directory layout
//!
//! ```text
//! DIR/LOCK                                   advisory lock: one process per log
//! DIR/topics/NAME/config.json                the topic's TopicConfig (written last at
//!                                            creation: a topic without it is removed)
//! DIR/topics/NAME/P/00000000000000000000.log        segment, named by its base offset
//! DIR/topics/NAME/P/00000000000000000000.index      sparse offset index (sealed segments)
//! DIR/topics/NAME/P/00000000000000000000.timeindex  time index (sealed segments)
//! DIR/topics/NAME/P/*.cleaned, *.tmp         leftovers of an interrupted rewrite: deleted at open
//! DIR/topics/.deleted-NAME-N                 a topic being deleted: deleted at open
//! ```
//! A Runnel data directory keeps its log in `DATA_DIR/log` ([`LOG_SUBDIR`]).
//!
//! # Segment files (`.log`)
//!
//! A segment is a sequence of batches and nothing else; its size is the end of its last
//! batch. The active segment reserves disk blocks beyond its end (`fallocate` with
//! `KEEP_SIZE`, from 64 KiB up to 8 MiB ahead as it grows), which the file size does not
//! show and sealing gives back: appends then skip the file system's per-page block
//! allocation. Every batch is a Kafka RecordBatch v2; all integers are big-endian:
//!
//! | bytes | field                 | value written by Runnel                           |
//! |-------|-----------------------|---------------------------------------------------|
//! | 0..8  | baseOffset: i64       | offset of the batch's first offset                |
//! | 8..12 | batchLength: i32      | bytes after this field (total = 12 + batchLength) |
//! | 12..16| partitionLeaderEpoch  | 0 (not checked)                                   |
//! | 16    | magic: i8             | 2                                                 |
//! | 17..21| crc: u32              | CRC-32C (Castagnoli) of bytes 21..end             |
//! | 21..23| attributes: i16       | 0 (no compression, create time, not transactional)|
//! | 23..27| lastOffsetDelta: i32  | last offset the batch covers - baseOffset         |
//! | 27..35| baseTimestamp: i64    | timestamp of the first record                     |
//! | 35..43| maxTimestamp: i64     | largest record timestamp                          |
//! | 43..51| producerId: i64       | -1                                                |
//! | 51..53| producerEpoch: i16    | -1                                                |
//! | 53..57| baseSequence: i32     | -1                                                |
//! | 57..61| recordsCount: i32     | number of records that follow                     |
//! | 61..  | records               | `recordsCount` records                            |
//!
//! Each record (varints are zigzag-encoded LEB128, as in protobuf `sint`):
//!
//! | field              | encoding                                              |
//! |--------------------|-------------------------------------------------------|
//! | length             | varint: bytes of the record after this field          |
//! | attributes         | i8, 0                                                 |
//! | timestampDelta     | varlong: timestamp - baseTimestamp                    |
//! | offsetDelta        | varint: offset - baseOffset                           |
//! | keyLength, key     | varint (-1 = null key), then the bytes                |
//! | valueLength, value | varint (-1 = null value, a tombstone), then the bytes |
//! | headersCount       | varint                                                |
//! | headers            | per header: keyLength varint + UTF-8 key, valueLength varint (-1 = null) + bytes |
//!
//! Invariants the reader checks: batches in a segment tile its offsets (each batch's
//! baseOffset is the previous batch's last offset + 1; the first is the segment's base
//! offset), the magic byte is 2, the CRC matches. Compaction removes records from
//! batches but keeps each batch's `baseOffset..=baseOffset+lastOffsetDelta` range, so the
//! tiling holds and offsets are preserved with gaps. A record's timestamp is the
//! producer's or, when it gave none, the log-append time.
//!
//! # Index files
//!
//! `.index`: 8-byte entries `relativeOffset: u32, position: u32` — a batch's
//! baseOffset minus the segment base, and the batch's byte position — one entry per
//! 4096 bytes of batches ([`index::INDEX_INTERVAL_BYTES`]), strictly increasing.
//! `.timeindex`: 12-byte entries `timestamp: i64, relativeOffset: u32`, written whenever a
//! batch raises the segment's maximum timestamp: all records before that batch are older.
//! Both are written when a segment is sealed; the active segment's are rebuilt by scanning
//! at open. Missing or inconsistent index files are rebuilt from the segment.
//!
//! # Recovery
//!
//! At open the active (last) segment is scanned batch by batch; the first torn, garbled
//! or out-of-sequence batch and everything after it is truncated and reported in
//! [`Log::recovery_notes`]. Sealed segments are trusted to their index files; when those
//! are rebuilt, and on every read, any corruption is an error naming the file, the byte
//! position and the offset. A failed write or fsync makes the partition refuse writes
//! until the log is reopened.
//!
//! # `__consumer_offsets`
//!
//! Compacted internal topic. Key: `version: u16 = 1, groupLen: u16, group, topicLen: u16,
//! topic, partition: u32`; value: `version: u16 = 1, offset: u64, commitTimestamp: i64`;
//! a null value forgets the key.

mod append_signal;
mod batch;
mod builder;
mod cleaner;
mod clock;
mod compaction;
mod config;
mod error;
mod group;
pub mod index;
mod offsets;
mod options;
mod partition;
mod partitioner;
mod producer;
mod read_arena;
mod record;
mod retention;
mod segment;
mod storage;
mod store;
mod topic;
mod varint;

pub use cleaner::CleanerReport;
pub use clock::{Clock, ManualClock, SystemClock};
pub use compaction::CompactionStats;
pub use config::{CONFIG_KEYS, CleanupPolicy, TopicConfig};
pub use error::{LogError, Result};
pub use group::{
    Assignment, AssignmentStrategy, GroupDescription, JoinRequest, MemberDescription, assign,
};
pub use offsets::{OFFSETS_TOPIC, OffsetReset, PartitionLag};
pub use options::{FlushPolicy, LogOptions};
pub use partition::{Partition, PartitionInfo};
pub use partitioner::{Partitioner, murmur2, partition_for_key};
pub use producer::Producer;
pub use record::{
    AppendRecord, ConsumedRecord, OffsetRange, ReadLimits, Record, RecordRef, TopicPartition,
};
pub use segment::RecoveryNote;
pub use storage::{Faults, FaultyStorage, FsStorage, Storage, StorageFile};
pub use store::{LOG_SUBDIR, Log};
pub use topic::{INTERNAL_PREFIX, Topic, validate_topic_name};
