//! Integer tables for one frame size, built once on the host and read by every backend.
//!
//! The tent filter's weights are exact: every weight of the reference's two box passes is a
//! rational `1 / (c(o) · c(m))` (window counts), so each axis gets one common denominator and
//! integer numerators. No float is involved; see [`crate::stages`] for the arithmetic and bounds.

use crate::frame::PixelFormat;
use crate::stages::DOWNSAMPLED;

/// The reference's float32 luma weights 0.299f, 0.587f, 0.114f, exactly, times 2^27.
pub const LUMA_R: u32 = 40_131_100;
/// See [`LUMA_R`].
pub const LUMA_G: u32 = 78_785_808;
/// See [`LUMA_R`].
pub const LUMA_B: u32 = 15_300_821;
/// `LUMA_R + LUMA_G + LUMA_B` = 2^27 + 1: the weight of a grey byte, so that a grey frame hashes
/// exactly as the same frame in RGB.
pub const LUMA_GREY: u32 = LUMA_R + LUMA_G + LUMA_B;

/// Tent-filter taps along one axis: for each of the 64 decimation points, the input indices and
/// integer weights that produce it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxisFilter {
    /// Common denominator of the weights: the weights of every output sum to it.
    pub denominator: u32,
    /// First input index read by output `i`.
    pub start: [u32; DOWNSAMPLED],
    /// Output `i`'s weights are `weights[tap_offset[i]..tap_offset[i + 1]]`, for inputs
    /// `start[i]..start[i] + count`.
    pub tap_offset: [u32; DOWNSAMPLED + 1],
    /// Integer tap weights, each at most `denominator`.
    pub weights: Vec<u32>,
}

impl AxisFilter {
    /// The taps of output `i`: (first input index, weights).
    pub fn taps(&self, i: usize) -> (usize, &[u32]) {
        let range = self.tap_offset[i] as usize..self.tap_offset[i + 1] as usize;
        (self.start[i] as usize, &self.weights[range])
    }

    /// Whether output `i` is input `i` with weight 1 (an axis of 64 inputs): the filter leaves
    /// the axis as it is.
    pub fn is_identity(&self) -> bool {
        self.denominator == 1 && (0..DOWNSAMPLED).all(|i| self.taps(i) == (i, &[1][..]))
    }

    /// Builds the taps for an axis of `n` inputs (`1 <= n <= MAX_SIDE`).
    pub fn new(n: usize) -> Self {
        let (before, after) = window_reach(jarosz_window(n));
        let coverage = |m: usize| window_coverage(m, n);
        let centres: Vec<usize> = (0..DOWNSAMPLED).map(|i| decimation_index(i, n)).collect();

        let denominator = tent_denominator(n);
        let mut start = [0u32; DOWNSAMPLED];
        let mut tap_offset = [0u32; DOWNSAMPLED + 1];
        let mut weights = Vec::new();
        for (i, &o) in centres.iter().enumerate() {
            let first = o.saturating_sub(2 * before);
            let last = (o + 2 * after).min(n - 1);
            let mut taps = vec![0u32; last - first + 1];
            for m in o.saturating_sub(before)..=(o + after).min(n - 1) {
                let share = denominator / (coverage(o) * coverage(m)) as u32;
                for k in m.saturating_sub(before)..=(m + after).min(n - 1) {
                    taps[k - first] += share;
                }
            }
            start[i] = first as u32;
            weights.extend_from_slice(&taps);
            tap_offset[i + 1] = weights.len() as u32;
        }
        AxisFilter {
            denominator,
            start,
            tap_offset,
            weights,
        }
    }
}

/// Where PDQ samples an axis of `n` pixels, against the geometric centres of its 64 outputs:
/// the mean of (centroid of output `i`'s tent weights − `(i + ½)·n/64`), in pixels × 2^16. The
/// decimation point sits half a pixel past the floor of the centre and each box pass reaches
/// one pixel further forward than back for even windows: 1.5 pixels for most sizes, a quarter of
/// an output pixel on a 256-pixel image. Robust variants ([`crate::robust`]) sample there too.
pub fn sampling_offset(n: usize) -> i64 {
    let (before, after) = window_reach(jarosz_window(n));
    let reach = (after as i64 - before as i64) << 16;
    let n64 = n as i64;
    // Σ_i (d_i + ½ − (i + ½)·n/64), exactly: Σ_i (128·d_i + 64 − (2i + 1)·n) / 128.
    let sum: i64 = (0..DOWNSAMPLED)
        .map(|i| 128 * decimation_index(i, n) as i64 + 64 - (2 * i as i64 + 1) * n64)
        .sum();
    reach + (sum << 16) / (128 * DOWNSAMPLED as i64)
}

