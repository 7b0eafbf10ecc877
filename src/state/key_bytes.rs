//! KeyBytes: an encoded key, kept inline when short, hashed and compared as bytes.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

/// Longest key kept inside the entry.
pub const INLINE_KEY_LEN: usize = 30;

/// A key's encoded bytes (a join key's row format, a group's scalars), inline when
/// short (most keys are): a lookup then compares bytes already in the entry's cache
/// line instead of following a pointer.
#[derive(Clone)]
pub enum KeyBytes {
    Inline {
        len: u8,
        bytes: [u8; INLINE_KEY_LEN],
    },
    Heap(Box<[u8]>),
}

impl KeyBytes {
    pub fn new(key: &[u8]) -> Self {
        if key.len() <= INLINE_KEY_LEN {
            let mut bytes = [0; INLINE_KEY_LEN];
            bytes[..key.len()].copy_from_slice(key);
            KeyBytes::Inline {
                len: key.len() as u8,
                bytes,
            }
        } else {
            KeyBytes::Heap(key.into())
        }
    }
}

impl KeyBytes {
    pub fn as_bytes(&self) -> &[u8] {
        self.borrow()
    }
}

impl std::fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyBytes({:02x?})", self.as_bytes())
    }
}

impl Borrow<[u8]> for KeyBytes {
    fn borrow(&self) -> &[u8] {
        match self {
            KeyBytes::Inline { len, bytes } => &bytes[..usize::from(*len)],
            KeyBytes::Heap(bytes) => bytes,
        }
    }
}

// Hash and equality are those of the bytes, as `Borrow` requires for lookups by `&[u8]`.
impl Hash for KeyBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Borrow::<[u8]>::borrow(self).hash(state);
    }
}

impl PartialEq for KeyBytes {
    fn eq(&self, other: &Self) -> bool {
        Borrow::<[u8]>::borrow(self) == Borrow::<[u8]>::borrow(other)
    }
}

impl Eq for KeyBytes {}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn short_and_long_keys_are_found_by_their_bytes() {
        let keys: Vec<Vec<u8>> = [0, 1, INLINE_KEY_LEN, INLINE_KEY_LEN + 1, 200]
            .iter()
            .map(|&len| (0..len).map(|i| i as u8 ^ 0x5a).collect())
            .collect();
        let mut map: HashMap<KeyBytes, usize, foldhash::fast::RandomState> = HashMap::default();
        for (i, key) in keys.iter().enumerate() {
            assert!(map.insert(KeyBytes::new(key), i).is_none());
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(
                map.get(key.as_slice()),
                Some(&i),
                "key of {} bytes",
                key.len()
            );
        }
        // A prefix of a key, or the key with a byte more, is another key.
        assert_eq!(map.get(&keys[3][..INLINE_KEY_LEN - 1]), None);
        let mut longer = keys[2].clone();
        longer.push(0);
        assert_eq!(map.get(longer.as_slice()), None);
    }
}
