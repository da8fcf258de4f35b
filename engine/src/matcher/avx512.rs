//! The AVX-512 kernel (AVX-512F + VPOPCNTDQ): eight distances per 512-bit register.
//!
//! Per block, the four word rows are loaded once (four registers); per query, each row is XORed
//! with the query's word broadcast, counted per 64-bit lane with `vpopcntq`, and the four counts
//! added: eight distances, compared with the query's limit in one mask. Nothing is summed across
//! lanes, which is what the word-major layout of [`HashBlock`](super::block::HashBlock) is for.
//! The first two words are compared first: their distance is a lower bound, and at PDQ radii a
//! random entry is already past the limit on 128 bits, so most blocks cost half the work.
//!
//! CPUs with AVX-512F but no VPOPCNTDQ (Skylake-SP, Cascade Lake) use the AVX2 kernel.

use std::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_cmplt_epu64_mask, _mm512_load_si512, _mm512_popcnt_epi64,
    _mm512_set1_epi64, _mm512_storeu_si512, _mm512_xor_si512,
};

use super::avx2::Avx2;
use super::block::{LANES, ScanJob};
use super::sink::{HitSink, LocalLimits};

/// Proof that this CPU has AVX-512F and AVX-512 VPOPCNTDQ, and AVX2 (which every AVX-512 CPU
/// has): only [`Avx512::detect`] makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Avx512(Avx2);

impl Avx512 {
    /// `Some` when the CPU (and OS) support these features.
    pub fn detect() -> Option<Self> {
        let avx2 = Avx2::detect()?;
        (std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vpopcntdq"))
        .then_some(Avx512(avx2))
    }

    /// The AVX2 kernels, for work where 512-bit registers gain nothing (checking scattered
    /// candidates one at a time).
    pub fn avx2(self) -> Avx2 {
        self.0
    }

    /// As [`portable::scan`](super::portable::scan); at most [`QUERY_BLOCK`](super::block::QUERY_BLOCK) queries.
    pub fn scan<S: HitSink>(self, job: ScanJob<'_>, limits: &mut [u32], sink: &mut S) {
        // SAFETY: `self` exists only when `detect` found AVX-512F and VPOPCNTDQ on this CPU.
        unsafe { scan_avx512(job, limits, sink) }
    }
}

/// Distances from one query word to the eight lanes of one word row, per lane.
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn row_distance(row: __m512i, query_word: u64) -> __m512i {
    _mm512_popcnt_epi64(_mm512_xor_si512(row, _mm512_set1_epi64(query_word as i64)))
}

#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn scan_avx512<S: HitSink>(job: ScanJob<'_>, limits: &mut [u32], sink: &mut S) {
    let mut local = LocalLimits::load(limits, job.queries.len());
    for (b, block) in job.blocks.iter().enumerate() {
        // SAFETY: each word row of a `HashBlock` is 64 bytes at a 64-byte-aligned address.
        let rows: [__m512i; 4] =
            std::array::from_fn(|w| unsafe { _mm512_load_si512(block.words[w].as_ptr().cast()) });
        for (q, query) in job.queries[..local.count()].iter().enumerate() {
            let limit = _mm512_set1_epi64(local.get(q) as i64);
            // The first two words' distance is a lower bound: when no lane is under the limit
            // on it (nearly always for a small radius), the other two words are not counted.
            let first_half = _mm512_add_epi64(
                row_distance(rows[0], query[0]),
                row_distance(rows[1], query[1]),
            );
            if _mm512_cmplt_epu64_mask(first_half, limit) == 0 {
                continue;
            }
            let distances = _mm512_add_epi64(
                first_half,
                _mm512_add_epi64(
                    row_distance(rows[2], query[2]),
                    row_distance(rows[3], query[3]),
                ),
            );
            let mask = _mm512_cmplt_epu64_mask(distances, limit);
            if mask != 0 {
                let mut lanes = [0u64; LANES];
                // SAFETY: `lanes` is 64 writable bytes; the store is unaligned.
                unsafe { _mm512_storeu_si512(lanes.as_mut_ptr().cast(), distances) };
                local.deliver(
                    u32::from(mask),
                    &lanes,
                    q,
                    job.first_entry + b * LANES,
                    sink,
                );
            }
        }
    }
    local.store(limits);
}

#[cfg(test)]
mod tests {
    use crate::matcher::{Platform, kernel_tests};

    #[test]
    fn avx512_matches_portable() {
        kernel_tests::check_against_portable("avx512", Platform::avx512());
    }
}
