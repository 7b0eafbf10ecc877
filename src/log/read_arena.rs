//! The buffers a partition's reads fill, each reused once every record sliced out of it
//! has been dropped, without being zeroed again.
//!
//! A read hands out records whose keys and values are slices of the chunk read from the
//! segment, so the chunk cannot be reused while any of them lives. Allocating a fresh
//! megabyte per read costs more than the read itself: the allocator returns large
//! blocks to the kernel when they are freed, so every new one is faulted in page by
//! page, and safe Rust must zero a buffer before `pread` fills it. The arena keeps a few
//! blocks, zeroed once when allocated: a read takes a block no record holds any more
//! (the common case for a consumer that processes a read before the next) and reads
//! into it as it is.

use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

/// Smallest block the arena allocates: small reads then do not regrow it.
const MIN_BLOCK: usize = 64 * 1024;
/// Largest block the arena keeps: a larger read (one huge batch) gets a buffer of its own.
const MAX_BLOCK: usize = 4 * 1024 * 1024;
/// Blocks the arena keeps: enough for a consumer that holds one read's records while it
/// makes the next, and for a second reader of the partition.
const MAX_BLOCKS: usize = 3;

#[derive(Debug, Default)]
pub struct ReadArena {
    blocks: Mutex<Vec<Arc<Vec<u8>>>>,
}

/// The first `len` bytes of a block, as the owner of the `Bytes` a read returns.
struct Piece {
    block: Arc<Vec<u8>>,
    len: usize,
}

impl AsRef<[u8]> for Piece {
    fn as_ref(&self) -> &[u8] {
        self.block.get(..self.len).unwrap_or_default()
    }
}

impl ReadArena {
    /// Has `fill` fill a buffer of exactly `len` bytes (whose contents are unspecified
    /// before) and returns those bytes.
    pub fn read<E>(
        &self,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Bytes, E> {
        // A reader racing another on the same partition allocates rather than waits.
        let Some(mut blocks) = self.blocks.try_lock().filter(|_| len <= MAX_BLOCK) else {
            return read_alone(len, fill);
        };
        let free = blocks
            .iter_mut()
            .position(|block| Arc::get_mut(block).is_some());
        let index = match free {
            Some(index) => index,
            None => {
                if blocks.len() >= MAX_BLOCKS {
                    // Every block is held (by records a consumer keeps): the oldest is
                    // freed with the last of them.
                    blocks.remove(0);
                }
                blocks.push(Arc::new(Vec::new()));
                blocks.len() - 1
            }
        };
        let block = &mut blocks[index];
        let Some(buffer) = Arc::get_mut(block) else {
            return read_alone(len, fill);
        };
        if buffer.len() < len {
            // Grown (and zeroed) once: later reads fill what is already there.
            buffer.resize(len.max(MIN_BLOCK).min(MAX_BLOCK), 0);
        }
        fill(&mut buffer[..len])?;
        Ok(Bytes::from_owner(Piece {
            block: Arc::clone(block),
            len,
        }))
    }
}

/// A read into a buffer of its own, which the arena does not keep.
fn read_alone<E>(len: usize, fill: impl FnOnce(&mut [u8]) -> Result<(), E>) -> Result<Bytes, E> {
    let mut buffer = vec![0; len];
    fill(&mut buffer)?;
    Ok(Bytes::from(buffer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(arena: &ReadArena, len: usize, byte: u8) -> Bytes {
        arena
            .read(len, |buffer| {
                buffer.fill(byte);
                Ok::<_, ()>(())
            })
            .expect("fills")
    }

    #[test]
    fn a_block_is_reused_once_its_pieces_are_dropped() {
        let arena = ReadArena::default();
        let first = read(&arena, 100_000, 1);
        let first_ptr = first.as_ptr();
        let second = read(&arena, 100_000, 2);
        assert_ne!(second.as_ptr(), first_ptr, "pieces do not overlap");
        drop(first);
        let third = read(&arena, 100_000, 3);
        assert_eq!(third.as_ptr(), first_ptr, "the first block was reused");
        assert!(third.iter().all(|b| *b == 3));
        drop(second);
        drop(third);
        let fourth = read(&arena, 10, 4);
        assert_eq!(fourth.as_ptr(), first_ptr, "the first free block is reused");
        assert_eq!(&fourth[..], &[4; 10]);
    }

    #[test]
    fn a_held_piece_is_never_handed_out_again() {
        let arena = ReadArena::default();
        let held = read(&arena, MAX_BLOCK, 42);
        for round in 0..(2 * MAX_BLOCKS) {
            let piece = read(&arena, MAX_BLOCK, round as u8);
            assert_ne!(piece.as_ptr(), held.as_ptr());
        }
        let kept: Vec<Bytes> = (0..2 * MAX_BLOCKS)
            .map(|round| read(&arena, 1000, round as u8))
            .collect();
        assert!(held.iter().all(|b| *b == 42));
        assert_eq!(held.len(), MAX_BLOCK);
        for (round, piece) in kept.iter().enumerate() {
            assert!(piece.iter().all(|b| *b == round as u8), "piece {round}");
        }
        assert!(arena.blocks.lock().len() <= MAX_BLOCKS);
    }

    #[test]
    fn a_failed_fill_is_returned_and_a_huge_read_gets_its_own_buffer() {
        let arena = ReadArena::default();
        let failed = arena.read(10, |_| Err("disk on fire"));
        assert_eq!(failed, Err("disk on fire"));
        let huge = read(&arena, MAX_BLOCK + 1, 9);
        assert_eq!(huge.len(), MAX_BLOCK + 1);
        assert!(
            arena.blocks.lock().iter().all(|b| b.len() <= MAX_BLOCK),
            "the arena keeps no block beyond its limit"
        );
    }
}
