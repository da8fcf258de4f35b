//! The streaming layout of a flat index: hashes stored in blocks of [`LANES`] entries, word-major.
//!
//! A 256-bit hash is four 64-bit words. A [`HashBlock`] holds word `w` of its eight entries side
//! by side (`words[w][lane]`), so one 512-bit load brings the same word of eight entries and a
//! kernel computes eight distances with no horizontal sums: XOR with the query's word `w`
//! broadcast, count bits per lane, add the four words. Blocks are 64-byte aligned (one cache line
//! per word row) and stored contiguously, so a scan reads the list front to back once.
//!
//! Which bytes of the hash go into which word does not matter for a Hamming distance, only that
//! queries and entries use the same mapping: [`hash_words`].

use crate::Hash256;

/// Entries per block.
pub const LANES: usize = 8;

/// Words of 64 bits in a 256-bit hash.
pub const WORDS: usize = 4;

/// Queries compared in one pass of a kernel over a stretch of blocks: the list is read once per
/// this many queries, and their words (1 KiB) stay in L1 meanwhile.
pub const QUERY_BLOCK: usize = 32;

/// The four 64-bit words of a hash, in the order the kernels use.
pub type QueryWords = [u64; WORDS];

/// Eight entries, word-major. Lanes past the end of the list are zero; the callers drop hits on
/// them (see [`crate::matcher::FlatIndex`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct HashBlock {
    /// `words[w][lane]`: word `w` of entry `lane`.
    pub words: [[u64; LANES]; WORDS],
}

/// A hash in word form aligned to 32 bytes: the row layout, for random access (multi-index
/// hashing checks candidates scattered over the list), where reading one touches one cache line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(32))]
pub struct RowHash(pub QueryWords);

/// What a kernel compares: every lane of `blocks` (entry numbers from `first_entry` for lane 0
/// of `blocks[0]`) with each of `queries` (at most [`QUERY_BLOCK`]).
#[derive(Clone, Copy, Debug)]
pub struct ScanJob<'a> {
    pub blocks: &'a [HashBlock],
    pub first_entry: usize,
    pub queries: &'a [QueryWords],
}

/// The words of `hash`: little-endian 64-bit loads of its bytes.
#[inline]
pub fn hash_words(hash: &Hash256) -> QueryWords {
    let bytes = hash.as_bytes();
    std::array::from_fn(|w| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[8 * w..8 * w + 8]);
        u64::from_le_bytes(word)
    })
}

/// The hash whose words are `words` (the inverse of [`hash_words`]).
#[inline]
pub fn words_hash(words: &QueryWords) -> Hash256 {
    let mut bytes = [0u8; 32];
    for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    Hash256::from_bytes(bytes)
}

/// Hamming distance between two hashes in word form.
#[inline]
pub fn words_distance(a: &QueryWords, b: &QueryWords) -> u32 {
    (a[0] ^ b[0]).count_ones()
        + (a[1] ^ b[1]).count_ones()
        + (a[2] ^ b[2]).count_ones()
        + (a[3] ^ b[3]).count_ones()
}

/// Lays `hashes` out in blocks; the last block is padded with zero lanes.
pub fn to_blocks(hashes: &[Hash256]) -> Vec<HashBlock> {
    hashes
        .chunks(LANES)
        .map(|chunk| {
            let mut block = HashBlock::default();
            for (lane, hash) in chunk.iter().enumerate() {
                for (w, word) in hash_words(hash).into_iter().enumerate() {
                    block.words[w][lane] = word;
                }
            }
            block
        })
        .collect()
}

impl HashBlock {
    /// The words of entry `lane` (0..[`LANES`]).
    #[inline]
    pub fn lane_words(&self, lane: usize) -> QueryWords {
        std::array::from_fn(|w| self.words[w][lane])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_distance_agree_with_hash256() {
        let a: Hash256 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
            .parse()
            .unwrap();
        let b = Hash256::from_bytes([0xa5; 32]);
        assert_eq!(words_hash(&hash_words(&a)), a);
        assert_eq!(
            words_distance(&hash_words(&a), &hash_words(&b)),
            a.distance(&b)
        );
    }

    #[test]
    fn blocks_are_word_major_and_padded() {
        let hashes: Vec<Hash256> = (0..11u8).map(|i| Hash256::from_bytes([i; 32])).collect();
        let blocks = to_blocks(&hashes);
        assert_eq!(blocks.len(), 2);
        for (i, hash) in hashes.iter().enumerate() {
            assert_eq!(words_hash(&blocks[i / LANES].lane_words(i % LANES)), *hash);
        }
        assert_eq!(blocks[1].lane_words(3), [0; WORDS]);
        assert_eq!(std::mem::align_of::<HashBlock>(), 64);
        assert_eq!(std::mem::size_of::<HashBlock>(), 256);
    }
}
