//! YUV to RGB as the reference's pixels: ITU-R BT.601, each chroma sample used for the pixels it
//! covers, every channel clipped to 0..=255.
//!
//! Meta's vPDQ hashes the PDQ luma of each frame's RGB24 conversion by libswscale, created with
//! no colour details (so BT.601 whatever the video's tag, full range only for the `yuvj` formats)
//! and taking its unscaled path (nearest chroma). Clipping is what makes this differ from the Y
//! plane: a dark pixel with chroma clips a channel at 0, and its luma is no longer Y. This is the
//! same arithmetic in 16.16 fixed point, rounded once: equal to libswscale up to its own rounding
//! of the coefficients (±1 in a channel), which the video tests measure against ffmpeg's
//! conversion. Files that ffmpeg decodes are converted by ffmpeg itself
//! ([`FfmpegFrames`](super::ffmpeg::FfmpegFrames)); this serves YUV4MPEG2 streams read in Rust.

use super::luma_range::LumaRange;

/// One frame's planes: Y at `width`×`height`, U and V subsampled by `2^shift_x` across and
/// `2^shift_y` down (rounded up).
pub(crate) struct YuvPlanes<'a> {
    pub y: &'a [u8],
    pub u: &'a [u8],
    pub v: &'a [u8],
    pub width: usize,
    pub height: usize,
    pub shift_x: u32,
    pub shift_y: u32,
}

/// The conversion's coefficients in units of 2^-16: luma scale, then V→R, U→G, V→G, U→B.
struct Coefficients {
    luma: i32,
    luma_offset: i32,
    v_r: i32,
    u_g: i32,
    v_g: i32,
    u_b: i32,
}

/// Limited range (16..=235, chroma 16..=240): `255/219` and BT.601's `1.402, 0.344136,
/// 0.714136, 1.772` scaled by `255/224`.
const LIMITED: Coefficients = Coefficients {
    luma: 76309,
    luma_offset: 16,
    v_r: 104597,
    u_g: 25675,
    v_g: 53279,
    u_b: 132201,
};

/// Full range (JPEG).
const FULL: Coefficients = Coefficients {
    luma: 65536,
    luma_offset: 0,
    v_r: 91881,
    u_g: 22554,
    v_g: 46802,
    u_b: 116130,
};

/// Writes `planes` as packed RGB24 into `out` (cleared first).
pub(crate) fn yuv_to_rgb(planes: &YuvPlanes<'_>, range: LumaRange, out: &mut Vec<u8>) {
    let c = match range {
        LumaRange::Limited => &LIMITED,
        LumaRange::Full => &FULL,
    };
    let chroma_width = planes.width.div_ceil(1 << planes.shift_x);
    out.clear();
    out.reserve(planes.width * planes.height * 3);
    // |term| ≤ 2^17 × 255 + 2^15 < 2^31: every sum fits in i32.
    let clip = |value: i32| ((value + (1 << 15)) >> 16).clamp(0, 255) as u8;
    for row in 0..planes.height {
        let y_row = &planes.y[row * planes.width..][..planes.width];
        let chroma_row = (row >> planes.shift_y) * chroma_width;
        let (u_row, v_row) = (
            &planes.u[chroma_row..][..chroma_width],
            &planes.v[chroma_row..][..chroma_width],
        );
        for (x, &y) in y_row.iter().enumerate() {
            let (u, v) = (
                i32::from(u_row[x >> planes.shift_x]) - 128,
                i32::from(v_row[x >> planes.shift_x]) - 128,
            );
            let luma = (i32::from(y) - c.luma_offset) * c.luma;
            out.extend_from_slice(&[
                clip(luma + c.v_r * v),
                clip(luma - c.u_g * u - c.v_g * v),
                clip(luma + c.u_b * u),
            ]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(y: u8, u: u8, v: u8, range: LumaRange) -> [u8; 3] {
        let planes = YuvPlanes {
            y: &[y],
            u: &[u],
            v: &[v],
            width: 1,
            height: 1,
            shift_x: 1,
            shift_y: 1,
        };
        let mut out = Vec::new();
        yuv_to_rgb(&planes, range, &mut out);
        [out[0], out[1], out[2]]
    }

    #[test]
    fn grey_is_grey_and_limited_range_expands() {
        assert_eq!(convert(16, 128, 128, LumaRange::Limited), [0, 0, 0]);
        assert_eq!(convert(235, 128, 128, LumaRange::Limited), [255, 255, 255]);
        assert_eq!(convert(126, 128, 128, LumaRange::Limited), [128, 128, 128]);
        assert_eq!(convert(77, 128, 128, LumaRange::Full), [77, 77, 77]);
    }

    #[test]
    fn saturated_colours_clip_as_the_reference_does() {
        // BT.601 limited red, green and blue come back within the coefficients' rounding.
        let near =
            |got: [u8; 3], want: [u8; 3]| got.iter().zip(want).all(|(&g, w)| g.abs_diff(w) <= 1);
        assert!(near(convert(81, 90, 240, LumaRange::Limited), [255, 0, 0]));
        assert!(near(convert(145, 54, 34, LumaRange::Limited), [0, 255, 0]));
        assert!(near(convert(41, 240, 110, LumaRange::Limited), [0, 0, 255]));
        // Dark with strong chroma: G and B clip at 0, so the pixel's luma (0.299 × 120 = 36)
        // is far from its Y (20 → 5 at full range).
        assert_eq!(convert(20, 60, 200, LumaRange::Limited), [120, 0, 0]);
    }

    #[test]
    fn each_chroma_sample_covers_its_block() {
        // 3×2 frame, 4:2:0: chroma 2×1; column 2 uses the second chroma sample.
        let planes = YuvPlanes {
            y: &[126; 6],
            u: &[128, 128],
            v: &[128, 240],
            width: 3,
            height: 2,
            shift_x: 1,
            shift_y: 1,
        };
        let mut out = Vec::new();
        yuv_to_rgb(&planes, LumaRange::Limited, &mut out);
        let reds: Vec<u8> = out.chunks(3).map(|p| p[0]).collect();
        assert_eq!(reds[0], reds[1]);
        assert_eq!(reds[0], reds[3]);
        assert!(reds[2] > reds[1] && reds[5] == reds[2]);
    }
}
