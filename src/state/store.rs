//! KeyedStore: an in-memory map from key to state, optionally recorded in a changelog.
//!
//! Reads and writes stay on the in-memory map. A store with a changelog also remembers
//! which keys a batch touched (`put`, `get_mut`, `delete`, `purge`); at the end of the
//! batch [`DurableStore::drain_changes`] turns each touched key into one changelog record
//! — its current value, or a tombstone when it is gone — so a key updated a thousand
//! times in a batch costs one record.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use super::changelog::{ChangelogRecord, StoreChange, StoreFrames};
use super::codec::{StateCodec, decode_from_slice};

/// Hashes a key that hashes itself to one `u64` computed once, when the key is made
/// (see `exec::aggregate_exec::WindowKey`): a lookup then costs no hashing at all.
#[derive(Debug, Default, Clone, Copy)]
pub struct PrehashedHasher {
    hash: u64,
}

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.hash
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached by keys that do not hash themselves to one u64: still a hash.
        for &byte in bytes {
            self.hash = (self.hash.rotate_left(5) ^ u64::from(byte))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.hash = self.hash.rotate_left(32) ^ value;
    }
}

/// The hasher choice for stores whose keys carry their own hash.
pub type Prehashed = BuildHasherDefault<PrehashedHasher>;

/// What a store needs to write its changes to a changelog and read them back.
struct StoreLog<K, V, S> {
    name: String,
    keys: Arc<dyn StateCodec<K>>,
    values: Arc<dyn StateCodec<V>>,
    touched: HashSet<K, S>,
}

/// The state of an operator by key; `S` hashes the keys ([`Prehashed`] for keys that
/// carry their hash).
pub struct KeyedStore<K, V, S = RandomState> {
    entries: HashMap<K, V, S>,
    changelog: Option<StoreLog<K, V, S>>,
}

impl<K: std::fmt::Debug, V: std::fmt::Debug, S> std::fmt::Debug for KeyedStore<K, V, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedStore")
            .field("entries", &self.entries)
            .field("changelog", &self.changelog.as_ref().map(|c| &c.name))
            .finish()
    }
}

impl<K: Hash + Eq, V, S: Default> Default for KeyedStore<K, V, S> {
    fn default() -> Self {
        KeyedStore {
            entries: HashMap::default(),
            changelog: None,
        }
    }
}

impl<K: Hash + Eq + Clone, V, S: BuildHasher + Default> KeyedStore<K, V, S> {
    /// A store whose changes go to the changelog under `name` (unique within a task).
    pub fn with_changelog(
        name: &str,
        keys: Arc<dyn StateCodec<K>>,
        values: Arc<dyn StateCodec<V>>,
    ) -> Self {
        KeyedStore {
            entries: HashMap::default(),
            changelog: Some(StoreLog {
                name: name.to_string(),
                keys,
                values,
                touched: HashSet::default(),
            }),
        }
    }

    /// Records `key` as changed: its value (or its absence) goes to the next
    /// [`DurableStore::drain_changes`].
    pub fn touch(&mut self, key: &K) {
        if let Some(log) = &mut self.changelog {
            if !log.touched.contains(key) {
                log.touched.insert(key.clone());
            }
        }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key)
    }

    /// The value to change in place; the key is recorded as changed.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let value = self.entries.get_mut(key)?;
        if let Some(log) = &mut self.changelog
            && !log.touched.contains(key)
        {
            log.touched.insert(key.clone());
        }
        Some(value)
    }

    /// The value to change in place, without recording the key as changed: for a caller
    /// that knows whether the key was already changed since the last drain and calls
    /// [`Self::touch`] itself when it was not (one set lookup saved per change).
    pub fn get_mut_untracked(&mut self, key: &K) -> Option<&mut V> {
        self.entries.get_mut(key)
    }

    pub fn put(&mut self, key: K, value: V) -> Option<V> {
        self.touch(&key);
        self.entries.insert(key, value)
    }

    pub fn delete(&mut self, key: &K) -> Option<V> {
        let removed = self.entries.remove(key);
        if removed.is_some() {
            self.touch(key);
        }
        removed
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter()
    }

    /// Removes every entry `expired` selects (windows past their retention).
    pub fn purge(&mut self, mut expired: impl FnMut(&K, &V) -> bool) {
        match &mut self.changelog {
            None => self.entries.retain(|k, v| !expired(k, v)),
            Some(log) => self.entries.retain(|k, v| {
                let gone = expired(k, v);
                if gone {
                    log.touched.insert(k.clone());
                }
                !gone
            }),
        }
    }
}

