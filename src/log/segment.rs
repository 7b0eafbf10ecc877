//! One segment: a file of RecordBatch v2 batches from a base offset, with its indexes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use bytes::Bytes;
use parking_lot::RwLock;

use super::batch::{self, BATCH_HEADER_LEN, BatchHeader, BatchInfo};
use super::error::{LogError, Result};
use super::index::{INDEX_INTERVAL_BYTES, OffsetIndex, TimeIndex};
use super::read_arena::ReadArena;
use super::record::ConsumedRecord;
use super::storage::{self, Storage, StorageFile};

/// How much a read or scan asks the file for at once.
const READ_CHUNK: usize = 1024 * 1024;

/// File name of a segment (or its index) with the given base offset.
pub fn file_name(base_offset: u64, extension: &str) -> String {
    format!("{base_offset:020}.{extension}")
}

/// Parses `00000000000000000042.log` into 42.
pub fn parse_file_name(name: &str, extension: &str) -> Option<u64> {
    let stem = name.strip_suffix(extension)?.strip_suffix('.')?;
    if stem.len() == 20 && stem.bytes().all(|b| b.is_ascii_digit()) {
        stem.parse().ok()
    } else {
        None
    }
}

/// Least and most disk space an active segment reserves ahead of its end.
const RESERVE_MIN_BYTES: u64 = 64 << 10;
const RESERVE_MAX_BYTES: u64 = 8 << 20;

/// What recovery cut from the end of an active segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryNote {
    pub path: PathBuf,
    pub kept_bytes: u64,
    pub dropped_bytes: u64,
    pub reason: String,
}

#[derive(Debug, Default)]
struct Indexes {
    offsets: OffsetIndex,
    times: TimeIndex,
    /// Position of the last offset-index entry, to space entries `INDEX_INTERVAL_BYTES` apart.
    last_indexed_position: Option<u64>,
}

/// A segment file and its in-memory indexes. Sealed segments never change; the active
/// one grows by [`Segment::append`] under the partition's writer lock.
#[derive(Debug)]
pub struct Segment {
    pub base_offset: u64,
    pub path: PathBuf,
    file: Arc<dyn StorageFile>,
    indexes: RwLock<Indexes>,
    /// Bytes of complete batches: readers never look beyond it.
    size: AtomicU64,
    /// End of the disk space reserved for appends (see [`StorageFile::reserve`]).
    reserved: AtomicU64,
    /// One past the last offset the segment covers.
    next_offset: AtomicU64,
    max_timestamp: AtomicI64,
    /// Clock time the segment was created (or opened), for `segment.ms` rolling.
    pub created_ms: i64,
}

/// The result of scanning a segment file batch by batch.
struct Scan {
    valid_len: u64,
    next_offset: u64,
    indexes: Indexes,
    /// Where and why the scan stopped before the end of the file.
    stopped: Option<(u64, String)>,
}

impl Segment {
    /// Creates an empty segment file.
    pub fn create(
        storage: &dyn Storage,
        dir: &Path,
        base_offset: u64,
        now_ms: i64,
    ) -> Result<Segment> {
        let path = dir.join(file_name(base_offset, "log"));
        let file = storage
            .open(&path, true)
            .map_err(|e| LogError::io("creating segment", &path, e))?;
        file.set_len(0)
            .map_err(|e| LogError::io("creating segment", &path, e))?;
        Ok(Segment::new(
            path,
            file,
            base_offset,
            0,
            base_offset,
            Indexes::default(),
            now_ms,
        ))
    }

    fn new(
        path: PathBuf,
        file: Arc<dyn StorageFile>,
        base_offset: u64,
        size: u64,
        next_offset: u64,
        indexes: Indexes,
        now_ms: i64,
    ) -> Segment {
        let max_ts = indexes.times.max_timestamp().unwrap_or(-1);
        Segment {
            base_offset,
            path,
            file,
            indexes: RwLock::new(indexes),
            size: AtomicU64::new(size),
            reserved: AtomicU64::new(size),
            next_offset: AtomicU64::new(next_offset),
            max_timestamp: AtomicI64::new(max_ts),
            created_ms: now_ms,
        }
    }

