//! The buffer a partition's reads carve their chunks from, reused once every record
//! sliced out of it has been dropped.
//!
//! A read hands out records whose keys and values are slices of the chunk read from the
//! segment, so the chunk cannot be reused while any of them lives. Allocating a fresh
//! megabyte per read costs more than the read itself: the allocator returns large
//! blocks to the kernel when they are freed, so every new one is faulted in page by
//! page. The arena keeps one large block; reads take consecutive pieces of it, and when
//! it is used up and every piece has been dropped (the common case for a consumer
//! that processes a read before the next) the whole block is reclaimed in place.

use bytes::BytesMut;
use parking_lot::Mutex;

/// Smallest block the arena allocates: small reads share one block.
const MIN_BLOCK: usize = 64 * 1024;
/// Largest block the arena allocates for reads smaller than it: two chunks of the
/// largest read, so that a consumer may hold one read's records while it makes the next.
const MAX_BLOCK: usize = 4 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct ReadArena {
    block: Mutex<BytesMut>,
}

impl ReadArena {
    /// A zeroed buffer of exactly `len` bytes to read into.
    pub fn take(&self, len: usize) -> BytesMut {
        // A reader racing another on the same partition allocates rather than waits.
        let Some(mut block) = self.block.try_lock() else {
            return BytesMut::zeroed(len);
        };
        if block.capacity() < len && !block.try_reclaim(len) {
            // Pieces of the old block are still held: it is freed with the last of them.
            *block = BytesMut::with_capacity((2 * len).clamp(MIN_BLOCK, MAX_BLOCK).max(len));
        }
        block.resize(len, 0);
        block.split_to(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_reused_once_its_pieces_are_dropped() {
        let arena = ReadArena::default();
        let first = arena.take(100_000).freeze();
        let first_ptr = first.as_ptr();
        let second = arena.take(100_000);
        assert_ne!(second.as_ptr(), first_ptr, "pieces do not overlap");
        drop(first);
        drop(second);
        let third = arena.take(150_000);
        assert_eq!(third.len(), 150_000);
        assert!(third.iter().all(|b| *b == 0));
        assert_eq!(third.as_ptr(), first_ptr, "the block was reclaimed");
    }

    #[test]
    fn a_held_piece_is_never_handed_out_again() {
        let arena = ReadArena::default();
        let mut held = arena.take(MAX_BLOCK);
        held[0] = 42;
        let held = held.freeze();
        for _ in 0..4 {
            let mut piece = arena.take(MAX_BLOCK);
            piece[0] = 7;
        }
        assert_eq!(held[0], 42);
        assert_eq!(held.len(), MAX_BLOCK);
    }
}
