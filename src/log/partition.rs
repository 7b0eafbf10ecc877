//! One partition: an ordered list of segments, one writer, many readers, and a wake-up
//! signal for readers parked at the end.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};
use tokio::sync::watch;

use super::builder::BatchBuilder;
use super::config::TopicConfig;
use super::error::{LogError, Result};
use super::options::{FlushPolicy, LogOptions};
use super::read_arena::ReadArena;
use super::record::{AppendRecord, ConsumedRecord, OffsetRange, ReadLimits, Record, RecordRef};
use super::segment::{self, RecoveryNote, Segment};

/// State only the (single) writer touches.
#[derive(Debug)]
struct Writer {
    buf: Vec<u8>,
    last_sync_ms: i64,
    unsynced: bool,
}

/// Summary of a partition for `topic describe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    pub partition: u32,
    pub log_start_offset: u64,
    pub end_offset: u64,
    pub size_bytes: u64,
    pub segments: usize,
}

/// A partition of a topic.
#[derive(Debug)]
pub struct Partition {
    pub(crate) topic: String,
    pub(crate) id: u32,
    pub(crate) dir: PathBuf,
    pub(crate) options: Arc<LogOptions>,
    pub(crate) config: Arc<TopicConfig>,
    writer: Mutex<Writer>,
    pub(crate) segments: RwLock<Vec<Arc<Segment>>>,
    end_offset: AtomicU64,
    log_start: AtomicU64,
    refuse_writes: AtomicBool,
    /// `(end offset, closed)`: readers parked at the end wait on it.
    progress: watch::Sender<(u64, bool)>,
    /// Serializes retention and compaction of this partition.
    pub(crate) cleaning: Mutex<()>,
    /// Where reads put the batches they read (records slice them).
    read_arena: ReadArena,
}

impl Partition {
    /// Creates the directory and first segment of a new partition.
    pub(crate) fn create(
        topic: &str,
        id: u32,
        dir: PathBuf,
        options: Arc<LogOptions>,
        config: Arc<TopicConfig>,
    ) -> Result<Partition> {
        let storage = options.storage.as_ref();
        storage
            .create_dir_all(&dir)
            .map_err(|e| LogError::io("creating partition directory", &dir, e))?;
        let segment = Segment::create(storage, &dir, 0, options.clock.now_ms())?;
        Ok(Partition::new(
            topic,
            id,
            dir,
            options,
            config,
            vec![Arc::new(segment)],
        ))
    }

    fn new(
        topic: &str,
        id: u32,
        dir: PathBuf,
        options: Arc<LogOptions>,
        config: Arc<TopicConfig>,
        segments: Vec<Arc<Segment>>,
    ) -> Partition {
        let log_start = segments.first().map_or(0, |s| s.base_offset);
        let end = segments.last().map_or(0, |s| s.next_offset());
        let now = options.clock.now_ms();
        Partition {
            topic: topic.to_string(),
            id,
            dir,
            options,
            config,
            writer: Mutex::new(Writer {
                buf: Vec::new(),
                last_sync_ms: now,
                unsynced: false,
            }),
            segments: RwLock::new(segments),
            end_offset: AtomicU64::new(end),
            log_start: AtomicU64::new(log_start),
            refuse_writes: AtomicBool::new(false),
            progress: watch::Sender::new((end, false)),
            cleaning: Mutex::new(()),
            read_arena: ReadArena::default(),
        }
    }

