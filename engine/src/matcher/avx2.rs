//! The AVX2 kernel: four distances per 256-bit register, bits counted with a nibble lookup table
//! (`vpshufb`), as AVX2 has no vector popcount.
//!
//! A block is two halves of four lanes. Per half and query, each of the four word rows is XORed
//! with the query's word, its bytes counted through the table (0..=8 per byte), the four rows'
//! byte counts added (at most 32, no overflow), and each lane's eight bytes summed with
//! `vpsadbw`: four distances, compared with the limit by a signed 64-bit compare (distances and
//! limits are at most 257). As in the AVX-512 kernel, the first two words are compared first
//! and the rest skipped when no lane can be under the limit.

use std::arch::x86_64::{
    __m256i, _MM_HINT_T0, _mm_prefetch, _mm256_add_epi8, _mm256_and_si256, _mm256_castsi256_pd,
    _mm256_cmpgt_epi64, _mm256_load_si256, _mm256_movemask_pd, _mm256_sad_epu8, _mm256_set1_epi8,
    _mm256_set1_epi64x, _mm256_setr_epi8, _mm256_setzero_si256, _mm256_shuffle_epi8,
    _mm256_srli_epi16, _mm256_storeu_si256, _mm256_xor_si256,
};

use super::block::{LANES, QueryWords, RowHash, ScanJob, WORDS, words_distance};
use super::sink::{Hit, HitSink, LocalLimits};

/// Candidates whose hashes are requested from memory ahead of their check.
const PREFETCH_AHEAD: usize = 16;

/// Proof that this CPU has AVX2 and POPCNT: only [`Avx2::detect`] makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Avx2(());

impl Avx2 {
    /// `Some` when the CPU (and OS) support AVX2 and POPCNT (every AVX2 CPU has POPCNT).
    pub fn detect() -> Option<Self> {
        (std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("popcnt"))
        .then_some(Avx2(()))
    }

    /// As [`portable::scan`](super::portable::scan); at most [`QUERY_BLOCK`](super::block::QUERY_BLOCK) queries.
    pub fn scan<S: HitSink>(self, job: ScanJob<'_>, limits: &mut [u32], sink: &mut S) {
        // SAFETY: `self` exists only when `detect` found AVX2 on this CPU.
        unsafe { scan_avx2(job, limits, sink) }
    }

    /// As [`portable::check_candidates`](super::portable::check_candidates), with the POPCNT
    /// instruction and each candidate's hash prefetched [`PREFETCH_AHEAD`] candidates early, so
    /// that the cache misses of a scattered candidate list overlap.
    pub fn check_candidates(
        self,
        query: &QueryWords,
        hashes: &[RowHash],
        candidates: &[u32],
        radius: u32,
        hits: &mut Vec<Hit>,
    ) {
        // SAFETY: `self` exists only when `detect` found AVX2 and POPCNT on this CPU.
        unsafe { check_candidates_popcnt(query, hashes, candidates, radius, hits) }
    }
}

#[target_feature(enable = "popcnt")]
fn check_candidates_popcnt(
    query: &QueryWords,
    hashes: &[RowHash],
    candidates: &[u32],
    radius: u32,
    hits: &mut Vec<Hit>,
) {
    for (i, &entry) in candidates.iter().enumerate() {
        if let Some(ahead) = candidates
            .get(i + PREFETCH_AHEAD)
            .and_then(|&ahead| hashes.get(ahead as usize))
        {
            // SAFETY: a prefetch is a hint that never faults; the address is a valid reference.
            unsafe { _mm_prefetch::<_MM_HINT_T0>((ahead as *const RowHash).cast()) };
        }
        let distance = words_distance(query, &hashes[entry as usize].0);
        if distance <= radius {
            hits.push(Hit {
                distance,
                entry: entry as usize,
            });
        }
    }
}

/// Set bits per byte of `v` (0..=8), through a 16-entry table per nibble.
#[inline]
#[target_feature(enable = "avx2")]
fn byte_popcounts(v: __m256i) -> __m256i {
    let table = _mm256_setr_epi8(
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3,
        3, 4,
    );
    let low_nibbles = _mm256_set1_epi8(0x0f);
    let low = _mm256_and_si256(v, low_nibbles);
    let high = _mm256_and_si256(_mm256_srli_epi16::<4>(v), low_nibbles);
    _mm256_add_epi8(
        _mm256_shuffle_epi8(table, low),
        _mm256_shuffle_epi8(table, high),
    )
}

/// Per byte, the set bits of the XOR of two word rows with the query's words (0..=16).
#[inline]
#[target_feature(enable = "avx2")]
fn pair_counts(rows: &[__m256i], query: &[__m256i]) -> __m256i {
    _mm256_add_epi8(
        byte_popcounts(_mm256_xor_si256(rows[0], query[0])),
        byte_popcounts(_mm256_xor_si256(rows[1], query[1])),
    )
}

/// Sums each 64-bit lane's byte counts: four distances.
#[inline]
#[target_feature(enable = "avx2")]
fn lane_sums(counts: __m256i) -> __m256i {
    _mm256_sad_epu8(counts, _mm256_setzero_si256())
}

#[target_feature(enable = "avx2")]
fn scan_avx2<S: HitSink>(job: ScanJob<'_>, limits: &mut [u32], sink: &mut S) {
    let mut local = LocalLimits::load(limits, job.queries.len());
    for (b, block) in job.blocks.iter().enumerate() {
        // SAFETY: each word row of a `HashBlock` is 64 bytes at a 64-byte-aligned address, so
        // both 32-byte halves are 32-byte aligned and in bounds.
        let halves: [[__m256i; WORDS]; 2] = std::array::from_fn(|h| {
            std::array::from_fn(|w| unsafe {
                _mm256_load_si256(block.words[w].as_ptr().add(4 * h).cast())
            })
        });
        for (q, query) in job.queries[..local.count()].iter().enumerate() {
            let query_rows: [__m256i; WORDS] =
                std::array::from_fn(|w| _mm256_set1_epi64x(query[w] as i64));
            let limit = _mm256_set1_epi64x(local.get(q) as i64);
            let mask_of = |d| _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(limit, d)));
            // The first two words' distance is a lower bound: when no lane is under the limit
            // on it (nearly always for a small radius), the other two words are not counted.
            let first: [__m256i; 2] =
                std::array::from_fn(|h| pair_counts(&halves[h][..2], &query_rows[..2]));
            if mask_of(lane_sums(first[0])) | mask_of(lane_sums(first[1])) == 0 {
                continue;
            }
            let [low, high]: [__m256i; 2] = std::array::from_fn(|h| {
                lane_sums(_mm256_add_epi8(
                    first[h],
                    pair_counts(&halves[h][2..], &query_rows[2..]),
                ))
            });
            let mask = (mask_of(low) | mask_of(high) << 4) as u32;
            if mask != 0 {
                let mut lanes = [0u64; LANES];
                // SAFETY: `lanes` is 64 writable bytes; both stores are unaligned and in bounds.
                unsafe {
                    _mm256_storeu_si256(lanes.as_mut_ptr().cast(), low);
                    _mm256_storeu_si256(lanes.as_mut_ptr().add(4).cast(), high);
                }
                local.deliver(mask, &lanes, q, job.first_entry + b * LANES, sink);
            }
        }
    }
    local.store(limits);
}

#[cfg(test)]
mod tests {
    use crate::matcher::{Platform, kernel_tests};

    #[test]
    fn avx2_matches_portable() {
        kernel_tests::check_against_portable("avx2", Platform::avx2());
    }
}
