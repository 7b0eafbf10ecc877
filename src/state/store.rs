//! KeyedStore: an in-memory map from key to state, the seam a changelog-backed store fills.

use std::collections::HashMap;
use std::hash::Hash;

/// The state of an operator by key. Every write goes through `put`/`delete`, so a
/// changelog topic can later record them and a restarted task replay them.
#[derive(Debug)]
pub struct KeyedStore<K, V> {
    entries: HashMap<K, V>,
}

impl<K: Hash + Eq, V> Default for KeyedStore<K, V> {
    fn default() -> Self {
        KeyedStore {
            entries: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq, V> KeyedStore<K, V> {
    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key)
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.entries.get_mut(key)
    }

    pub fn put(&mut self, key: K, value: V) -> Option<V> {
        self.entries.insert(key, value)
    }

    pub fn delete(&mut self, key: &K) -> Option<V> {
        self.entries.remove(key)
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
        self.entries.retain(|k, v| !expired(k, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
