//! Deterministic, photo-like synthetic frames for benchmarks, `vigil bench` and tests.
//!
//! Integer arithmetic only (no floats, no RNG crate), so that `benches/reference_pdqhash.py` can
//! reproduce the same bytes exactly with numpy and the reference `pdqhash` is timed on the very
//! pixels vigil is timed on.
//!
//! Each pixel of frame `index` is a smooth mix of a horizontal and a vertical ramp, a diagonal
//! triangle wave whose period depends on the frame size and `index`, and a bright disc whose
//! centre moves with `index`, plus ±16 grey levels of noise from a xorshift32 of the pixel's
//! position and channel.
//!
//! ```
//! use vigil::{Frame, PixelFormat, synthetic::synthetic_frame};
//! let pixels = synthetic_frame(640, 360, PixelFormat::Rgb8, 0);
//! let pdq = vigil::hash(&Frame::packed(&pixels, 640, 360, PixelFormat::Rgb8)?);
//! assert!(pdq.quality >= 50);
//! # Ok::<(), vigil::Error>(())
//! ```

use crate::frame::PixelFormat;

/// One xorshift32 round over a position hash: the noise source. Mirrored in the Python script.
#[inline]
fn noise(pixel: u32, channel: u32, seed: u32) -> i32 {
    let mut s = (pixel.wrapping_mul(3).wrapping_add(channel) ^ seed).wrapping_mul(0x9E37_79B1);
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    (s >> 27) as i32 - 16
}

/// The red, green and blue values of pixel (`x`, `y`) of synthetic frame `index`.
fn synthetic_rgb(x: u32, y: u32, width: u32, height: u32, index: u32) -> [u8; 3] {
    let (x64, y64, w, h) = (x as u64, y as u64, width as u64, height as u64);
    let gx = x64 * 255 / (w - 1).max(1);
    let gy = y64 * 255 / (h - 1).max(1);
    // Diagonal triangle wave, 0..=255.
    let period = (w + h) / (3 + (index as u64 % 4)) + 1;
    let t = (x64 + 2 * y64 + 17 * index as u64) % period;
    let tri = (2 * t).abs_diff(period) * 255 / period;
    // Disc-shaped blob, 0..=255, brightest at its centre.
    let cx = w * (1 + (index as u64 * 7) % 5) / 7;
    let cy = h * (1 + (index as u64 * 3) % 5) / 7;
    let r2 = (w * w + h * h) / 16 + 1;
    let d2 = x64.abs_diff(cx).pow(2) + y64.abs_diff(cy).pow(2);
    let blob = r2.saturating_sub(d2) * 255 / r2;

    let base = [
        (3 * gx + gy + 2 * tri + 2 * blob) / 8,
        (gx + 3 * gy + tri + 3 * blob) / 8,
        (2 * (255 - gx) + gy + 3 * tri + 2 * blob) / 8,
    ];
    let seed = index.wrapping_mul(0x9E37_79B9) ^ 0x1234_5678;
    let pixel = y.wrapping_mul(width).wrapping_add(x);
    let mut rgb = [0u8; 3];
    for (c, (out, b)) in rgb.iter_mut().zip(base).enumerate() {
        *out = (b as i32 + noise(pixel, c as u32, seed)).clamp(0, 255) as u8;
    }
    rgb
}

/// Grey from red, green and blue in 8-bit integer weights (BT.601, rounded).
fn grey(rgb: [u8; 3]) -> u8 {
    ((77 * rgb[0] as u32 + 150 * rgb[1] as u32 + 29 * rgb[2] as u32 + 128) >> 8) as u8
}

/// Synthetic frame `index` (any `u32`; different indices give different pictures), packed with no
/// row padding, in `format`. For I420 and NV12 the Y plane is the grey picture and the chroma
/// planes are neutral (128).
pub fn synthetic_frame(width: u32, height: u32, format: PixelFormat, index: u32) -> Vec<u8> {
    let pixels = width as usize * height as usize;
    let chroma = (width as usize).div_ceil(2) * (height as usize).div_ceil(2) * 2;
    let mut out = Vec::with_capacity(pixels * format.bytes_per_pixel() + chroma);
    for y in 0..height {
        for x in 0..width {
            let rgb = synthetic_rgb(x, y, width, height, index);
            match format {
                PixelFormat::Rgb8 => out.extend_from_slice(&rgb),
                PixelFormat::Rgba8 => out.extend_from_slice(&[rgb[0], rgb[1], rgb[2], 255]),
                PixelFormat::Bgra8 => out.extend_from_slice(&[rgb[2], rgb[1], rgb[0], 255]),
                PixelFormat::Luma8 | PixelFormat::I420 | PixelFormat::Nv12 => out.push(grey(rgb)),
            }
        }
    }
    if matches!(format, PixelFormat::I420 | PixelFormat::Nv12) {
        out.resize(pixels + chroma, 128);
    }
    out
}

/// `count` distinct synthetic frames (indices `0..count`).
pub fn synthetic_frames(width: u32, height: u32, format: PixelFormat, count: u32) -> Vec<Vec<u8>> {
    (0..count)
        .map(|index| synthetic_frame(width, height, format, index))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Frame;

    #[test]
    fn sizes_and_determinism() {
        for format in PixelFormat::ALL {
            let a = synthetic_frame(33, 17, format, 5);
            let b = synthetic_frame(33, 17, format, 5);
            assert_eq!(a, b);
            assert!(Frame::packed(&a, 33, 17, format).is_ok());
        }
        assert_ne!(
            synthetic_frame(64, 64, PixelFormat::Rgb8, 0),
            synthetic_frame(64, 64, PixelFormat::Rgb8, 1)
        );
    }

    /// Pins the generator: `reference_pdqhash.py` mirrors it in numpy and printed these sums;
    /// change both together.
    #[test]
    fn known_pixels() {
        let sums = |format| {
            let frame = synthetic_frame(64, 48, format, 3);
            let sum: u64 = frame.iter().map(|&b| b as u64).sum();
            let weighted: u64 = frame
                .iter()
                .enumerate()
                .map(|(i, &b)| (i as u64 + 1) * b as u64)
                .sum();
            (sum, weighted)
        };
        assert_eq!(sums(PixelFormat::Rgb8), (955_631, 5_027_906_008));
        assert_eq!(sums(PixelFormat::Luma8), (310_954, 563_316_138));
    }
}
