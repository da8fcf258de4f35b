//! The NEON kernel (aarch64): two distances per 128-bit register, bits counted per byte with
//! `cnt`, the four rows' byte counts added, then widened pairwise to one sum per 64-bit lane. As
//! in the x86 kernels, the first two words are compared first and the rest skipped when no lane
//! can be under the limit.

use std::arch::aarch64::{
    uint8x16_t, uint64x2_t, vaddq_u8, vcltq_u64, vcntq_u8, vdupq_n_u64, veorq_u64, vgetq_lane_u64,
    vld1q_u64, vmaxvq_u32, vorrq_u64, vpaddlq_u8, vpaddlq_u16, vpaddlq_u32, vreinterpretq_u8_u64,
    vreinterpretq_u32_u64, vst1q_u64,
};

use super::block::{LANES, ScanJob, WORDS};
use super::sink::{HitSink, LocalLimits};

/// Lanes of a block per 128-bit register.
const PAIRS: usize = LANES / 2;

/// Proof that this CPU has NEON: only [`Neon::detect`] makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Neon(());

impl Neon {
    /// `Some` when the CPU supports NEON (every aarch64 Linux CPU does).
    pub fn detect() -> Option<Self> {
        std::arch::is_aarch64_feature_detected!("neon").then_some(Neon(()))
    }

    /// As [`portable::scan`](super::portable::scan); at most [`QUERY_BLOCK`](super::block::QUERY_BLOCK) queries.
    pub fn scan<S: HitSink>(self, job: ScanJob<'_>, limits: &mut [u32], sink: &mut S) {
        // SAFETY: `self` exists only when `detect` found NEON on this CPU.
        unsafe { scan_neon(job, limits, sink) }
    }
}

/// Per byte, the set bits of the XOR of two word rows (of one pair of lanes) with the query's
/// words (0..=16).
#[inline]
#[target_feature(enable = "neon")]
fn pair_counts(rows: &[uint64x2_t], query: &[uint64x2_t]) -> uint8x16_t {
    let count = |w: usize| vcntq_u8(vreinterpretq_u8_u64(veorq_u64(rows[w], query[w])));
    vaddq_u8(count(0), count(1))
}

/// Sums each 64-bit lane's byte counts: two distances.
#[inline]
#[target_feature(enable = "neon")]
fn lane_sums(counts: uint8x16_t) -> uint64x2_t {
    vpaddlq_u32(vpaddlq_u16(vpaddlq_u8(counts)))
}

/// Whether any lane of `distances` is under `limit`.
#[inline]
#[target_feature(enable = "neon")]
fn any_below(distances: &[uint64x2_t; PAIRS], limit: uint64x2_t) -> bool {
    let below = |p: usize| vcltq_u64(distances[p], limit);
    let all = vorrq_u64(vorrq_u64(below(0), below(1)), vorrq_u64(below(2), below(3)));
    vmaxvq_u32(vreinterpretq_u32_u64(all)) != 0
}

#[target_feature(enable = "neon")]
fn scan_neon<S: HitSink>(job: ScanJob<'_>, limits: &mut [u32], sink: &mut S) {
    let mut local = LocalLimits::load(limits, job.queries.len());
    for (b, block) in job.blocks.iter().enumerate() {
        // SAFETY: each word row of a `HashBlock` holds LANES = 2 * PAIRS u64s, so every pair
        // read is in bounds.
        let pairs: [[uint64x2_t; WORDS]; PAIRS] = std::array::from_fn(|p| {
            std::array::from_fn(|w| unsafe { vld1q_u64(block.words[w].as_ptr().add(2 * p)) })
        });
        for (q, query) in job.queries[..local.count()].iter().enumerate() {
            let query_rows: [uint64x2_t; WORDS] = std::array::from_fn(|w| vdupq_n_u64(query[w]));
            let limit = vdupq_n_u64(local.get(q));
            // The first two words' distance is a lower bound: when no lane is under the limit
            // on it (nearly always for a small radius), the other two words are not counted.
            let first: [uint8x16_t; PAIRS] =
                std::array::from_fn(|p| pair_counts(&pairs[p][..2], &query_rows[..2]));
            if !any_below(&first.map(|counts| lane_sums(counts)), limit) {
                continue;
            }
            let distances: [uint64x2_t; PAIRS] = std::array::from_fn(|p| {
                lane_sums(vaddq_u8(
                    first[p],
                    pair_counts(&pairs[p][2..], &query_rows[2..]),
                ))
            });
            let mut mask = 0u32;
            for (p, d) in distances.iter().enumerate() {
                let below = vcltq_u64(*d, limit);
                mask |= ((vgetq_lane_u64::<0>(below) & 1) as u32) << (2 * p);
                mask |= ((vgetq_lane_u64::<1>(below) & 1) as u32) << (2 * p + 1);
            }
            if mask != 0 {
                let mut lanes = [0u64; LANES];
                for (p, d) in distances.iter().enumerate() {
                    // SAFETY: `lanes` has room for two u64s at 2 * p (p < PAIRS).
                    unsafe { vst1q_u64(lanes.as_mut_ptr().add(2 * p), *d) };
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
    fn neon_matches_portable() {
        kernel_tests::check_against_portable("neon", Platform::neon());
    }
}
