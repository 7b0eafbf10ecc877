//! fast_hash: the hash of a group key, computed once per row and kept with the key
//! ([`super::store::Prehashed`]).
//!
//! SipHash, the standard map's hasher, took a large part of that per-row cost; foldhash
//! costs a multiply or two per word. The seed is fixed, so the same key hashes the same
//! in every run.

use std::hash::{BuildHasher, Hash};

/// The hash of `value`.
pub fn fast_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    foldhash::fast::FixedState::default().hash_one(value)
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