    /// Opens a sealed segment covering `base_offset..next_base`: loads its index files,
    /// or rebuilds them by a strict scan that fails on any corruption.
    pub fn open_sealed(
        storage: &dyn Storage,
        path: PathBuf,
        base_offset: u64,
        next_base: u64,
        now_ms: i64,
    ) -> Result<Segment> {
        let file = storage
            .open(&path, false)
            .map_err(|e| LogError::io("opening segment", &path, e))?;
        let len = file
            .size()
            .map_err(|e| LogError::io("reading the size of", &path, e))?;
        let span = next_base.saturating_sub(base_offset);
        let offsets = storage::read_whole(storage, &path.with_extension("index"))
            .ok()
            .and_then(|bytes| OffsetIndex::decode(&bytes, len, span));
        let times = storage::read_whole(storage, &path.with_extension("timeindex"))
            .ok()
            .and_then(|bytes| TimeIndex::decode(&bytes, span));
        if let (Some(offsets), Some(times)) = (offsets, times)
            && (len == 0 || (!offsets.is_empty() && times.max_timestamp().is_some()))
        {
            let indexes = Indexes {
                offsets,
                times,
                last_indexed_position: None,
            };
            return Ok(Segment::new(
                path,
                file,
                base_offset,
                len,
                next_base,
                indexes,
                now_ms,
            ));
        }
        let scan = scan(file.as_ref(), &path, base_offset, len)?;
        if let Some((position, reason)) = scan.stopped {
            return Err(LogError::Corrupted {
                offset: scan.next_offset,
                path,
                position,
                reason,
            });
        }
        let segment = Segment::new(
            path,
            file,
            base_offset,
            len,
            next_base,
            scan.indexes,
            now_ms,
        );
        segment.write_index_files(storage, false)?;
        Ok(segment)
    }

    /// Opens the active (last) segment: scans it, truncating a torn or corrupt tail.
    pub fn open_active(
        storage: &dyn Storage,
        path: PathBuf,
        base_offset: u64,
        now_ms: i64,
    ) -> Result<(Segment, Option<RecoveryNote>)> {
        let file = storage
            .open(&path, false)
            .map_err(|e| LogError::io("opening segment", &path, e))?;
        let len = file
            .size()
            .map_err(|e| LogError::io("reading the size of", &path, e))?;
        let scan = scan(file.as_ref(), &path, base_offset, len)?;
        let mut note = None;
        if let Some((position, reason)) = scan.stopped {
            file.set_len(scan.valid_len)
                .map_err(|e| LogError::io("truncating the torn tail of", &path, e))?;
            note = Some(RecoveryNote {
                path: path.clone(),
                kept_bytes: scan.valid_len,
                dropped_bytes: len - position,
                reason,
            });
        }
        let segment = Segment::new(
            path,
            file,
            base_offset,
            scan.valid_len,
            scan.next_offset,
            scan.indexes,
            now_ms,
        );
        Ok((segment, note))
    }

    pub fn size(&self) -> u64 {
        self.size.load(Ordering::Acquire)
    }

    pub fn next_offset(&self) -> u64 {
        self.next_offset.load(Ordering::Acquire)
    }

    /// Largest record timestamp in the segment, or -1 when it is empty.
    pub fn max_timestamp(&self) -> i64 {
        self.max_timestamp.load(Ordering::Acquire)
    }

    /// Appends an encoded batch; the caller holds the partition's writer lock.
    pub fn append(&self, bytes: &[u8], info: &BatchInfo) -> std::io::Result<()> {
        let position = self.size.load(Ordering::Relaxed);
        self.reserve_through(position + bytes.len() as u64);
        self.file.write_all_at(bytes, position)?;
        self.index_batch(position, info);
        self.size
            .store(position + bytes.len() as u64, Ordering::Release);
        self.next_offset
            .store(info.last_offset + 1, Ordering::Release);
        Ok(())
    }

