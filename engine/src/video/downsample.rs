//! Downscaling frames before hashing (vPDQ's `downsample_width`/`downsample_height`), by exact
//! area averaging in integer arithmetic.
//!
//! Each output pixel is the average of the input pixels under it, each weighted by the area it
//! covers: output column `o` of `w` spans input columns `[o × W / w, (o + 1) × W / w)`, and in
//! units of `1 / w` pixel every overlap is a whole number, so the weights of one output pixel are
//! integers summing to `W × H` and the average is one rounded integer division. Deterministic and
//! the same on every machine. (The reference scales the RGB frame with libswscale's `SWS_AREA`,
//! a fixed-point filter of its own; what that difference costs in bits is measured by the
//! reference test and written in BENCHMARKS.md.)

use crate::{Error, Frame, MAX_SIDE, PixelFormat, Result};

/// The overlap of each output pixel with the input pixels along one axis: for output `o`, the
/// first input index and the integer weights (summing to the input length).
struct AxisWeights {
    first: Vec<usize>,
    /// `weights[o]` for output `o`.
    weights: Vec<Vec<u64>>,
}

impl AxisWeights {
    fn new(input: usize, output: usize) -> AxisWeights {
        // Input pixel i covers [i × output, (i + 1) × output); output pixel o covers
        // [o × input, (o + 1) × input): overlaps are integers in units of 1 / output.
        let mut first = Vec::with_capacity(output);
        let mut weights = Vec::with_capacity(output);
        for o in 0..output {
            let (start, end) = (o * input, (o + 1) * input);
            let (lo, hi) = (start / output, end.div_ceil(output));
            first.push(lo);
            weights.push(
                (lo..hi)
                    .map(|i| {
                        let (a, b) = (i * output, (i + 1) * output);
                        (b.min(end) - a.max(start)) as u64
                    })
                    .collect(),
            );
        }
        AxisWeights { first, weights }
    }
}

/// `frame` scaled to `width`×`height` by area averaging, as a packed buffer in the frame's
/// format, except that I420 and NV12 frames give their Y plane as [`PixelFormat::Luma8`]. Returns
/// the format of the buffer written to `out` (which is cleared first).
///
/// ```
/// use vigil::{Frame, PixelFormat};
/// // A 4×2 grey frame: two columns of 0, two of 200, then 2×1 output averages each half.
/// let pixels = [0, 0, 200, 200, 0, 0, 200, 200];
/// let frame = Frame::packed(&pixels, 4, 2, PixelFormat::Luma8)?;
/// let mut out = Vec::new();
/// let format = vigil::video::downsample(&frame, 2, 1, &mut out)?;
/// assert_eq!((format, out.as_slice()), (PixelFormat::Luma8, &[0u8, 200][..]));
/// # Ok::<(), vigil::Error>(())
/// ```
pub fn downsample(
    frame: &Frame<'_>,
    width: u32,
    height: u32,
    out: &mut Vec<u8>,
) -> Result<PixelFormat> {
    if width == 0 || height == 0 {
        return Err(Error::EmptyFrame { width, height });
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(Error::FrameTooLarge { width, height });
    }
    let format = match frame.format() {
        PixelFormat::I420 | PixelFormat::Nv12 => PixelFormat::Luma8,
        other => other,
    };
    let channels = format.bytes_per_pixel();
    let (in_w, in_h) = (frame.width() as usize, frame.height() as usize);
    let (out_w, out_h) = (width as usize, height as usize);
    let columns = AxisWeights::new(in_w, out_w);
    let rows = AxisWeights::new(in_h, out_h);
    let total = (in_w * in_h) as u64;
    out.clear();
    out.resize(out_w * out_h * channels, 0);
    // One output row at a time: the weighted sum of its input rows, then of their columns.
    let mut row_sums = vec![0u64; in_w * channels];
    for (oy, out_row) in out.chunks_exact_mut(out_w * channels).enumerate() {
        row_sums.fill(0);
        for (k, &wy) in rows.weights[oy].iter().enumerate() {
            let row = frame.row(rows.first[oy] + k);
            for (sum, &p) in row_sums.iter_mut().zip(row) {
                *sum += wy * u64::from(p);
            }
        }
        for (ox, pixel) in out_row.chunks_exact_mut(channels).enumerate() {
            for (c, value) in pixel.iter_mut().enumerate() {
                let mut sum = 0u64;
                for (k, &wx) in columns.weights[ox].iter().enumerate() {
                    sum += wx * row_sums[(columns.first[ox] + k) * channels + c];
                }
                // sum ≤ 255 × W × H ≤ 255 × 2^28: no overflow; the average is at most 255.
                *value = ((sum + total / 2) / total) as u8;
            }
        }
    }
    Ok(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_cover_each_output_exactly() {
        for (input, output) in [(720, 128), (128, 128), (5, 3), (3, 7), (1, 1), (1920, 1)] {
            let axis = AxisWeights::new(input, output);
            for o in 0..output {
                assert_eq!(
                    axis.weights[o].iter().sum::<u64>(),
                    input as u64,
                    "{input}->{output}"
                );
                assert!(axis.first[o] + axis.weights[o].len() <= input);
            }
        }
    }

    #[test]
    fn flat_frames_stay_flat_and_rgb_channels_stay_apart() {
        let (w, h) = (37u32, 23u32);
        let rgb: Vec<u8> = (0..w * h).flat_map(|_| [10u8, 128, 251]).collect();
        let frame = Frame::packed(&rgb, w, h, PixelFormat::Rgb8).unwrap();
        let mut out = Vec::new();
        for (ow, oh) in [(16, 16), (37, 23), (50, 9), (1, 1)] {
            let format = downsample(&frame, ow, oh, &mut out).unwrap();
            assert_eq!(format, PixelFormat::Rgb8);
            assert_eq!(out.len(), (ow * oh * 3) as usize);
            assert!(
                out.chunks_exact(3).all(|p| p == [10, 128, 251]),
                "{ow}x{oh}"
            );
        }
    }

    #[test]
    fn averages_are_area_weighted_and_rounded() {
        // 3 → 2: output 0 covers input 0 and half of input 1.
        let pixels = [0u8, 100, 201];
        let frame = Frame::packed(&pixels, 3, 1, PixelFormat::Luma8).unwrap();
        let mut out = Vec::new();
        downsample(&frame, 2, 1, &mut out).unwrap();
        // (2·0 + 1·100) / 3 = 33.3 → 33; (1·100 + 2·201) / 3 = 167.3 → 167.
        assert_eq!(out, [33, 167]);
    }

    #[test]
    fn yuv_frames_give_their_y_plane_and_bad_sizes_are_errors() {
        let y = vec![77u8; 64 * 48 * 3 / 2];
        let frame = Frame::packed(&y, 64, 48, PixelFormat::I420).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            downsample(&frame, 8, 8, &mut out).unwrap(),
            PixelFormat::Luma8
        );
        assert_eq!(out, vec![77u8; 64]);
        assert!(downsample(&frame, 0, 8, &mut out).is_err());
        assert!(downsample(&frame, 8, crate::MAX_SIDE + 1, &mut out).is_err());
    }
}
