//! Stage 2 (`shaders/tent_rows.wgsl`): the horizontal tent filter at the 64 decimation columns,
//! per channel in 64 bits, then luma and the scale of the 64×64 image `A`.
//!
//! ```text
//! V_c  = Σ_k wr_j[k] · G[i][(start_j + k)·bpp + c]     < 2^50   (u64)
//! V'_c = V_c >> s1                                     < 2^32   (u32)
//! L    = Σ_c luma_c · V'_c                             < 2^60   (u64)
//! A    = (L + 2^(s2−1)) >> s2                          ≤ 2^27+2 (u32)
//! ```

use crate::frame::{Frame, PixelFormat};
use crate::plan::{FramePlan, LumaTap, luma_taps};
use crate::stages::DOWNSAMPLED;

/// Computes the 64×64 luma image `A` (row-major) from the column-filtered rows of stage 1.
#[inline(always)]
#[doc(hidden)] // Takes the hidden `plan::FramePlan`: for vigil's own tests and benches.
pub fn tent_rows(
    columns: &[u32],
    plan: &FramePlan,
    format: PixelFormat,
) -> [u32; DOWNSAMPLED * DOWNSAMPLED] {
    match *luma_taps(format) {
        [grey] => tent_rows_for([grey], columns, plan, format.bytes_per_pixel()),
        [r, g, b] => tent_rows_for([r, g, b], columns, plan, format.bytes_per_pixel()),
        _ => unreachable!("formats have one or three luma channels"),
    }
}

/// Stage 2 for a format with `C` luma channels in pixels of `bpp` bytes.
#[inline(always)]
fn tent_rows_for<const C: usize>(
    taps: [LumaTap; C],
    columns: &[u32],
    plan: &FramePlan,
    bpp: usize,
) -> [u32; DOWNSAMPLED * DOWNSAMPLED] {
    let row_bytes = plan.width as usize * bpp;
    let mut a = [0u32; DOWNSAMPLED * DOWNSAMPLED];
    for (i, g) in columns.chunks_exact(row_bytes).enumerate() {
        for j in 0..DOWNSAMPLED {
            let (first_col, weights) = plan.horizontal.taps(j);
            let pixels = &g[first_col * bpp..(first_col + weights.len()) * bpp];
            let mut sums = [0u64; C];
            for (&weight, pixel) in weights.iter().zip(pixels.chunks_exact(bpp)) {
                for (sum, tap) in sums.iter_mut().zip(&taps) {
                    *sum += weight as u64 * pixel[tap.offset as usize] as u64;
                }
            }
            a[i * DOWNSAMPLED + j] = scaled_luma(&taps, &sums, plan);
        }
    }
    a
}

/// `A` from one output's per-channel sums `V_c` (in the order of `taps`): `L = Σ_c luma_c ·
/// (V_c >> s1)`, then `(L + 2^(s2−1)) >> s2`.
#[inline(always)]
fn scaled_luma(taps: &[LumaTap], sums: &[u64], plan: &FramePlan) -> u32 {
    let luma: u64 = taps
        .iter()
        .zip(sums)
        .map(|(tap, sum)| tap.weight as u64 * (sum >> plan.channel_shift))
        .sum();
    ((luma + (1u64 << (plan.luma_shift - 1))) >> plan.luma_shift) as u32
}

/// Stages 1 and 2 together for a frame whose filters are the identity on both axes (64×64: one
/// tap of weight 1, `Dr = Dc = 1`): `G` is the pixel itself, so `A` is each pixel's luma scaled
/// as above, computed without the filter loops. The same integers as the two stages.
#[inline(always)]
#[doc(hidden)] // Takes the hidden `plan::FramePlan`: for vigil's own tests and benches.
pub fn tent_rows_identity(frame: &Frame<'_>, plan: &FramePlan) -> [u32; DOWNSAMPLED * DOWNSAMPLED] {
    debug_assert!(plan.vertical.is_identity() && plan.horizontal.is_identity());
    let taps = luma_taps(frame.format());
    let bpp = frame.format().bytes_per_pixel();
    let mut a = [0u32; DOWNSAMPLED * DOWNSAMPLED];
    for (y, a_row) in a.chunks_exact_mut(DOWNSAMPLED).enumerate() {
        for (out, pixel) in a_row.iter_mut().zip(frame.row(y).chunks_exact(bpp)) {
            // One tap of weight 1 on each axis: each channel's sum is its byte.
            let mut sums = [0u64; 3];
            for (sum, tap) in sums.iter_mut().zip(taps) {
                *sum = pixel[tap.offset as usize] as u64;
            }
            *out = scaled_luma(taps, &sums, plan);
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::tent_columns;
    use crate::synthetic::synthetic_frames;

    /// The direct path gives what the two filter stages give, in every pixel format.
    #[test]
    fn the_identity_path_equals_the_two_stages() {
        let plan = FramePlan::new(64, 64);
        assert!(plan.vertical.is_identity() && plan.horizontal.is_identity());
        assert!(!FramePlan::new(65, 64).horizontal.is_identity());
        assert!(!FramePlan::new(64, 63).vertical.is_identity());
        let two_stages = |frame: &Frame<'_>| {
            let mut columns = vec![0u32; DOWNSAMPLED * frame.row_bytes()];
            tent_columns(frame, &plan, &mut columns);
            tent_rows(&columns, &plan, frame.format())
        };
        for format in PixelFormat::ALL {
            let white = vec![255u8; 64 * 64 * format.bytes_per_pixel() * 2];
            for pixels in synthetic_frames(64, 64, format, 3).iter().chain([&white]) {
                let frame = Frame::packed(pixels, 64, 64, format).unwrap();
                assert_eq!(
                    tent_rows_identity(&frame, &plan),
                    two_stages(&frame),
                    "{format:?}"
                );
            }
        }
    }
}
