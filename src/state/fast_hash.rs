//! FastHasher: a word-at-a-time multiplicative hasher for keys hashed once per row.
//!
//! Group keys are hashed once when a row is folded in and the hash is kept with the key
//! ([`super::store::Prehashed`]). SipHash, the standard map's hasher, took a large part
//! of that per-row cost; this hasher (the Fx hash of rustc, with a final mix so that
//! both the low bits a map indexes by and the high bits it filters with vary) costs a
//! multiply per word. It is deterministic: the same key hashes the same in every run.

use std::hash::Hasher;

const MULTIPLIER: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // MurmurHash3's finalizer: every input bit reaches every output bit.
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length tells "ab" from "ab\0".
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u16(&mut self, value: u16) {
        self.add(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }
}

/// The hash of `value` by [`FastHasher`].
pub fn fast_hash<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = FastHasher::default();
    value.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn equal_values_hash_equal_and_near_values_spread() {
        assert_eq!(fast_hash("key-1"), fast_hash("key-1"));
        assert_ne!(fast_hash("ab"), fast_hash("ab\0"));
        assert_ne!(fast_hash(&1i64), fast_hash(&2i64));
        // Consecutive keys must not crowd into few buckets of a small map.
        let buckets: HashSet<u64> = (0..1024i64).map(|k| fast_hash(&k) & 1023).collect();
        assert!(buckets.len() > 550, "{} buckets of 1024", buckets.len());
        let tags: HashSet<u64> = (0..1024i64).map(|k| fast_hash(&k) >> 57).collect();
        assert!(tags.len() > 100, "{} high tags of 128", tags.len());
    }
}
