//! Pixel buffers kept for the next image: a [`DecodedImage`](super::DecodedImage) hands its
//! buffer back here when dropped, and the next decode of a size that fits takes it.
//!
//! A fresh buffer for each decoded 1080p frame (6 MB) costs its page faults (the kernel zeroes
//! and maps each page on first touch) and a memset: about 15% of hashing a folder of JPEGs on
//! one core. A reused one is already mapped. At most [`MAX_POOLED_BYTES`] are kept, in buffers of
//! at most [`MAX_POOLED_BUFFER`] bytes; past that the smallest are freed.

use std::sync::Mutex;

/// Most bytes the pool keeps in all (42 1080p RGB frames).
pub const MAX_POOLED_BYTES: usize = 256 << 20;

/// Largest buffer the pool keeps (a 4K RGB frame is 25 MB).
pub const MAX_POOLED_BUFFER: usize = 64 << 20;

struct Pool {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    buffers: Vec::new(),
    bytes: 0,
});

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    // A panic while the lock is held leaves a consistent pool (every change is one push or one
    // removal), so a poisoned lock is taken as is.
    POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A buffer of exactly `len` bytes, of unspecified content: the smallest pooled one that holds
/// `len`, else a new (zeroed) one.
pub(super) fn take(len: usize) -> Vec<u8> {
    let reused = {
        let mut pool = pool();
        let best = pool
            .buffers
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= len)
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, _)| i);
        best.map(|i| {
            let buffer = pool.buffers.swap_remove(i);
            pool.bytes -= buffer.capacity();
            buffer
        })
    };
    match reused {
        Some(mut buffer) => {
            // Only bytes past the old length are written; the decoder overwrites the rest.
            buffer.resize(len, 0);
            buffer
        }
        None => vec![0; len],
    }
}

/// Keeps `buffer` for a later [`take`] when it is worth keeping and fits.
pub(super) fn give(buffer: Vec<u8>) {
    let size = buffer.capacity();
    if !((1 << 16)..=MAX_POOLED_BUFFER).contains(&size) {
        return;
    }
    let mut pool = pool();
    while pool.bytes + size > MAX_POOLED_BYTES {
        let smallest = pool
            .buffers
            .iter()
            .enumerate()
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, b)| (i, b.capacity()));
        match smallest {
            Some((i, smaller)) if smaller < size => {
                let freed = pool.buffers.swap_remove(i);
                pool.bytes -= freed.capacity();
            }
            _ => return,
        }
    }
    pool.bytes += size;
    pool.buffers.push(buffer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_again_at_the_size_asked() {
        let mut buffer = take(3 << 20);
        assert_eq!(buffer.len(), 3 << 20);
        buffer[0] = 7;
        let address = buffer.as_ptr() as usize;
        give(buffer);
        // Other tests share the pool: take until this buffer comes back (it is the smallest
        // that fits 2 MB unless another test gave a smaller one meanwhile).
        let again = take(2 << 20);
        assert_eq!(again.len(), 2 << 20);
        if again.as_ptr() as usize == address {
            assert_eq!(again[0], 7);
        }
    }

    #[test]
    fn huge_buffers_are_not_kept() {
        give(vec![0; MAX_POOLED_BUFFER + 1]);
        assert!(
            pool()
                .buffers
                .iter()
                .all(|b| b.capacity() <= MAX_POOLED_BUFFER)
        );
        assert!(pool().bytes <= MAX_POOLED_BYTES);
    }
}
