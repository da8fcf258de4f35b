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

    /// Builds the taps for an axis of `n` inputs (`1 <= n <= MAX_SIDE`).
    pub fn new(n: usize) -> Self {
        let window = jarosz_window(n);
        let (before, after) = window_reach(window);
        // Number of inputs the clipped window centred on `m` covers.
        let coverage = |m: usize| (m + after).min(n - 1) - m.saturating_sub(before) + 1;
        let centres: Vec<usize> = (0..DOWNSAMPLED).map(|i| decimation_index(i, n)).collect();

        // Common denominator: lcm of c(o)·c(m) over every first-pass window m inside an output o.
        let mut denominator: u64 = 1;
        for &o in &centres {
            for m in o.saturating_sub(before)..=(o + after).min(n - 1) {
                denominator = lcm(denominator, (coverage(o) * coverage(m)) as u64);
            }
        }
        let denominator = u32::try_from(denominator)
            .ok()
            .filter(|&d| d <= MAX_DENOMINATOR)
            .expect("tent denominator within bound for every side up to MAX_SIDE (tested)");

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
    /// Vertical taps: which rows feed decimation row `i`.
    pub rows: AxisFilter,
    /// Horizontal taps: which columns feed decimation column `j`.
    pub columns: AxisFilter,
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
        let rows = AxisFilter::new(height as usize);
        let columns = AxisFilter::new(width as usize);
        // M: the largest per-channel sum, 255 · Dr · Dc (< 2^50); b: its bit length.
        let max_sum = 255 * rows.denominator as u64 * columns.denominator as u64;
        let bits = u64::BITS - max_sum.leading_zeros();
        let channel_shift = bits.saturating_sub(32);
        let luma_shift = bits - channel_shift;
        let quality_reciprocal = ((100u128 << (bits + 20)) / max_sum as u128) as u32;
        FramePlan {
            width,
            height,
            rows,
            columns,
            channel_shift,
            luma_shift,
            quality_reciprocal,
        }
    }
}