/// Number of inputs the reference's box window centred on `m` covers, clipped to `0..n`.
fn window_coverage(m: usize, n: usize) -> usize {
    let (before, after) = window_reach(jarosz_window(n));
    (m + after).min(n - 1) - m.saturating_sub(before) + 1
}

/// The common denominator of an axis's tent weights: the lcm of `c(o) · c(m)` over every
/// first-pass window `m` inside a decimation window `o`. Panics only if the bound proven in
/// [`crate::stages`] fails, which the tests rule out for every side up to `MAX_SIDE`.
pub fn tent_denominator(n: usize) -> u32 {
    let (before, after) = window_reach(jarosz_window(n));
    let mut denominator: u64 = 1;
    for i in 0..DOWNSAMPLED {
        let o = decimation_index(i, n);
        for m in o.saturating_sub(before)..=(o + after).min(n - 1) {
            denominator = lcm(
                denominator,
                (window_coverage(o, n) * window_coverage(m, n)) as u64,
            );
        }
    }
    u32::try_from(denominator)
        .ok()
        .filter(|&d| d <= MAX_DENOMINATOR)
        .expect("tent denominator within bound for every side up to MAX_SIDE (tested)")
}

/// Bound on an axis denominator: `w²(w−1)` for the largest window `w = 128` is below 2^21.
pub const MAX_DENOMINATOR: u32 = 1 << 21;

/// The reference's box window for an axis of `n` inputs: `(n + 127) / 128` = ⌈n / 128⌉.
pub fn jarosz_window(n: usize) -> usize {
    n.div_ceil(2 * DOWNSAMPLED)
}

/// How far the reference's box window reaches before and after its centre:
/// half = (w + 2) / 2, before = w − half, after = half − 1.
pub fn window_reach(window: usize) -> (usize, usize) {
    let half = (window + 2) / 2;
    (window - half, half - 1)
}

/// Input index of decimation point `i`: floor((i + 0.5) · n / 64), exactly.
pub fn decimation_index(i: usize, n: usize) -> usize {
    (2 * i + 1) * n / (2 * DOWNSAMPLED)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn lcm(a: u64, b: u64) -> u64 {
    a / gcd(a, b) * b
}

/// One byte channel of a pixel and its luma weight (scaled by 2^27).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LumaTap {
    /// Byte offset of the channel within the pixel.
    pub offset: u32,
    /// Weight, 2^27 · the reference's float32 coefficient.
    pub weight: u32,
}

/// The channels that contribute to luma for a pixel format, and their weights.
pub fn luma_taps(format: PixelFormat) -> &'static [LumaTap] {
    const RGB: [LumaTap; 3] = [
        LumaTap {
            offset: 0,
            weight: LUMA_R,
        },
        LumaTap {
            offset: 1,
            weight: LUMA_G,
        },
        LumaTap {
            offset: 2,
            weight: LUMA_B,
        },
    ];
    const BGR: [LumaTap; 3] = [
        LumaTap {
            offset: 0,
            weight: LUMA_B,
        },
        LumaTap {
            offset: 1,
            weight: LUMA_G,
        },
        LumaTap {
            offset: 2,
            weight: LUMA_R,
        },
    ];
    const GREY: [LumaTap; 1] = [LumaTap {
        offset: 0,
        weight: LUMA_GREY,
    }];
    match format {
        PixelFormat::Rgb8 | PixelFormat::Rgba8 => &RGB,
        PixelFormat::Bgra8 => &BGR,
        PixelFormat::Luma8 | PixelFormat::I420 | PixelFormat::Nv12 => &GREY,
    }
}

