//! PNG's row filters undone (PNG spec §9): each row of the inflated image data is one filter
//! byte and the row's bytes, predicted from the pixel to the left (`a`), above (`b`) and above
//! left (`c`). Photos are saved with the Paeth filter on nearly every row (91% of the rows of
//! the 46 benchmark photos, written by Pillow), and Paeth is serial along a row: each pixel needs
//! the one just decoded to its left. The `png` crate's stable Paeth decodes one channel at a
//! time and took 37% of hashing a folder of 1080p PNGs.
//!
//! Here, on x86-64 with AVX2, four consecutive Paeth rows are decoded together as a wavefront:
//! row `r + j` runs `j` pixels behind row `r + j - 1`, so the pixel above each pixel is ready,
//! and one 16-lane vector holds one pixel of each of the four rows (four 16-bit lanes a pixel).
//! That decodes Paeth rows about 1.6 times as fast. Every other row, and every machine without
//! AVX2, goes through the scalar functions; both give the same bytes (tests compare them on every
//! filter, width and channel count, and the fuzz target `decode_image` compares the result
//! with the `png` crate's).

/// The filter types of PNG's filter method 0.
const NONE: u8 = 0;
const SUB: u8 = 1;
const UP: u8 = 2;
const AVERAGE: u8 = 3;
const PAETH: u8 = 4;

/// Undoes the filters of `raw` (`height` rows of a filter byte and `width * channels` bytes)
/// into `out` (`height` rows of `width * channels` bytes, plus at least 4 bytes of slack at the
/// end for whole-word stores). `None` when a row has an unknown filter type.
pub(super) fn unfilter(
    raw: &[u8],
    out: &mut [u8],
    width: usize,
    height: usize,
    channels: usize,
) -> Option<()> {
    let row_len = width * channels;
    let stride = row_len + 1;
    assert!(raw.len() >= height * stride && out.len() >= height * row_len + 4);
    let zeros = vec![0; row_len];
    let wavefront = wavefront_available(channels);
    let mut row = 0;
    while row < height {
        let filter_of = |r: usize| raw[r * stride];
        if wavefront
            && row > 0
            && row + 4 <= height
            && (row..row + 4).all(|r| filter_of(r) == PAETH)
        {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `wavefront_available` checked that the CPU has AVX2.
            unsafe {
                paeth_wavefront_avx2(raw, out, width, channels, row)
            };
            row += 4;
            continue;
        }
        let (done, rest) = out.split_at_mut(row * row_len);
        let above = match row {
            0 => &zeros[..],
            _ => &done[(row - 1) * row_len..],
        };
        let current = &mut rest[..row_len];
        current.copy_from_slice(&raw[row * stride + 1..(row + 1) * stride]);
        unfilter_row(filter_of(row), channels, above, current)?;
        row += 1;
    }
    Some(())
}

/// Whether [`paeth_wavefront_avx2`] can run here, for pixels of `channels` bytes.
fn wavefront_available(channels: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    if channels == 3 || channels == 4 {
        return std::arch::is_x86_feature_detected!("avx2");
    }
    let _ = channels;
    false
}

/// Undoes `filter` on `current` in place (one row of pixels of `bpp` bytes), `above` being the
/// row above, already unfiltered (zeros for the first row). `None` for an unknown filter.
pub(super) fn unfilter_row(filter: u8, bpp: usize, above: &[u8], current: &mut [u8]) -> Option<()> {
    let len = current.len();
    match filter {
        NONE => {}
        SUB => {
            for i in bpp..len {
                current[i] = current[i].wrapping_add(current[i - bpp]);
            }
        }
        UP => {
            for (x, b) in current.iter_mut().zip(above) {
                *x = x.wrapping_add(*b);
            }
        }
        AVERAGE => {
            for i in 0..len {
                let a = if i >= bpp { current[i - bpp] } else { 0 };
                current[i] = current[i].wrapping_add(((a as u16 + above[i] as u16) / 2) as u8);
            }
        }
        PAETH => {
            for i in 0..len {
                let (a, c) = if i >= bpp {
                    (current[i - bpp], above[i - bpp])
                } else {
                    (0, 0)
                };
                current[i] = current[i].wrapping_add(paeth_predictor(a, above[i], c));
            }
        }
        _ => return None,
    }
    Some(())
}

