//! Stage 2 (`shaders/tent_rows.wgsl`): the horizontal tent filter at the 64 decimation columns,
//! per channel in 64 bits, then luma and the scale of the 64×64 image `A`.
//!
//! ```text
//! V_c  = Σ_k wr_j[k] · G[i][(start_j + k)·bpp + c]     < 2^50   (u64)
//! V'_c = V_c >> s1                                     < 2^32   (u32)
//! L    = Σ_c luma_c · V'_c                             < 2^60   (u64)
//! A    = (L + 2^(s2−1)) >> s2                          ≤ 2^27+2 (u32)
//! ```

use crate::frame::PixelFormat;
use crate::plan::{FramePlan, luma_taps};
use crate::stages::DOWNSAMPLED;

/// Computes the 64×64 luma image `A` (row-major) from the column-filtered rows of stage 1.
pub fn tent_rows(
    columns: &[u32],
    plan: &FramePlan,
    format: PixelFormat,
) -> [u32; DOWNSAMPLED * DOWNSAMPLED] {
    let bpp = format.bytes_per_pixel();
    let row_bytes = plan.width as usize * bpp;
    let taps = luma_taps(format);
    let round = 1u64 << (plan.luma_shift - 1);
    let mut a = [0u32; DOWNSAMPLED * DOWNSAMPLED];
    for (i, g) in columns.chunks_exact(row_bytes).enumerate() {
        for j in 0..DOWNSAMPLED {
            let (first_col, weights) = plan.columns.taps(j);
            let mut luma = 0u64;
            for tap in taps {
                let channel = &g[first_col * bpp + tap.offset as usize..];
                let mut sum = 0u64;
                for (k, &weight) in weights.iter().enumerate() {
                    sum += weight as u64 * channel[k * bpp] as u64;
                }
                let narrowed = (sum >> plan.channel_shift) as u32;
                luma += tap.weight as u64 * narrowed as u64;
            }
            a[i * DOWNSAMPLED + j] = ((luma + round) >> plan.luma_shift) as u32;
        }
    }
    a
}
