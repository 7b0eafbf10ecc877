//! Retention: deleting whole sealed segments beyond `retention.ms` / `retention.bytes`.

use std::sync::Arc;

use super::error::Result;
use super::partition::Partition;
use super::segment::Segment;

impl Partition {
    /// Deletes the oldest sealed segments that retention no longer keeps and advances
    /// the log start offset past them. Returns how many segments were deleted.
    pub fn apply_retention(&self) -> Result<usize> {
        let _cleaning = self.cleaning.lock();
        if !self.config.cleanup_policy.delete {
            return Ok(0);
        }
        let (retention_ms, retention_bytes) =
            (self.config.retention_ms, self.config.retention_bytes);
        if retention_ms < 0 && retention_bytes < 0 {
            return Ok(0);
        }
        let now = self.options.clock.now_ms();
        let segments: Vec<Arc<Segment>> = self.segments.read().iter().map(Arc::clone).collect();
        let mut total: i64 = segments.iter().map(|s| s.size() as i64).sum();
        let mut doomed = 0;
        // The active (last) segment is never deleted.
        for segment in &segments[..segments.len().saturating_sub(1)] {
            let expired =
                retention_ms >= 0 && now.saturating_sub(segment.max_timestamp()) > retention_ms;
            let oversized =
                retention_bytes >= 0 && total - segment.size() as i64 >= retention_bytes;
            if !(expired || oversized) {
                break;
            }
            total -= segment.size() as i64;
            doomed += 1;
        }
        if doomed == 0 {
            return Ok(0);
        }
        // Readers see the new start before the files go, so they get a clear
        // out-of-range error instead of missing data.
        self.set_log_start(segments[doomed].base_offset);
        self.segments.write().drain(..doomed);
        for segment in &segments[..doomed] {
            segment.delete_files(self.options.storage.as_ref())?;
        }
        Ok(doomed)
    }
}