/// The Paeth predictor of the PNG spec: of `a`, `b`, `c`, the one nearest `a + b - c`, ties
/// going to `a`, then `b`.
fn paeth_predictor(a: u8, b: u8, c: u8) -> u8 {
    let (a16, b16, c16) = (a as i16, b as i16, c as i16);
    let pa = (b16 - c16).abs();
    let pb = (a16 - c16).abs();
    let pc = (a16 + b16 - 2 * c16).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// Undoes the Paeth filter of rows `first..first + 4` (`first >= 1`; rows above already in
/// `out`) as a wavefront: at step `t`, row `first + j` decodes its pixel `t - j`. So the pixel
/// to the left (`a`) is the previous step's result in the same lanes, the pixel above (`b`) is
/// the previous step's result of the row above (one lane group down; for the first row, read
/// from `out`), and the pixel above left (`c`) is the previous step's `b`.
///
/// Pixels of 3 bytes are read and written as 4-byte words: the fourth lane's result is garbage,
/// written over the next pixel's first byte before that pixel is decoded (and not at all past a
/// row's last pixel).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn paeth_wavefront_avx2(raw: &[u8], out: &mut [u8], width: usize, channels: usize, first: usize) {
    use std::arch::x86_64::*;

    let row_len = width * channels;
    let stride = row_len + 1;
    let above = (first - 1) * row_len;
    let source: [usize; 4] = std::array::from_fn(|j| (first + j) * stride + 1);
    let target: [usize; 4] = std::array::from_fn(|j| (first + j) * row_len);
    let word = |bytes: &[u8], at: usize| {
        i32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
    };
    // A pixel's own bytes as a word, for a row's last pixel (the image data may end there).
    let last_word = |bytes: &[u8], at: usize| {
        let mut four = [0; 4];
        four[..channels].copy_from_slice(&bytes[at..at + channels]);
        i32::from_le_bytes(four)
    };
    let low_byte = _mm256_set1_epi16(0xff);
    let mut last = _mm256_setzero_si256(); // each row's previous pixel: `a`
    let mut last_above = _mm256_setzero_si256(); // each row's previous `b`: this step's `c`
    // One step: the four rows' filtered pixels and the first row's pixel above in, the four
    // decoded pixels out (as bytes, a word a row).
    let mut step = |filtered: [i32; 4], first_above: i32, started: __m256i| {
        let x = _mm256_cvtepu8_epi16(_mm_set_epi32(
            filtered[3],
            filtered[2],
            filtered[1],
            filtered[0],
        ));
        let first_above = _mm256_cvtepu8_epi16(_mm_cvtsi32_si128(first_above));
        let b = _mm256_blend_epi32::<0b0000_0011>(
            _mm256_permute4x64_epi64::<0b10_01_00_00>(last),
            first_above,
        );
        let (a, c) = (last, last_above);
        let b_minus_c = _mm256_sub_epi16(b, c);
        let a_minus_c = _mm256_sub_epi16(a, c);
        let pa = _mm256_abs_epi16(b_minus_c);
        let pb = _mm256_abs_epi16(a_minus_c);
        let pc = _mm256_abs_epi16(_mm256_add_epi16(b_minus_c, a_minus_c));
        let smallest = _mm256_min_epi16(pa, _mm256_min_epi16(pb, pc));
        let b_or_c = _mm256_blendv_epi8(c, b, _mm256_cmpeq_epi16(pb, smallest));
        let predicted = _mm256_blendv_epi8(b_or_c, a, _mm256_cmpeq_epi16(pa, smallest));
        let decoded = _mm256_and_si256(_mm256_add_epi16(x, predicted), low_byte);
        // Rows that have not started keep a = c = 0 for their first pixel.
        last = _mm256_and_si256(decoded, started);
        last_above = _mm256_and_si256(b, started);
        let bytes = _mm_packus_epi16(
            _mm256_castsi256_si128(decoded),
            _mm256_extracti128_si256::<1>(decoded),
        );
        [
            _mm_cvtsi128_si32(bytes),
            _mm_extract_epi32::<1>(bytes),
            _mm_extract_epi32::<2>(bytes),
            _mm_extract_epi32::<3>(bytes),
        ]
    };
    let all_started = _mm256_set1_epi64x(-1);
    // Steps where every row has started and none is at its last pixel read and write whole
    // words; the first and last three steps check every pixel.
    let middle = 3..width.saturating_sub(1).max(3);
    for t in 0..width + 3 {
        if middle.contains(&t) {
            let filtered: [i32; 4] =
                std::array::from_fn(|j| word(raw, source[j] + (t - j) * channels));
            let decoded = step(filtered, word(out, above + t * channels), all_started);
            for (j, result) in decoded.iter().enumerate() {
                let at = target[j] + (t - j) * channels;
                out[at..at + 4].copy_from_slice(&result.to_le_bytes());
            }
            continue;
        }
        let pixel = |j: usize| t.checked_sub(j).filter(|&p| p < width);
        let read = |bytes: &[u8], at: usize, p: usize| match p + 1 < width {
            true => word(bytes, at),
            false => last_word(bytes, at),
        };
        let filtered: [i32; 4] = std::array::from_fn(|j| match pixel(j) {
            Some(p) => read(raw, source[j] + p * channels, p),
            None => 0,
        });
        let first_above = pixel(0).map_or(0, |p| read(out, above + p * channels, p));
        let started = match t {
            0 => _mm256_set_epi64x(0, 0, 0, -1),
            1 => _mm256_set_epi64x(0, 0, -1, -1),
            2 => _mm256_set_epi64x(0, -1, -1, -1),
            _ => all_started,
        };
        let decoded = step(filtered, first_above, started);
        for (j, result) in decoded.iter().enumerate() {
            if let Some(p) = pixel(j) {
                let at = target[j] + p * channels;
                // A row's last pixel is written alone: the next row has started.
                let len = if p + 1 < width { 4 } else { channels };
                out[at..at + len].copy_from_slice(&result.to_le_bytes()[..len]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random byte stream (xorshift).
    fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    }

    /// Filtered data with the given filter on every row (the bytes themselves are noise:
    /// unfiltering is defined for any bytes).
    fn filtered(
        width: usize,
        height: usize,
        channels: usize,
        filters: &[u8],
        seed: u64,
    ) -> Vec<u8> {
        let stride = width * channels + 1;
        let mut raw = noise(seed, height * stride);
        for row in 0..height {
            raw[row * stride] = filters[row % filters.len()];
        }
        raw
    }

    /// Row by row with the scalar functions only.
    fn scalar(raw: &[u8], width: usize, height: usize, channels: usize) -> Vec<u8> {
        let row_len = width * channels;
        let mut out = vec![0; height * row_len];
        let zeros = vec![0; row_len];
        for row in 0..height {
            let (done, rest) = out.split_at_mut(row * row_len);
            let above = if row == 0 {
                &zeros[..]
            } else {
                &done[(row - 1) * row_len..]
            };
            rest[..row_len].copy_from_slice(&raw[row * (row_len + 1) + 1..][..row_len]);
            unfilter_row(
                raw[row * (row_len + 1)],
                channels,
                above,
                &mut rest[..row_len],
            )
            .unwrap();
        }
        out
    }

    #[test]
    fn paeth_predictor_is_the_specs() {
        for a in (0..=255u8).step_by(3) {
            for b in 0..=255u8 {
                for c in (0..=255u8).step_by(5) {
                    let p = a as i32 + b as i32 - c as i32;
                    let (pa, pb, pc) = (
                        (p - a as i32).abs(),
                        (p - b as i32).abs(),
                        (p - c as i32).abs(),
                    );
                    let spec = if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    };
                    assert_eq!(paeth_predictor(a, b, c), spec, "{a} {b} {c}");
                }
            }
        }
    }

    #[test]
    fn the_wavefront_gives_the_scalar_bytes() {
        let patterns: [&[u8]; 4] = [
            &[PAETH],
            &[PAETH, PAETH, PAETH, SUB, PAETH],
            &[UP, PAETH, AVERAGE],
            &[NONE, PAETH, PAETH, PAETH, PAETH, PAETH, UP],
        ];
        for channels in [1, 3, 4] {
            for width in [1, 2, 3, 4, 5, 6, 17, 64] {
                for height in [1, 2, 4, 5, 8, 9, 13] {
                    for (k, filters) in patterns.iter().enumerate() {
                        let raw = filtered(
                            width,
                            height,
                            channels,
                            filters,
                            (width * 131 + height * 7 + k) as u64,
                        );
                        let mut out = vec![0; height * width * channels + 4];
                        unfilter(&raw, &mut out, width, height, channels).unwrap();
                        assert_eq!(
                            out[..height * width * channels],
                            scalar(&raw, width, height, channels),
                            "{channels} channels, {width}x{height}, filters {filters:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn extreme_bytes_agree() {
        // All 0 and all 255 rows, where the predictor's differences are largest.
        for fill in [0u8, 255] {
            for channels in [3, 4] {
                let (width, height) = (9, 9);
                let stride = width * channels + 1;
                let mut raw = vec![fill; height * stride];
                for row in 0..height {
                    raw[row * stride] = PAETH;
                }
                let mut out = vec![0; height * width * channels + 4];
                unfilter(&raw, &mut out, width, height, channels).unwrap();
                assert_eq!(
                    out[..height * width * channels],
                    scalar(&raw, width, height, channels)
                );
            }
        }
    }

    #[test]
    fn an_unknown_filter_is_refused() {
        let raw = filtered(3, 2, 3, &[5], 1);
        let mut out = vec![0; 3 * 2 * 3 + 4];
        assert_eq!(unfilter(&raw, &mut out, 3, 2, 3), None);
    }
}
