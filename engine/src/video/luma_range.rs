//! Limited-range ("TV", 16..=235) and full-range (0..=255) luma, and the expansion between them.
//!
//! Video is usually limited range: black is Y = 16 and white Y = 235. Meta's vPDQ hashes the RGB
//! frames that libswscale makes from it, and their PDQ luma (0.299 R + 0.587 G + 0.114 B) is the
//! full-range Y again, up to rounding: `(Y − 16) × 255 / 219`. The PDQ *hash* barely cares (every
//! bit compares DCT values with their median, which an affine change of the pixels leaves alone,
//! but for rounding and clipping); the *quality* does, since it sums pixel differences and
//! limited range shrinks them by 219/255. So Y planes of limited-range video are expanded before
//! hashing, exactly as ffmpeg's `-pix_fmt gray` expands them (checked in the tests against
//! ffmpeg's output), and the reference's qualities are reproduced.

/// The range of a plane's Y values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LumaRange {
    /// 0..=255 (JPEG, ffmpeg's `yuvj*` and `gray` formats).
    Full,
    /// 16..=235 (most video: ITU-R BT.601/709 "TV range").
    Limited,
}

/// The full-range value of each limited-range Y: `round((y − 16) × 255 / 219)`, clamped to
/// 0..=255, computed in integers (`(510 (y − 16) + 219) / 438`, halves rounded up).
const EXPAND: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut y = 0;
    while y < 256 {
        let scaled = (510 * (y as i32 - 16) + 219).div_euclid(438);
        table[y] = if scaled < 0 {
            0
        } else if scaled > 255 {
            255
        } else {
            scaled as u8
        };
        y += 1;
    }
    table
};

/// Expands limited-range Y values to full range in place (see the [module](self) docs).
///
/// ```
/// let mut y = [0u8, 16, 126, 235, 255];
/// vigil::video::expand_limited_range(&mut y);
/// assert_eq!(y, [0, 0, 128, 255, 255]);
/// ```
pub fn expand_limited_range(plane: &mut [u8]) {
    for y in plane {
        *y = EXPAND[usize::from(*y)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_rounds_to_nearest_and_clamps() {
        for y in 0..=255u8 {
            let exact = (f64::from(y) - 16.0) * 255.0 / 219.0;
            let expected = exact.round().clamp(0.0, 255.0) as u8;
            assert_eq!(EXPAND[usize::from(y)], expected, "y = {y}");
        }
    }
}