/// A store as its task's changelog sees it, whatever its key and value types.
pub trait DurableStore {
    /// The name its records carry in the task's changelog.
    fn store_name(&self) -> &str;
    /// Appends one record per key changed since the last call (none without a changelog).
    fn drain_changes(&mut self, out: &mut Vec<ChangelogRecord>) -> Result<(), String>;
    /// Applies a change read back from the changelog at restore.
    fn restore_change(&mut self, change: StoreChange<'_>) -> Result<(), String>;
}

impl<K: Hash + Eq + Clone, V, S: BuildHasher + Default> DurableStore for KeyedStore<K, V, S> {
    fn store_name(&self) -> &str {
        self.changelog.as_ref().map_or("", |c| c.name.as_str())
    }

    fn drain_changes(&mut self, out: &mut Vec<ChangelogRecord>) -> Result<(), String> {
        let Some(log) = &mut self.changelog else {
            return Ok(());
        };
        if log.touched.is_empty() {
            return Ok(());
        }
        let mut frames = StoreFrames::new(&log.name, log.touched.len());
        for key in log.touched.drain() {
            let value = self.entries.get(&key);
            frames.push(log.keys.as_ref(), &key, log.values.as_ref(), value)?;
        }
        frames.finish(out);
        Ok(())
    }

    fn restore_change(&mut self, change: StoreChange<'_>) -> Result<(), String> {
        let Some(log) = &self.changelog else {
            return Err("the store has no changelog (a bug)".into());
        };
        let key = decode_from_slice(log.keys.as_ref(), change.key)?;
        match change.value {
            Some(bytes) => {
                let value = decode_from_slice(log.values.as_ref(), bytes)?;
                self.entries.insert(key, value);
            }
            None => {
                self.entries.remove(&key);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::codec::I64Codec;

    #[test]
    fn put_get_delete_and_purge() {
        let mut store: KeyedStore<String, i64> = KeyedStore::default();
        assert_eq!(store.put("a".into(), 1), None);
        assert_eq!(store.put("a".into(), 2), Some(1));
        store.put("b".into(), 5);
        assert_eq!(store.get(&"a".into()), Some(&2));
        store.purge(|_, v| *v > 3);
        assert_eq!(store.len(), 1);
        assert_eq!(store.delete(&"a".into()), Some(2));
        assert!(store.is_empty());
    }

    fn durable() -> KeyedStore<i64, i64> {
        KeyedStore::with_changelog("s", Arc::new(I64Codec), Arc::new(I64Codec))
    }

    #[test]
    fn a_batch_of_changes_becomes_one_record_per_key_and_restores() {
        let mut store = durable();
        store.put(1, 10);
        store.put(1, 11);
        if let Some(v) = store.get_mut(&1) {
            *v += 1;
        }
        store.put(2, 20);
        store.put(3, 30);
        store.delete(&3);
        store.purge(|k, _| *k == 2);
        let mut records = Vec::new();
        store.drain_changes(&mut records).expect("encodes");
        assert_eq!(records.len(), 3, "keys 1, 2 and 3 changed");
        let mut again = Vec::new();
        store.drain_changes(&mut again).expect("encodes");
        assert!(again.is_empty(), "changes are drained once");

        let mut restored = durable();
        restored.put(2, 99);
        for record in &records {
            let change = record.as_store_change().expect("a store record");
            restored.restore_change(change).expect("decodes");
        }
        assert_eq!(restored.get(&1), Some(&12));
        assert_eq!(restored.get(&2), None, "the purge is a tombstone");
        assert_eq!(restored.get(&3), None);
        assert_eq!(restored.len(), 1);
    }
}