    /// Reserves disk space through `end` and ahead of it: appends into reserved blocks
    /// cost the file system less than appends that allocate as they go. The space
    /// ahead grows with the segment, so a small partition reserves little.
    fn reserve_through(&self, end: u64) {
        let reserved = self.reserved.load(Ordering::Relaxed);
        if end <= reserved {
            return;
        }
        let target = end + end.clamp(RESERVE_MIN_BYTES, RESERVE_MAX_BYTES);
        // Only speed depends on it: a full disk is reported by the write itself. Not
        // retried per append when it fails.
        let _ = self.file.reserve(reserved, target - reserved);
        self.reserved.store(target, Ordering::Relaxed);
    }

    /// Gives back the space reserved beyond the segment's end (when it is sealed).
    pub fn release_reserved(&self) -> std::io::Result<()> {
        let size = self.size();
        if self.reserved.swap(size, Ordering::Relaxed) > size {
            self.file.set_len(size)?;
        }
        Ok(())
    }

    fn index_batch(&self, position: u64, info: &BatchInfo) {
        let relative = (info.base_offset - self.base_offset) as u32;
        let mut indexes = self.indexes.write();
        let due = indexes
            .last_indexed_position
            .is_none_or(|last| position >= last + INDEX_INTERVAL_BYTES);
        if due {
            indexes.offsets.push(relative, position as u32);
            indexes.last_indexed_position = Some(position);
        }
        if info.records_count > 0 {
            indexes.times.observe(info.max_timestamp, relative);
            self.max_timestamp
                .fetch_max(info.max_timestamp, Ordering::AcqRel);
        }
    }

    pub fn sync(&self) -> std::io::Result<()> {
        self.file.sync_data()
    }

    /// Saves the indexes beside the segment (when it is sealed).
    pub fn write_index_files(&self, storage: &dyn Storage, sync: bool) -> Result<()> {
        let (offsets, times) = {
            let indexes = self.indexes.read();
            (indexes.offsets.encode(), indexes.times.encode())
        };
        for (ext, bytes) in [("index", offsets), ("timeindex", times)] {
            let path = self.path.with_extension(ext);
            storage::write_whole_atomic(storage, &path, &bytes, sync)
                .map_err(|e| LogError::io("writing index", &path, e))?;
        }
        Ok(())
    }

    /// Removes the segment's files (the open handle stays readable for current readers).
    pub fn delete_files(&self, storage: &dyn Storage) -> Result<()> {
        for ext in ["log", "index", "timeindex"] {
            let path = self.path.with_extension(ext);
            if storage.exists(&path) {
                storage
                    .remove_file(&path)
                    .map_err(|e| LogError::io("deleting", &path, e))?;
            }
        }
        Ok(())
    }

    /// The relative offset of the first batch that could hold a timestamp >= `ts`.
    pub fn first_offset_reaching(&self, ts: i64) -> Option<u64> {
        let rel = self.indexes.read().times.first_reaching(ts)?;
        Some(self.base_offset + u64::from(rel))
    }