/// Everything the stages need for one frame size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FramePlan {
    pub width: u32,
    pub height: u32,
    /// Vertical taps: which input rows feed decimation row `i` (stage 1, `tent_columns`, filters
    /// every column with them).
    pub vertical: AxisFilter,
    /// Horizontal taps: which input columns feed decimation column `j` (stage 2, `tent_rows`,
    /// filters every decimated row with them).
    pub horizontal: AxisFilter,
    /// Right shift taking a per-channel 64-bit sum into 32 bits (`s1`).
    pub channel_shift: u32,
    /// Right shift (rounding) taking the weighted luma sum to the 64×64 scale (`s2`).
    pub luma_shift: u32,
    /// `floor(100 · 2^(b + 20) / M)`: quality's `(u − v) · 100 / 255` as a multiply (see stages).
    pub quality_reciprocal: u32,
}

impl FramePlan {
    /// The plan for frames of this size (`1..=MAX_SIDE` on each side).
    pub fn new(width: u32, height: u32) -> Self {
        let vertical = AxisFilter::new(height as usize);
        let horizontal = AxisFilter::new(width as usize);
        // M: the largest per-channel sum, 255 · Dr · Dc (< 2^50); b: its bit length.
        let max_sum = 255 * vertical.denominator as u64 * horizontal.denominator as u64;
        let bits = u64::BITS - max_sum.leading_zeros();
        let channel_shift = bits.saturating_sub(32);
        let luma_shift = bits - channel_shift;
        let quality_reciprocal = ((100u128 << (bits + 20)) / max_sum as u128) as u32;
        FramePlan {
            width,
            height,
            vertical,
            horizontal,
            channel_shift,
            luma_shift,
            quality_reciprocal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::MAX_SIDE;

    /// The bound every 32-bit sum relies on, for every side the engine accepts.
    #[test]
    fn denominator_bound_holds_for_every_side() {
        for n in 1..=MAX_SIDE as usize {
            let w = jarosz_window(n) as u32;
            let expected = match w {
                1 => 1,
                w if w % 2 == 1 => w * w,
                w => w * w * (w - 1),
            };
            assert_eq!(tent_denominator(n), expected, "n = {n}");
        }
    }

    /// The reference's two clipped box passes, run in f64 on unit impulses, give exactly the
    /// integer weights over the denominator (test-only floats: they check, never decide).
    #[test]
    fn weights_equal_two_box_passes_on_impulses() {
        let sides = (1..300).chain([511, 512, 513, 1004, 1080, 1600, 1920, 4000, 16383, 16384]);
        for n in sides {
            let filter = AxisFilter::new(n);
            let w = jarosz_window(n);
            let (before, after) = window_reach(w);
            // One clipped box pass in O(n), through prefix sums.
            let boxed = |input: &[f64]| -> Vec<f64> {
                let mut prefix = vec![0.0; n + 1];
                for (k, v) in input.iter().enumerate() {
                    prefix[k + 1] = prefix[k] + v;
                }
                (0..n)
                    .map(|m| {
                        let (lo, hi) = (m.saturating_sub(before), (m + after).min(n - 1));
                        (prefix[hi + 1] - prefix[lo]) / (hi - lo + 1) as f64
                    })
                    .collect()
            };
            // Every output for small sides; the edges and the middle for large ones.
            let outputs: Vec<usize> = if n < 600 {
                (0..DOWNSAMPLED).collect()
            } else {
                vec![0, 1, 31, 62, 63]
            };
            for i in 0..DOWNSAMPLED {
                let (first, weights) = filter.taps(i);
                assert_eq!(
                    weights.iter().sum::<u32>(),
                    filter.denominator,
                    "n = {n}, output {i}"
                );
                if !outputs.contains(&i) {
                    continue;
                }
                let o = decimation_index(i, n);
                for k in o.saturating_sub(2 * before + 1)..=(o + 2 * after + 1).min(n - 1) {
                    let mut impulse = vec![0.0; n];
                    impulse[k] = 1.0;
                    let response = boxed(&boxed(&impulse))[o];
                    let weight = k
                        .checked_sub(first)
                        .and_then(|t| weights.get(t))
                        .copied()
                        .unwrap_or(0);
                    let exact = weight as f64 / filter.denominator as f64;
                    assert!(
                        (response - exact).abs() < 1e-12,
                        "n = {n}, output {i}, input {k}: {response} vs {exact}"
                    );
                }
            }
        }
    }
}
