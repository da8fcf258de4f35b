//! The CPU backend: runs the stages of [`crate::stages`] for one frame, and batches of frames in
//! parallel with rayon. Its hashes are the definition every other backend must equal bit for bit.

use std::cell::RefCell;

use rayon::prelude::*;

use crate::frame::Frame;
use crate::hash::{DihedralHashes, Hash256, PdqHash};
use crate::plan::FramePlan;
use crate::stages::{self, DCT_SIDE, DOWNSAMPLED, MIN_HASHABLE_SIDE};

/// What each stage produced for one frame: for tests that compare backends stage by stage.
/// Not part of the stable API.
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageOutputs {
    /// Stage 2: the 64×64 luma image, row-major.
    pub downsampled: Box<[u32; DOWNSAMPLED * DOWNSAMPLED]>,
    /// Stage 3: the quality score.
    pub quality: u8,
    /// Stage 4: the 16×16 DCT block, row-major.
    pub dct: [i64; DCT_SIDE * DCT_SIDE],
}

/// Per-thread state reused across the frames a thread hashes: the last frame size's plan (video
/// frames share one) and stage 1's output rows.
#[derive(Default)]
struct Scratch {
    plan: Option<FramePlan>,
    columns: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs stages 1–4. `None` for frames under 5 pixels on a side, which hash to zeros.
///
/// The stages are integer code compiled twice: for the baseline target and, chosen at run time,
/// with AVX2 enabled so the compiler vectorises the wide loops. Integer results cannot differ.
/// Not part of the stable API (the backends' stage-by-stage tests).
#[doc(hidden)]
pub fn stage_outputs(frame: &Frame<'_>) -> Option<StageOutputs> {
    if frame.width() < MIN_HASHABLE_SIDE || frame.height() < MIN_HASHABLE_SIDE {
        return None;
    }
    SCRATCH.with_borrow_mut(|scratch| {
        let stale = scratch
            .plan
            .as_ref()
            .is_none_or(|plan| (plan.width, plan.height) != (frame.width(), frame.height()));
        if stale {
            scratch.plan = Some(FramePlan::new(frame.width(), frame.height()));
        }
        let Scratch { plan, columns } = scratch;
        let plan = plan.as_ref().expect("plan set above");
        columns.resize(DOWNSAMPLED * frame.row_bytes(), 0);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            return Some(unsafe { run_stages_avx2(frame, plan, columns) });
        }
        Some(run_stages(frame, plan, columns))
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn run_stages_avx2(frame: &Frame<'_>, plan: &FramePlan, columns: &mut [u32]) -> StageOutputs {
    run_stages(frame, plan, columns)
}

#[inline(always)]
fn run_stages(frame: &Frame<'_>, plan: &FramePlan, columns: &mut [u32]) -> StageOutputs {
    // A 64×64 frame (robust variants are) is left as it is by both filters: its luma directly.
    let downsampled = if plan.vertical.is_identity() && plan.horizontal.is_identity() {
        Box::new(stages::tent_rows::tent_rows_identity(frame, plan))
    } else {
        stages::tent_columns(frame, plan, columns);
        Box::new(stages::tent_rows(columns, plan, frame.format()))
    };
    let quality = stages::quality(&downsampled, plan);
    let dct = stages::dct(&downsampled);
    StageOutputs {
        downsampled,
        quality,
        dct,
    }
}

/// The PDQ hash and quality of one frame.
///
/// ```
/// use vigil::{Frame, PixelFormat};
/// let pixels: Vec<u8> = (0..128 * 96).map(|i| (i % 251) as u8).collect();
/// let frame = Frame::packed(&pixels, 128, 96, PixelFormat::Luma8)?;
/// let pdq = vigil::hash(&frame);
/// println!("{},{}", pdq.hash, pdq.quality);
/// # Ok::<(), vigil::Error>(())
/// ```
pub fn hash(frame: &Frame<'_>) -> PdqHash {
    match stage_outputs(frame) {
        Some(out) => PdqHash {
            hash: stages::hash_from_dct(&out.dct),
            quality: out.quality,
        },
        None => PdqHash {
            hash: Hash256::ZERO,
            quality: 0,
        },
    }
}

/// The eight dihedral hashes of one frame, from a single pass over its pixels.
pub fn hash_dihedral(frame: &Frame<'_>) -> DihedralHashes {
    match stage_outputs(frame) {
        Some(out) => DihedralHashes {
            hashes: stages::dihedral_hashes_from_dct(&out.dct),
            quality: out.quality,
        },
        None => DihedralHashes::EMPTY,
    }
}

/// The 16×16 DCT block the hash thresholds at its median (row-major, `[0]` the DC coefficient)
/// as floats, and the quality: the integer DCT divided by its fixed-point scale (see
/// [`stages`]), which is the exact DCT of the filtered luma to about one part in 10^7 of its
/// largest value. For callers that want the block itself, as `pdqhash.compute_dct` returns it;
/// bits are decided on the integers, never on these floats. A frame too small to hash gives
/// zeros and quality 0.
///
/// ```
/// use vigil::{Frame, PixelFormat};
/// let pixels: Vec<u8> = (0..64 * 64).map(|i| (i % 64 * 4) as u8).collect();
/// let frame = Frame::packed(&pixels, 64, 64, PixelFormat::Luma8)?;
/// let (dct, quality) = vigil::cpu::dct_block(&frame);
/// let hash = vigil::hash(&frame).hash;
/// // Bit k of the hash is "coefficient k above the median" (bit 0 is the last coefficient).
/// let mut sorted = dct;
/// sorted.sort_by(f64::total_cmp);
/// let median = sorted[127];
/// assert_eq!(hash.bit(255), dct[0] > median);
/// assert!(quality > 0);
/// # Ok::<(), vigil::Error>(())
/// ```
pub fn dct_block(frame: &Frame<'_>) -> ([f64; 256], u8) {
    let Some(out) = stage_outputs(frame) else {
        return ([0.0; 256], 0);
    };
    let plan = FramePlan::new(frame.width(), frame.height());
    // A = luma · 2^27 · Dr · Dc / 2^(s1 + s2); B = D · A · Dᵀ carries another 2^30.
    let scale = 2f64.powi(57)
        * f64::from(plan.vertical.denominator)
        * f64::from(plan.horizontal.denominator)
        / 2f64.powi((plan.channel_shift + plan.luma_shift) as i32);
    (out.dct.map(|b| b as f64 / scale), out.quality)
}

/// Hashes a batch of frames on all cores; results in the order of `frames`.
pub fn hash_batch(frames: &[Frame<'_>]) -> Vec<PdqHash> {
    frames.par_iter().map(hash).collect()
}

/// Dihedral hashes of a batch of frames on all cores; results in the order of `frames`.
pub fn hash_dihedral_batch(frames: &[Frame<'_>]) -> Vec<DihedralHashes> {
    frames.par_iter().map(hash_dihedral).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::PixelFormat;

    fn frame_of(pixels: &[u8], width: u32, height: u32, format: PixelFormat) -> Frame<'_> {
        Frame::packed(pixels, width, height, format).expect("valid frame")
    }

    /// Runs the pipeline (overflow checks are on in test builds) and checks `A`'s bound.
    fn run(
        width: u32,
        height: u32,
        format: PixelFormat,
        pixel: impl Fn(usize, usize, usize) -> u8,
    ) -> PdqHash {
        let bpp = format.bytes_per_pixel();
        let (w, h) = (width as usize, height as usize);
        let mut pixels = vec![0u8; w * h * bpp];
        for y in 0..h {
            for x in 0..w {
                for c in 0..bpp {
                    pixels[(y * w + x) * bpp + c] = pixel(x, y, c);
                }
            }
        }
        let frame = frame_of(&pixels, width, height, format);
        if let Some(out) = stage_outputs(&frame) {
            assert!(out.downsampled.iter().all(|&a| a <= (1 << 27) + 2));
        }
        hash(&frame)
    }

    #[test]
    fn worst_case_inputs_stay_within_bounds() {
        let sizes = [
            (5, 5),
            (127, 129),
            (255, 256),
            (1920, 1080),
            (16384, 64),
            (64, 16384),
        ];
        for (w, h) in sizes {
            for format in [PixelFormat::Rgb8, PixelFormat::Bgra8, PixelFormat::Luma8] {
                let white = run(w, h, format, |_, _, _| 255);
                let black = run(w, h, format, |_, _, _| 0);
                // Flat frames: every DCT value is exactly 0 (the matrix rows sum to 0), no bit set.
                assert_eq!(white.hash, Hash256::ZERO, "{w}x{h} {format:?} white");
                assert_eq!(black.hash, Hash256::ZERO, "{w}x{h} {format:?} black");
                assert_eq!((white.quality, black.quality), (0, 0));
                run(
                    w,
                    h,
                    format,
                    |x, y, _| if (x + y) % 2 == 0 { 255 } else { 0 },
                );
                run(w, h, format, |x, _, _| if x % 7 == 0 { 255 } else { 0 });
                run(w, h, format, |_, y, _| if y % 5 == 0 { 255 } else { 0 });
            }
        }
    }

    /// The largest per-channel sum the engine can meet: both axes at the widest window.
    #[test]
    fn largest_frame_all_white_stays_within_bounds() {
        let side = crate::MAX_SIDE;
        let pixels = vec![255u8; side as usize * side as usize];
        let out =
            stage_outputs(&frame_of(&pixels, side, side, PixelFormat::Luma8)).expect("hashable");
        assert!(out.downsampled.iter().all(|&a| a <= (1 << 27) + 2));
        assert!(out.dct.iter().all(|&b| b == 0));
    }

    #[test]
    fn frames_under_five_pixels_hash_to_zero() {
        for (w, h) in [(1, 1), (4, 100), (100, 4), (4, 4)] {
            let pixels = vec![200u8; w * h * 3];
            let all = hash_dihedral(&frame_of(&pixels, w as u32, h as u32, PixelFormat::Rgb8));
            assert_eq!(all.hashes, [Hash256::ZERO; 8]);
            assert_eq!(all.quality, 0);
        }
    }

    #[test]
    fn padding_and_layout_do_not_change_the_hash() {
        let (w, h) = (97usize, 61usize);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| ((i * 31) ^ (i / 7)) as u8).collect();
        let packed = hash(&frame_of(&rgb, w as u32, h as u32, PixelFormat::Rgb8));
        // Same pixels with a padded stride and junk in the padding.
        let stride = w * 3 + 13;
        let mut padded = vec![0xA5u8; stride * h];
        for y in 0..h {
            padded[y * stride..y * stride + w * 3]
                .copy_from_slice(&rgb[y * w * 3..(y + 1) * w * 3]);
        }
        let frame =
            Frame::new(&padded, w as u32, h as u32, stride, PixelFormat::Rgb8).expect("valid");
        assert_eq!(hash(&frame), packed);
        // The same pixels as BGRA and RGBA, alpha junk.
        let mut bgra = Vec::with_capacity(w * h * 4);
        let mut rgba = Vec::with_capacity(w * h * 4);
        for p in rgb.chunks_exact(3) {
            bgra.extend_from_slice(&[p[2], p[1], p[0], p[0] ^ 0x5A]);
            rgba.extend_from_slice(&[p[0], p[1], p[2], p[1]]);
        }
        assert_eq!(
            hash(&frame_of(&bgra, w as u32, h as u32, PixelFormat::Bgra8)),
            packed
        );
        assert_eq!(
            hash(&frame_of(&rgba, w as u32, h as u32, PixelFormat::Rgba8)),
            packed
        );
    }

    #[test]
    fn grey_hashes_as_its_rgb_expansion() {
        let (w, h) = (150usize, 99usize);
        let grey: Vec<u8> = (0..w * h).map(|i| ((i * 17) % 251) as u8).collect();
        let rgb: Vec<u8> = grey.iter().flat_map(|&g| [g, g, g]).collect();
        let expected = hash_dihedral(&frame_of(&rgb, w as u32, h as u32, PixelFormat::Rgb8));
        for format in [PixelFormat::Luma8, PixelFormat::I420, PixelFormat::Nv12] {
            assert_eq!(
                hash_dihedral(&frame_of(&grey, w as u32, h as u32, format)),
                expected
            );
        }
    }

    /// The AVX2 build of the stages equals the baseline build, stage by stage.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_build_equals_baseline_build() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("skipped: avx2 not detected");
            return;
        }
        for (k, (w, h, format)) in [
            (5, 5, PixelFormat::Rgb8),
            (333, 500, PixelFormat::Bgra8),
            (1920, 1080, PixelFormat::Rgb8),
            (640, 481, PixelFormat::Luma8),
        ]
        .into_iter()
        .enumerate()
        {
            let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ k as u64;
            let pixels: Vec<u8> = (0..w as usize * h as usize * format.bytes_per_pixel())
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let frame = frame_of(&pixels, w, h, format);
            let plan = FramePlan::new(w, h);
            let mut columns = vec![0; DOWNSAMPLED * frame.row_bytes()];
            let baseline = run_stages(&frame, &plan, &mut columns);
            // SAFETY: AVX2 detected above.
            let avx2 = unsafe { run_stages_avx2(&frame, &plan, &mut columns) };
            assert_eq!(avx2, baseline, "{w}x{h} {format:?}");
        }
    }

    #[test]
    fn batch_equals_one_by_one() {
        let buffers: Vec<(u32, u32, Vec<u8>)> = (0..9)
            .map(|k| {
                let (w, h) = (5 + k * 37, 7 + k * 23);
                (
                    w,
                    h,
                    (0..w * h * 3).map(|i| (i * (k + 3) % 256) as u8).collect(),
                )
            })
            .collect();
        let frames: Vec<Frame<'_>> = buffers
            .iter()
            .map(|(w, h, p)| frame_of(p, *w, *h, PixelFormat::Rgb8))
            .collect();
        let one_by_one: Vec<_> = frames.iter().map(hash).collect();
        assert_eq!(hash_batch(&frames), one_by_one);
        let dihedral: Vec<_> = hash_dihedral_batch(&frames)
            .iter()
            .map(|d| d.original())
            .collect();
        assert_eq!(dihedral, one_by_one);
    }
}