    /// Opens an existing partition directory, recovering the active segment's tail.
    pub(crate) fn open(
        topic: &str,
        id: u32,
        dir: PathBuf,
        options: Arc<LogOptions>,
        config: Arc<TopicConfig>,
        notes: &mut Vec<RecoveryNote>,
    ) -> Result<Partition> {
        let storage = options.storage.as_ref();
        let now = options.clock.now_ms();
        if !storage.exists(&dir) {
            return Partition::create(topic, id, dir, options, config);
        }
        let names = storage
            .list_dir(&dir)
            .map_err(|e| LogError::io("listing partition directory", &dir, e))?;
        let mut bases = Vec::new();
        for name in &names {
            if name.ends_with(".cleaned") || name.ends_with(".tmp") {
                // Left by a compaction or index write that crashed before its rename.
                let path = dir.join(name);
                storage
                    .remove_file(&path)
                    .map_err(|e| LogError::io("removing leftover", &path, e))?;
            } else if let Some(base) = segment::parse_file_name(name, "log") {
                bases.push(base);
            }
        }
        bases.sort_unstable();
        if bases.is_empty() {
            return Partition::create(topic, id, dir, options, config);
        }
        let mut segments = Vec::with_capacity(bases.len());
        for (i, base) in bases.iter().enumerate() {
            let path = dir.join(segment::file_name(*base, "log"));
            if let Some(next_base) = bases.get(i + 1) {
                segments.push(Arc::new(Segment::open_sealed(
                    storage, path, *base, *next_base, now,
                )?));
            } else {
                let (active, note) = Segment::open_active(storage, path, *base, now)?;
                notes.extend(note);
                segments.push(Arc::new(active));
            }
        }
        Ok(Partition::new(topic, id, dir, options, config, segments))
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The first offset still readable.
    pub fn log_start_offset(&self) -> u64 {
        self.log_start.load(Ordering::Acquire)
    }

    /// One past the last appended offset: the offset the next append gets.
    pub fn end_offset(&self) -> u64 {
        self.end_offset.load(Ordering::Acquire)
    }

    /// Appends the records as one batch and returns the offsets they were given.
    pub fn append(&self, records: &[Record]) -> Result<OffsetRange> {
        self.append_batch(records)
    }

    /// [`Partition::append`] for records whose parts are borrowed.
    pub fn append_refs(&self, records: &[RecordRef<'_>]) -> Result<OffsetRange> {
        self.append_batch(records)
    }

    fn append_batch<R: AppendRecord>(&self, records: &[R]) -> Result<OffsetRange> {
        if records.is_empty() {
            return Err(self.invalid_append("a batch needs at least one record"));
        }
        if records.len() > i32::MAX as usize {
            return Err(self.invalid_append("a batch holds at most 2^31-1 records"));
        }
        let mut writer = self.writer.lock();
        if self.refuse_writes.load(Ordering::Acquire) {
            return Err(self.writes_refused());
        }
        let base = self.end_offset.load(Ordering::Acquire);
        let now = self.options.clock.now_ms();
        let mut buf = std::mem::take(&mut writer.buf);
        let mut builder = BatchBuilder::overwrite(&mut buf, base);
        builder.push_all(records, now);
        let info = builder.finish((records.len() - 1) as u32, 0);
        if info.len > i32::MAX as usize {
            writer.buf = Vec::new();
            return Err(self.invalid_append(&format!(
                "batch of {} bytes exceeds the format's 2 GiB limit",
                info.len
            )));
        }
        let result = self.write_batch(&mut writer, &buf[..info.len], &info, now);
        writer.buf = buf;
        result?;
        self.end_offset
            .store(info.last_offset + 1, Ordering::Release);
        self.progress
            .send_modify(|(end, _)| *end = info.last_offset + 1);
        self.options.append_signal.notify();
        Ok(OffsetRange {
            first: info.base_offset,
            last: info.last_offset,
        })
    }

    fn write_batch(
        &self,
        writer: &mut Writer,
        bytes: &[u8],
        info: &super::batch::BatchInfo,
        now: i64,
    ) -> Result<()> {
        let mut active = self.active_segment();
        let full = active.size() + bytes.len() as u64 > self.config.segment_bytes;
        let old = now.saturating_sub(active.created_ms) >= self.config.segment_ms;
        if active.size() > 0 && (full || old) {
            active = self.roll(writer, info.base_offset, now)?;
        }
        if let Err(e) = active.append(bytes, info) {
            self.refuse_writes.store(true, Ordering::Release);
            return Err(LogError::io("appending to segment", &active.path, e));
        }
        writer.unsynced = true;
        let sync_due = match self.options.flush {
            FlushPolicy::EveryBatch => true,
            FlushPolicy::Interval(every) => {
                now.saturating_sub(writer.last_sync_ms) >= every.as_millis() as i64
            }
            FlushPolicy::Never => false,
        };
        if sync_due {
            self.sync_active(writer, &active, now)?;
        }
        Ok(())
    }

    fn sync_active(&self, writer: &mut Writer, active: &Segment, now: i64) -> Result<()> {
        if let Err(e) = active.sync() {
            // The page cache may have dropped the dirty pages: what is on disk is unknown.
            self.refuse_writes.store(true, Ordering::Release);
            return Err(LogError::io("syncing segment", &active.path, e));
        }
        writer.unsynced = false;
        writer.last_sync_ms = now;
        Ok(())
    }

    /// Seals the active segment and starts a new one at `base_offset`.
    fn roll(&self, writer: &mut Writer, base_offset: u64, now: i64) -> Result<Arc<Segment>> {
        let storage = self.options.storage.as_ref();
        let sealed = self.active_segment();
        let durable = self.options.flush != FlushPolicy::Never;
        if durable && writer.unsynced {
            self.sync_active(writer, &sealed, now)?;
        }
        sealed
            .release_reserved()
            .map_err(|e| LogError::io("releasing the space reserved by", &sealed.path, e))?;
        sealed.write_index_files(storage, durable)?;
        let segment = Arc::new(Segment::create(storage, &self.dir, base_offset, now)?);
        if durable {
            storage
                .sync_dir(&self.dir)
                .map_err(|e| LogError::io("syncing partition directory", &self.dir, e))?;
        }
        self.segments.write().push(Arc::clone(&segment));
        Ok(segment)
    }

    /// Forces appended data to disk now, if any is unsynced.
    pub fn flush(&self) -> Result<()> {
        let mut writer = self.writer.lock();
        if writer.unsynced && !self.refuse_writes.load(Ordering::Acquire) {
            let active = self.active_segment();
            let now = self.options.clock.now_ms();
            self.sync_active(&mut writer, &active, now)?;
        }
        Ok(())
    }

    /// Flushes when the interval flush policy says one is due.
    pub(crate) fn flush_if_due(&self) -> Result<()> {
        if let FlushPolicy::Interval(every) = self.options.flush {
            let due = {
                let writer = self.writer.lock();
                writer.unsynced
                    && self
                        .options
                        .clock
                        .now_ms()
                        .saturating_sub(writer.last_sync_ms)
                        >= every.as_millis() as i64
            };
            if due {
                self.flush()?;
            }
        }
        Ok(())
    }

    pub(crate) fn active_segment(&self) -> Arc<Segment> {
        let segments = self.segments.read();
        match segments.last() {
            Some(segment) => Arc::clone(segment),
            None => unreachable!("a partition always has an active segment"),
        }
    }

    /// Reads records from `from_offset` (inclusive) within `limits`.
    /// Reading at the end offset returns nothing; outside the log is an error.
    pub fn read(&self, from_offset: u64, limits: ReadLimits) -> Result<Vec<ConsumedRecord>> {
        let mut out = Vec::new();
        self.read_into(from_offset, limits, &mut out)?;
        Ok(out)
    }

    /// Like [`Partition::read`], but appends the records to `out` and returns how many it
    /// appended: a consumer that reuses one vector across reads saves an allocation per read.
    pub fn read_into(
        &self,
        from_offset: u64,
        limits: ReadLimits,
        out: &mut Vec<ConsumedRecord>,
    ) -> Result<usize> {
        let start = self.log_start_offset();
        let end = self.end_offset();
        if from_offset < start || from_offset > end {
            return Err(LogError::OffsetOutOfRange {
                topic: self.topic.clone(),
                partition: self.id,
                offset: from_offset,
                log_start: start,
                end,
            });
        }
        if from_offset == end || limits.max_records == 0 {
            return Ok(0);
        }
        // Sized for the common case up front: growing a vector of records is a copy.
        out.reserve(
            limits
                .max_records
                .min((end - from_offset) as usize)
                .min(16_384),
        );
        let candidates: Vec<Arc<Segment>> = {
            let segments = self.segments.read();
            let first = segments
                .partition_point(|s| s.base_offset <= from_offset)
                .saturating_sub(1);
            segments[first..].iter().map(Arc::clone).collect()
        };
        let already = out.len();
        let mut bytes = 0usize;
        let mut from = from_offset;
        for segment in candidates {
            if segment.next_offset() <= from {
                continue;
            }
            let remaining = limits.max_records - (out.len() - already);
            let budget = limits.max_bytes.saturating_sub(bytes);
            bytes += segment.read(from, remaining, budget.max(1), &self.read_arena, out)?;
            let read = out.len() - already;
            if read >= limits.max_records || (bytes >= limits.max_bytes && read > 0) {
                break;
            }
            from = segment.next_offset();
        }
        Ok(out.len() - already)
    }

    /// The first offset whose record timestamp is >= `timestamp`, or `None` if no record is.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Result<Option<u64>> {
        let segments: Vec<Arc<Segment>> = self.segments.read().iter().map(Arc::clone).collect();
        for segment in segments {
            if segment.max_timestamp() < timestamp {
                continue;
            }
            let Some(mut from) = segment.first_offset_reaching(timestamp) else {
                continue;
            };
            from = from.max(self.log_start_offset());
            loop {
                let mut out = Vec::new();
                segment.read(from, 1000, usize::MAX, &self.read_arena, &mut out)?;
                if out.is_empty() {
                    break;
                }
                if let Some(found) = out.iter().find(|r| r.timestamp >= timestamp) {
                    return Ok(Some(found.offset));
                }
                from = out.last().map_or(from, |r| r.offset + 1);
            }
        }
        Ok(None)
    }

    /// Waits until `end_offset() > offset` (or the partition is deleted).
    pub async fn wait_for_data(&self, offset: u64) {
        let mut receiver = self.progress.subscribe();
        // An error means the sender is gone, which cannot happen while `self` lives.
        let _ = receiver
            .wait_for(|(end, closed)| *end > offset || *closed)
            .await;
    }

    /// Wakes every waiter for good: the partition's topic was deleted.
    pub(crate) fn close(&self) {
        self.progress.send_modify(|(_, closed)| *closed = true);
    }

    pub fn info(&self) -> PartitionInfo {
        let segments = self.segments.read();
        PartitionInfo {
            partition: self.id,
            log_start_offset: self.log_start_offset(),
            end_offset: self.end_offset(),
            size_bytes: segments.iter().map(|s| s.size()).sum(),
            segments: segments.len(),
        }
    }

    /// Whether a failed write or fsync has made this partition refuse writes.
    pub fn is_refusing_writes(&self) -> bool {
        self.refuse_writes.load(Ordering::Acquire)
    }

    pub(crate) fn set_log_start(&self, offset: u64) {
        self.log_start.fetch_max(offset, Ordering::AcqRel);
    }

    fn invalid_append(&self, reason: &str) -> LogError {
        LogError::InvalidAppend {
            topic: self.topic.clone(),
            partition: self.id,
            reason: reason.to_string(),
        }
    }

    fn writes_refused(&self) -> LogError {
        LogError::WritesRefused {
            topic: self.topic.clone(),
            partition: self.id,
        }
    }
}