    /// Reads records with offset >= `from_offset` into `out`, stopping at `max_records`
    /// records or once `max_bytes` of key+value bytes were read. Returns the bytes read.
    /// Chunks come from `arena`; the records' keys and values are slices of them.
    pub fn read(
        &self,
        from_offset: u64,
        max_records: usize,
        max_bytes: usize,
        arena: &ReadArena,
        out: &mut Vec<ConsumedRecord>,
    ) -> Result<usize> {
        let relative = from_offset
            .saturating_sub(self.base_offset)
            .min(u64::from(u32::MAX)) as u32;
        let (start_rel, start_pos) = self
            .indexes
            .read()
            .offsets
            .floor(relative)
            .unwrap_or((0, 0));
        let mut expected_base = self.base_offset + u64::from(start_rel);
        let mut position = u64::from(start_pos);
        let end = self.size();
        let target = out.len().saturating_add(max_records);
        let mut bytes_read = 0usize;
        while position < end && out.len() < target && bytes_read < max_bytes {
            let wanted_last = expected_base
                .max(from_offset)
                .saturating_add((target - out.len()) as u64 - 1);
            let limit = self
                .position_after(wanted_last)
                .filter(|bound| *bound > position && *bound < end)
                .unwrap_or(end);
            let want = (limit - position).min(READ_CHUNK as u64) as usize;
            let chunk = self.read_bytes_into(arena, position, want)?;
            let mut at = 0usize;
            while at + BATCH_HEADER_LEN <= chunk.len()
                && out.len() < target
                && bytes_read < max_bytes
            {
                let header = BatchHeader::parse(&chunk[at..]).map_err(|reason| {
                    self.corrupted(position + at as u64, expected_base, reason)
                })?;
                let total = header.total_len();
                if at + total > chunk.len() {
                    break;
                }
                let batch = chunk.slice(at..at + total);
                bytes_read += self.decode_batch(
                    &batch,
                    &header,
                    expected_base,
                    position + at as u64,
                    from_offset,
                    target - out.len(),
                    out,
                )?;
                expected_base = header.last_offset() + 1;
                at += total;
            }
            if at == 0 {
                // One batch larger than the chunk: read exactly that batch.
                let header = BatchHeader::parse(&chunk)
                    .map_err(|reason| self.corrupted(position, expected_base, reason))?;
                let total = header.total_len();
                if position + total as u64 > end {
                    return Err(self.corrupted(
                        position,
                        expected_base,
                        format!("batch of {total} bytes runs past the end of the segment"),
                    ));
                }
                let batch = self.read_bytes_into(arena, position, total)?;
                bytes_read += self.decode_batch(
                    &batch,
                    &header,
                    expected_base,
                    position,
                    from_offset,
                    target - out.len(),
                    out,
                )?;
                expected_base = header.last_offset() + 1;
                at = total;
            }
            position += at as u64;
        }
        Ok(bytes_read)
    }

    /// Byte position of the first indexed batch starting after `offset`: batches holding
    /// offsets up to `offset` end there at the latest, so a read need not look further.
    fn position_after(&self, offset: u64) -> Option<u64> {
        let relative = u32::try_from(offset.checked_sub(self.base_offset)?).ok()?;
        let position = self.indexes.read().offsets.first_above(relative)?.1;
        Some(u64::from(position))
    }

    /// Checks one whole batch read at `position` and decodes its records with offset >=
    /// `from_offset`, at most `max_records`; returns the key+value bytes decoded.
    #[allow(clippy::too_many_arguments)]
    fn decode_batch(
        &self,
        batch: &Bytes,
        header: &BatchHeader,
        expected_base: u64,
        position: u64,
        from_offset: u64,
        max_records: usize,
        out: &mut Vec<ConsumedRecord>,
    ) -> Result<usize> {
        self.check_batch(batch, header, expected_base, position)?;
        if header.last_offset() < from_offset {
            return Ok(0);
        }
        let (_, payload) = batch::decode_records(batch, header, from_offset, max_records, out)
            .map_err(|reason| self.corrupted(position, header.base_offset, reason))?;
        Ok(payload)
    }

    /// Checks a whole batch where `expected_base` must start: offsets, range and CRC.
    fn check_batch(
        &self,
        batch: &[u8],
        header: &BatchHeader,
        expected_base: u64,
        position: u64,
    ) -> Result<()> {
        if header.base_offset != expected_base {
            return Err(self.corrupted(
                position,
                expected_base,
                format!(
                    "batch base offset is {}, expected {expected_base}",
                    header.base_offset
                ),
            ));
        }
        if header.last_offset() >= self.next_offset() {
            return Err(self.corrupted(
                position,
                expected_base,
                format!(
                    "batch ends at offset {}, past the segment's end {}",
                    header.last_offset(),
                    self.next_offset()
                ),
            ));
        }
        if !batch::crc_matches(batch, header) {
            return Err(self.corrupted(position, expected_base, "CRC-32C mismatch".into()));
        }
        Ok(())
    }

    fn corrupted(&self, position: u64, offset: u64, reason: String) -> LogError {
        LogError::Corrupted {
            path: self.path.clone(),
            position,
            offset,
            reason,
        }
    }

    /// Reads exactly `len` bytes at `position` into a piece of `arena`.
    fn read_bytes_into(&self, arena: &ReadArena, position: u64, len: usize) -> Result<Bytes> {
        arena.read(len, |buf| {
            fill_exact(self.file.as_ref(), &self.path, position, buf)
        })
    }
}

