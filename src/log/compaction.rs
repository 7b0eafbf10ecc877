//! Compaction: rewriting sealed segments to keep only the latest record per key.
//!
//! Offsets are preserved; the rewritten batches still tile the segment's offset range
//! (each starts right after the previous one ends) so the contiguity check that catches
//! corrupt base offsets keeps working on compacted segments.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;

use super::builder::BatchBuilder;
use super::error::{LogError, Result};
use super::options::FlushPolicy;
use super::partition::Partition;
use super::read_arena::ReadArena;
use super::record::ConsumedRecord;
use super::segment::{self, Segment};

/// Records per rewritten batch.
const REWRITE_BATCH_RECORDS: usize = 1000;

/// What one compaction pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactionStats {
    pub segments_rewritten: usize,
    pub records_removed: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

impl Partition {
    /// Compacts the sealed segments older than `min.compaction.lag.ms`: keeps the latest
    /// record per key, and drops tombstones older than `delete.retention.ms`. Appends
    /// and reads go on meanwhile; each segment is swapped in atomically.
    pub fn compact(&self) -> Result<CompactionStats> {
        let _cleaning = self.cleaning.lock();
        let mut stats = CompactionStats::default();
        if !self.config.cleanup_policy.compact {
            return Ok(stats);
        }
        let now = self.options.clock.now_ms();
        let segments: Vec<Arc<Segment>> = self.segments.read().iter().map(Arc::clone).collect();
        let lag_limit = now.saturating_sub(self.config.min_compaction_lag_ms);
        let cleanable: Vec<(Arc<Segment>, u64)> = segments
            .windows(2)
            .take_while(|pair| pair[0].max_timestamp() <= lag_limit)
            .map(|pair| (Arc::clone(&pair[0]), pair[1].base_offset))
            .collect();
        if cleanable.is_empty() {
            return Ok(stats);
        }
        let mut latest: HashMap<Bytes, u64> = HashMap::new();
        let mut contents = Vec::with_capacity(cleanable.len());
        for (segment, _) in &cleanable {
            let records = read_all(segment)?;
            for record in &records {
                if let Some(key) = &record.key {
                    latest.insert(key.clone(), record.offset);
                }
            }
            contents.push(records);
        }
        let tombstone_limit = now.saturating_sub(self.config.delete_retention_ms);
        for ((segment, next_base), records) in cleanable.iter().zip(contents) {
            let before = records.len();
            let kept: Vec<ConsumedRecord> = records
                .into_iter()
                .filter(|r| match &r.key {
                    // Records without a key have nothing to be superseded by.
                    None => true,
                    Some(key) => {
                        latest.get(key) == Some(&r.offset)
                            && !(r.value.is_none() && r.timestamp < tombstone_limit)
                    }
                })
                .collect();
            if kept.len() == before {
                continue;
            }
            stats.records_removed += before - kept.len();
            stats.bytes_before += segment.size();
            let rewritten = self.rewrite(segment, *next_base, &kept)?;
            stats.bytes_after += rewritten.size();
            stats.segments_rewritten += 1;
        }
        Ok(stats)
    }

    /// Replaces a sealed segment's file by one holding only `kept`, crash-safely.
    fn rewrite(
        &self,
        old: &Arc<Segment>,
        next_base: u64,
        kept: &[ConsumedRecord],
    ) -> Result<Arc<Segment>> {
        let storage = self.options.storage.as_ref();
        let mut bytes = Vec::new();
        let mut batch_base = old.base_offset;
        for chunk in kept.chunks(REWRITE_BATCH_RECORDS) {
            let span_end = chunk.last().map_or(batch_base, |r| r.offset);
            if span_end - batch_base > i32::MAX as u64 {
                return Err(LogError::Internal(format!(
                    "compacted batch of {} would span more than 2^31 offsets",
                    old.path.display()
                )));
            }
            let mut builder = BatchBuilder::new(&mut bytes, batch_base);
            for r in chunk {
                builder.push(
                    (r.offset - batch_base) as u32,
                    r.timestamp,
                    r.key.as_deref(),
                    r.value.as_deref(),
                    &r.headers,
                );
            }
            builder.finish((span_end - batch_base) as u32, 0);
            batch_base = span_end + 1;
        }
        let durable = self.options.flush != FlushPolicy::Never;
        let cleaned = self
            .dir
            .join(segment::file_name(old.base_offset, "cleaned"));
        let file = storage
            .open(&cleaned, true)
            .map_err(|e| LogError::io("creating compacted segment", &cleaned, e))?;
        file.set_len(0)
            .and_then(|()| file.write_all_at(&bytes, 0))
            .and_then(|()| if durable { file.sync_data() } else { Ok(()) })
            .map_err(|e| LogError::io("writing compacted segment", &cleaned, e))?;
        drop(file);
        // Stale indexes must not survive the swap: they would point into the old layout.
        for ext in ["index", "timeindex"] {
            let path = old.path.with_extension(ext);
            if storage.exists(&path) {
                storage
                    .remove_file(&path)
                    .map_err(|e| LogError::io("removing stale index", &path, e))?;
            }
        }
        storage
            .rename(&cleaned, &old.path)
            .map_err(|e| LogError::io("swapping in compacted segment", &old.path, e))?;
        let fresh = Arc::new(Segment::open_sealed(
            storage,
            old.path.clone(),
            old.base_offset,
            next_base,
            old.created_ms,
        )?);
        let mut segments = self.segments.write();
        if let Some(slot) = segments
            .iter_mut()
            .find(|s| s.base_offset == old.base_offset)
        {
            *slot = Arc::clone(&fresh);
        }
        Ok(fresh)
    }
}

fn read_all(segment: &Segment) -> Result<Vec<ConsumedRecord>> {
    let mut out = Vec::new();
    // A private arena: the records are kept until the rewrite is done.
    let arena = ReadArena::default();
    segment.read(
        segment.base_offset,
        usize::MAX / 2,
        usize::MAX,
        &arena,
        &mut out,
    )?;
    Ok(out)
}
