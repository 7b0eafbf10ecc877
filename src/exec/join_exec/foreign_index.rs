//! The foreign-key join's index from a right key to the left rows that refer to it, so a
//! right-side change touches only its matching left rows instead of scanning them all.
//!
//! The index is derived state: it is rebuilt from the left rows whenever it is missing
//! (a new step, or one whose stores were just restored from the changelog), so it needs
//! no changelog of its own and cannot drift from what was restored.

use std::collections::{HashMap, HashSet};

use super::Row;

/// Left keys by the foreign key their row holds.
#[derive(Debug, Default)]
pub(super) struct ForeignIndex {
    referrers: HashMap<Row, HashSet<Row>>,
}

impl ForeignIndex {
    /// The index of `left_rows`: each left key and the foreign key its row holds.
    pub fn build<'a>(left_rows: impl Iterator<Item = (&'a Row, &'a Row)>) -> Self {
        let mut index = ForeignIndex::default();
        for (left_key, foreign_key) in left_rows {
            index.insert(foreign_key, left_key);
        }
        index
    }

    /// Records that the left row `left_key` now refers to `foreign_key`.
    pub fn insert(&mut self, foreign_key: &Row, left_key: &Row) {
        match self.referrers.get_mut(foreign_key) {
            Some(left_keys) => {
                left_keys.insert(left_key.clone());
            }
            None => {
                self.referrers
                    .insert(foreign_key.clone(), HashSet::from([left_key.clone()]));
            }
        }
    }

    /// Records that the left row `left_key` no longer refers to `foreign_key`.
    pub fn remove(&mut self, foreign_key: &Row, left_key: &Row) {
        if let Some(left_keys) = self.referrers.get_mut(foreign_key) {
            left_keys.remove(left_key);
            if left_keys.is_empty() {
                self.referrers.remove(foreign_key);
            }
        }
    }

    /// The left keys whose rows refer to `foreign_key`, in a stable order (by their
    /// printed values) so that results come out the same on every run.
    pub fn referrers(&self, foreign_key: &Row) -> Vec<Row> {
        let mut left_keys: Vec<Row> = self
            .referrers
            .get(foreign_key)
            .map(|keys| keys.iter().cloned().collect())
            .unwrap_or_default();
        left_keys.sort_by_cached_key(|k| format!("{k:?}"));
        left_keys
    }

    /// How many left rows the index lists.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.referrers.values().map(HashSet::len).sum()
    }
}