fn read_exact(file: &dyn StorageFile, path: &Path, position: u64, len: usize) -> Result<Bytes> {
    let mut buf = vec![0; len];
    fill_exact(file, path, position, &mut buf)?;
    Ok(Bytes::from(buf))
}

/// Fills all of `buf` from the file at `position`.
fn fill_exact(file: &dyn StorageFile, path: &Path, position: u64, buf: &mut [u8]) -> Result<()> {
    let len = buf.len();
    let mut done = 0;
    while done < len {
        let n = file
            .read_at(&mut buf[done..], position + done as u64)
            .map_err(|e| LogError::io("reading segment", path, e))?;
        if n == 0 {
            return Err(LogError::Corrupted {
                path: path.to_path_buf(),
                position: position + done as u64,
                offset: 0,
                reason: "file ends before the bytes its batches describe".into(),
            });
        }
        done += n;
    }
    Ok(())
}

/// Scans a segment file from the start, validating every batch, and rebuilds its indexes.
/// Stops at the first torn or invalid batch, recording where and why.
fn scan(file: &dyn StorageFile, path: &Path, base_offset: u64, len: u64) -> Result<Scan> {
    let mut indexes = Indexes::default();
    let mut position = 0u64;
    let mut next_offset = base_offset;
    let mut stopped = None;
    'outer: while position < len {
        let want = (len - position).min(READ_CHUNK as u64) as usize;
        let chunk = read_exact(file, path, position, want)?;
        let mut at = 0usize;
        loop {
            let remaining = chunk.len() - at;
            let file_remaining = len - position - at as u64;
            if remaining == 0 {
                break;
            }
            if remaining < BATCH_HEADER_LEN {
                if file_remaining as usize == remaining {
                    stopped = Some((
                        position + at as u64,
                        format!("{remaining} trailing bytes do not hold a batch header"),
                    ));
                    break 'outer;
                }
                break;
            }
            let header = match BatchHeader::parse(&chunk[at..]) {
                Ok(header) => header,
                Err(reason) => {
                    stopped = Some((position + at as u64, reason));
                    break 'outer;
                }
            };
            let total = header.total_len();
            if total as u64 > file_remaining {
                stopped = Some((
                    position + at as u64,
                    format!("batch of {total} bytes is torn: only {file_remaining} bytes remain"),
                ));
                break 'outer;
            }
            if at + total > chunk.len() {
                if at == 0 {
                    let batch = read_exact(file, path, position, total)?;
                    if let Err(reason) = validate(&batch, &header, next_offset) {
                        stopped = Some((position, reason));
                        break 'outer;
                    }
                    record(&mut indexes, base_offset, position, &header);
                    next_offset = header.last_offset() + 1;
                    at = total;
                }
                break;
            }
            if let Err(reason) = validate(&chunk[at..at + total], &header, next_offset) {
                stopped = Some((position + at as u64, reason));
                break 'outer;
            }
            record(&mut indexes, base_offset, position + at as u64, &header);
            next_offset = header.last_offset() + 1;
            at += total;
        }
        position += at as u64;
    }
    Ok(Scan {
        valid_len: stopped.as_ref().map_or(len, |(pos, _)| *pos),
        next_offset,
        indexes,
        stopped,
    })
}

fn validate(batch: &[u8], header: &BatchHeader, expected_base: u64) -> Result<(), String> {
    if header.base_offset != expected_base {
        return Err(format!(
            "batch base offset is {}, expected {expected_base}",
            header.base_offset
        ));
    }
    if !batch::crc_matches(batch, header) {
        return Err("CRC-32C mismatch".into());
    }
    Ok(())
}

fn record(indexes: &mut Indexes, base_offset: u64, position: u64, header: &BatchHeader) {
    let relative = (header.base_offset - base_offset) as u32;
    if indexes
        .last_indexed_position
        .is_none_or(|last| position >= last + INDEX_INTERVAL_BYTES)
    {
        indexes.offsets.push(relative, position as u32);
        indexes.last_indexed_position = Some(position);
    }
    if header.records_count > 0 {
        indexes.times.observe(header.max_timestamp, relative);
    }
}
