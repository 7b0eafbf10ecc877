//! Kafka's default partitioner: murmur2 of the key bytes, sticky for null keys.

use std::sync::atomic::{AtomicU32, Ordering};

/// Kafka's `Utils.murmur2` (seed 0x9747b28c), bit for bit.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len() as u32;
    let mut h: u32 = SEED ^ length;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition Kafka's default partitioner picks for a non-null key.
pub fn partition_for_key(key: &[u8], partitions: u32) -> u32 {
    ((murmur2(key) as u32) & 0x7fff_ffff) % partitions.max(1)
}

/// Chooses partitions for records: explicit, by key, or sticky for null keys (all
/// null-key records of one batch go to one partition; the next batch moves on).
#[derive(Debug, Default)]
pub struct Partitioner {
    sticky: AtomicU32,
}

impl Partitioner {
    pub fn new() -> Self {
        Partitioner::default()
    }

    pub fn partition(&self, key: Option<&[u8]>, explicit: Option<u32>, partitions: u32) -> u32 {
        match (explicit, key) {
            (Some(p), _) => p,
            (None, Some(key)) => partition_for_key(key, partitions),
            (None, None) => self.sticky.load(Ordering::Relaxed) % partitions.max(1),
        }
    }

    /// Moves the sticky partition on: call when a batch has been sent.
    pub fn batch_done(&self) {
        self.sticky.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_kafka_test_vectors() {
        // From Kafka's UtilsTest.testMurmur2.
        let cases: [(&[u8], i32); 11] = [
            // Cross-checked against Kafka's implementation by Akka's Murmur2Spec.
            (b"1", -1_993_445_489),
            (b"12", 126_087_238),
            (b"123", -267_702_483),
            (b"1234", -1_614_185_708),
            (b"12345", -1_188_365_604),
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (input, expected) in cases {
            assert_eq!(
                murmur2(input),
                expected,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn sticky_moves_after_a_batch() {
        let partitioner = Partitioner::new();
        let first = partitioner.partition(None, None, 3);
        assert_eq!(partitioner.partition(None, None, 3), first);
        partitioner.batch_done();
        assert_ne!(partitioner.partition(None, None, 3), first);
        assert_eq!(partitioner.partition(Some(b"k"), Some(2), 3), 2);
    }
}
