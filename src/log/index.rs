//! Sparse offset and time indexes of one segment, kept in memory and saved beside it.

/// Bytes between two offset-index entries (Kafka's `index.interval.bytes` default).
pub const INDEX_INTERVAL_BYTES: u64 = 4096;
const OFFSET_ENTRY: usize = 8;
const TIME_ENTRY: usize = 12;

/// Maps a batch's base offset (relative to the segment) to its byte position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetIndex {
    entries: Vec<(u32, u32)>,
}

impl OffsetIndex {
    pub fn push(&mut self, relative_offset: u32, position: u32) {
        self.entries.push((relative_offset, position));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The last entry at or below `relative_offset`, as (relative offset, position).
    pub fn floor(&self, relative_offset: u32) -> Option<(u32, u32)> {
        let idx = self
            .entries
            .partition_point(|(rel, _)| *rel <= relative_offset);
        idx.checked_sub(1).map(|i| self.entries[i])
    }

    /// The first entry above `relative_offset`, as (relative offset, position).
    pub fn first_above(&self, relative_offset: u32) -> Option<(u32, u32)> {
        let idx = self
            .entries
            .partition_point(|(rel, _)| *rel <= relative_offset);
        self.entries.get(idx).copied()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * OFFSET_ENTRY);
        for (rel, pos) in &self.entries {
            out.extend_from_slice(&rel.to_be_bytes());
            out.extend_from_slice(&pos.to_be_bytes());
        }
        out
    }

    /// Decodes an index file, refusing one that cannot belong to a segment of
    /// `segment_len` bytes spanning `offset_span` offsets (it is then rebuilt).
    pub fn decode(bytes: &[u8], segment_len: u64, offset_span: u64) -> Option<OffsetIndex> {
        if !bytes.len().is_multiple_of(OFFSET_ENTRY) {
            return None;
        }
        let mut entries = Vec::with_capacity(bytes.len() / OFFSET_ENTRY);
        for chunk in bytes.chunks_exact(OFFSET_ENTRY) {
            let rel = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let pos = u32::from_be_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
            let ordered = entries.last().is_none_or(|&(r, p)| rel > r && pos > p);
            if !ordered || u64::from(pos) >= segment_len || u64::from(rel) >= offset_span {
                return None;
            }
            entries.push((rel, pos));
        }
        Some(OffsetIndex { entries })
    }
}

/// Maps a growing maximum timestamp to the relative offset of the batch reaching it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeIndex {
    entries: Vec<(i64, u32)>,
}

impl TimeIndex {
    /// Records a batch whose records reach `max_timestamp`, if that is a new maximum.
    pub fn observe(&mut self, max_timestamp: i64, relative_offset: u32) {
        if self
            .entries
            .last()
            .is_none_or(|(ts, _)| max_timestamp > *ts)
        {
            self.entries.push((max_timestamp, relative_offset));
        }
    }

    pub fn max_timestamp(&self) -> Option<i64> {
        self.entries.last().map(|(ts, _)| *ts)
    }

    /// The relative offset of the first batch whose running maximum timestamp is >= `ts`:
    /// no record before it can have a timestamp >= `ts`.
    pub fn first_reaching(&self, ts: i64) -> Option<u32> {
        let idx = self.entries.partition_point(|(max, _)| *max < ts);
        self.entries.get(idx).map(|(_, rel)| *rel)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * TIME_ENTRY);
        for (ts, rel) in &self.entries {
            out.extend_from_slice(&ts.to_be_bytes());
            out.extend_from_slice(&rel.to_be_bytes());
        }
        out
    }

    pub fn decode(bytes: &[u8], offset_span: u64) -> Option<TimeIndex> {
        if !bytes.len().is_multiple_of(TIME_ENTRY) {
            return None;
        }
        let mut entries: Vec<(i64, u32)> = Vec::with_capacity(bytes.len() / TIME_ENTRY);
        for chunk in bytes.chunks_exact(TIME_ENTRY) {
            let mut ts = [0u8; 8];
            ts.copy_from_slice(&chunk[0..8]);
            let ts = i64::from_be_bytes(ts);
            let rel = u32::from_be_bytes([chunk[8], chunk[9], chunk[10], chunk[11]]);
            let ordered = entries.last().is_none_or(|&(t, r)| ts > t && rel > r);
            if !ordered || u64::from(rel) >= offset_span {
                return None;
            }
            entries.push((ts, rel));
        }
        Some(TimeIndex { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_index_floor_and_round_trip() {
        let mut index = OffsetIndex::default();
        index.push(0, 0);
        index.push(10, 4100);
        index.push(20, 8300);
        assert_eq!(index.floor(0), Some((0, 0)));
        assert_eq!(index.floor(15), Some((10, 4100)));
        assert_eq!(index.floor(99), Some((20, 8300)));
        assert_eq!(index.first_above(0), Some((10, 4100)));
        assert_eq!(index.first_above(10), Some((20, 8300)));
        assert_eq!(index.first_above(20), None);
        let decoded = OffsetIndex::decode(&index.encode(), 9000, 30);
        assert_eq!(decoded, Some(index.clone()));
        assert_eq!(OffsetIndex::decode(&index.encode(), 8000, 30), None);
        assert_eq!(OffsetIndex::decode(&index.encode()[..5], 9000, 30), None);
    }

    #[test]
    fn time_index_keeps_only_new_maxima() {
        let mut index = TimeIndex::default();
        index.observe(100, 0);
        index.observe(90, 5);
        index.observe(200, 10);
        assert_eq!(index.max_timestamp(), Some(200));
        assert_eq!(index.first_reaching(50), Some(0));
        assert_eq!(index.first_reaching(150), Some(10));
        assert_eq!(index.first_reaching(201), None);
        assert_eq!(TimeIndex::decode(&index.encode(), 11), Some(index));
    }
}
