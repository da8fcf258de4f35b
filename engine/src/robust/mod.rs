//! Robust queries: hash what an upload probably contains, and several variants of it, so that a
//! known picture is still found after it was padded, letterboxed, set on a blurred copy of
//! itself, captioned, placed in a screenshot, turned a few degrees or cropped a little.
//!
//! Hash lists hold one PDQ hash per known picture and cannot change; the query side does the
//! work. For each upload vigil
//! 1. area-averages its luma to a small grid ([`luma_grid`], one pass over the pixels);
//! 2. finds candidate content regions on it ([`content_region`]): inside plain borders and bands
//!    of any colour, or inside a background with far less detail (a blurred copy); each region
//!    proposes neighbours (centred, a trimmed side given back), and every region's edges are
//!    put on the exact pixel;
//! 3. plans each variant ([`variants`]): the regions as crops of the upload's own pixels, small
//!    turns and zooms of the whole upload resampled to 64×64 grey frames ([`resample`]), and
//!    the whole upload again with a bright overlay (white text: a watermark) taken out of its
//!    grid, when it has one;
//! 4. hashes the upload itself and every variant frame as **one batch** on the
//!    [`BatchHasher`] (the GPU when it has one, the CPU otherwise: the same bits);
//! 5. matches all of an upload's hashes as one query ([`match_robust`]): one match per list
//!    entry, the nearest, naming the variant that found it. A variant whose own quality is under
//!    the floor (a flat region) is not matched.
//!
//! The plain hash (and its eight orientations) is always part of the query, so a robust query
//! matches everything the plain one does. Every step that decides a pixel of a variant is integer
//! arithmetic on the host, shared by every backend.
//!
//! **The quality gate.** Dimming a picture or flattening its contrast barely moves its hash but
//! lowers PDQ's quality, and a query under [`MIN_QUALITY`](crate::MIN_QUALITY) is not matched.
//! With [`RobustOptions::contrast_normalised_quality`] (the default) an upload is gated on the
//! larger of its quality and the quality of its contrast-stretched 64×64 image, which a uniform
//! change of brightness or contrast cannot move.
//!
//! ```
//! use vigil::robust::{RobustOptions, hash_robust_batch, match_robust};
//! use vigil::matcher::{MatchOptions, Matcher};
//! use vigil::lists::HashList;
//! use vigil::{Backend, BatchHasher, Frame, PixelFormat};
//!
//! // A picture, and the same picture letterboxed in black bars.
//! let (w, h) = (320u32, 240u32);
//! let picture: Vec<u8> = (0..w * h).map(|i| ((i % w * 3 + (i / w).pow(2) / 40) % 256) as u8).collect();
//! let mut boxed = vec![0u8; (w * 400) as usize];
//! boxed[(w * 80) as usize..(w * 320) as usize].copy_from_slice(&picture);
//!
//! let hasher = BatchHasher::new(Backend::Cpu)?;
//! let known = vigil::hash(&Frame::packed(&picture, w, h, PixelFormat::Luma8)?);
//! let mut matcher = Matcher::new(MatchOptions::default());
//! matcher.add_list(HashList::parse("known", format!("{}", known.hash).as_bytes())?, 31)?;
//!
//! let upload = Frame::packed(&boxed, w, 400, PixelFormat::Luma8)?;
//! let hashes = hash_robust_batch(&hasher, &[upload], &RobustOptions::default());
//! let outcome = &match_robust(&matcher, &hashes)[0];
//! let best = &outcome.matches()[0];
//! assert!(best.distance <= 31);
//! assert_eq!(best.variant.region, Some(0)); // found by the region inside the bars
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bright_overlay;
pub mod content_region;
mod edge_refinement;
pub mod luma_grid;
mod matching;
pub mod resample;
pub mod variants;

use rayon::prelude::*;

use crate::frame::{Frame, PixelFormat};
use crate::{BatchHasher, DihedralHashes, PdqHash};
pub use content_region::RegionKind;
pub use matching::{RobustMatch, RobustOutcome, match_robust};
pub use variants::{ContentRegion, Variant};

/// Which variants a robust query hashes. The default was chosen from the measurements in
/// README.md (recall per edit against false matches among distinct photos).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RobustOptions {
    /// Turns of the whole upload, in degrees; each is tried both ways (at most 15).
    pub rotations: Vec<u8>,
    /// Zooms of the whole upload, in permille of its sides (over 1000 zooms out, which finds a
    /// picture that was cropped a little).
    pub zooms: Vec<u16>,
    /// Look for content regions inside borders, bands and blurred backgrounds.
    pub regions: bool,
    /// At most this many content regions from the detectors, most confident first (each may add
    /// neighbours: centred on an axis, or a trimmed side given back).
    pub max_regions: usize,
    /// Zooms of each content region besides the region itself, in permille. None by default:
    /// regions are crops of the upload's own pixels, and zooming them found nothing more on the
    /// measured set (README.md, "Robust queries").
    pub region_zooms: Vec<u16>,
    /// Gate the upload on the larger of its quality and its contrast-normalised quality.
    pub contrast_normalised_quality: bool,
    /// Also hash the upload with a bright overlay (white text or a logo: a watermark) taken out,
    /// when it has one.
    pub overlay_removal: bool,
}

impl Default for RobustOptions {
    fn default() -> Self {
        RobustOptions {
            rotations: vec![1, 2, 3, 4, 5],
            zooms: vec![1025, 1050],
            regions: true,
            max_regions: 3,
            region_zooms: Vec::new(),
            contrast_normalised_quality: true,
            overlay_removal: true,
        }
    }
}

option_setters!(RobustOptions {
    rotations: Vec<u8>,
    zooms: Vec<u16>,
    regions: bool,
    max_regions: usize,
    region_zooms: Vec<u16>,
    contrast_normalised_quality: bool,
    overlay_removal: bool
});

impl RobustOptions {
    /// No variants at all: the plain hash and its orientations only (for comparisons).
    pub fn none() -> RobustOptions {
        RobustOptions {
            rotations: Vec::new(),
            zooms: Vec::new(),
            regions: false,
            max_regions: 0,
            region_zooms: Vec::new(),
            contrast_normalised_quality: false,
            overlay_removal: false,
        }
    }
}

/// The hashes of one upload's robust query.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RobustHashes {
    /// The upload hashed as it is, in its eight orientations (`plain.hashes[0]` is its PDQ hash).
    pub plain: DihedralHashes,
    /// The quality of the upload's contrast-stretched 64×64 image, when it was computed.
    pub contrast_quality: Option<u8>,
    /// The content regions found.
    pub regions: Vec<ContentRegion>,
    /// Every other variant and its hash.
    pub variants: Vec<(Variant, PdqHash)>,
}

impl RobustHashes {
    /// The quality the upload is gated on: its PDQ quality, or its contrast-normalised quality
    /// when that is larger.
    pub fn gate_quality(&self) -> u8 {
        self.plain.quality.max(self.contrast_quality.unwrap_or(0))
    }

    /// Every hash of the query with its variant, the plain hash first.
    pub fn all(&self) -> impl Iterator<Item = (Variant, PdqHash)> + '_ {
        std::iter::once((Variant::PLAIN, self.plain.original()))
            .chain(self.variants.iter().copied())
    }
}

/// The robust hashes of each frame, planned on all cores and hashed as one batch on `hasher`.
pub fn hash_robust_batch(
    hasher: &BatchHasher,
    frames: &[Frame<'_>],
    options: &RobustOptions,
) -> Vec<RobustHashes> {
    let plans: Vec<variants::VariantPlan> = frames
        .par_iter()
        .map(|frame| variants::plan(frame, &luma_grid::LumaGrid::of(frame), options))
        .collect();
    let mut batch: Vec<Frame<'_>> = frames.to_vec();
    for plan in &plans {
        for (_, pixels) in &plan.frames {
            batch.push(variant_frame(pixels));
        }
        if let Some(pixels) = &plan.contrast_normalised {
            batch.push(resampled_frame(pixels));
        }
    }
    let (plain, variant_hashes) = hasher.hash_batch_dihedral_first(&batch, frames.len());
    let mut rest = &variant_hashes[..];
    plans
        .into_iter()
        .zip(plain)
        .map(|(plan, plain)| {
            let (mine, after) =
                rest.split_at(plan.frames.len() + usize::from(plan.contrast_normalised.is_some()));
            rest = after;
            let variants = plan
                .frames
                .iter()
                .zip(mine)
                .map(|((variant, _), hash)| (*variant, *hash))
                .collect();
            RobustHashes {
                plain,
                contrast_quality: plan
                    .contrast_normalised
                    .as_ref()
                    .map(|_| mine[plan.frames.len()].quality),
                regions: plan.regions,
                variants,
            }
        })
        .collect()
}

/// The frame hashed for a variant.
fn variant_frame<'a>(pixels: &'a variants::VariantPixels<'_>) -> Frame<'a> {
    match pixels {
        variants::VariantPixels::Resampled(pixels) => resampled_frame(pixels),
        variants::VariantPixels::Crop(crop) => *crop,
    }
}

fn resampled_frame(pixels: &[u8]) -> Frame<'_> {
    let side = resample::VARIANT_SIDE as u32;
    Frame::packed(pixels, side, side, PixelFormat::Luma8).expect("a 64×64 grey frame is valid")
}

#[cfg(test)]
mod fidelity {
    use super::*;

    /// The whole upload resampled as a variant, against its plain hash (`VIGIL_PHOTOS=dir`).
    #[test]
    #[ignore = "measurement on a folder of photos"]
    fn whole_upload_variant_against_plain() {
        let dir = std::env::var("VIGIL_PHOTOS").unwrap();
        let mut total = 0;
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let Ok(image) = crate::decode::decode_file(&path, &Default::default()) else {
                continue;
            };
            let frame = image.frame().unwrap();
            let plain = crate::hash(&frame);
            let grid = luma_grid::LumaGrid::of(&frame);
            let placement = resample::Placement::rectangle(0, 0, grid.width, grid.height)
                .sampling_like_pdq(&grid);
            let pixels = resample::resample(&grid.smoothed(), &placement);
            let variant = crate::hash(&Frame::packed(&pixels, 64, 64, PixelFormat::Luma8).unwrap());
            let d = plain.hash.distance(&variant.hash);
            total += d;
            n += 1;
            eprintln!(
                "{d:4} {}x{} {}",
                frame.width(),
                frame.height(),
                path.display()
            );
        }
        eprintln!("mean {}", total as f64 / n as f64);
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    /// The fastest of `n` runs of `f`: on a shared machine the minimum is what the code costs,
    /// the mean what the neighbours cost.
    fn fastest<T>(n: u32, mut f: impl FnMut() -> T) -> std::time::Duration {
        (0..n)
            .map(|_| {
                let t = std::time::Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .min()
            .expect("n > 0")
    }

    #[test]
    #[ignore = "timing on VIGIL_IMAGE"]
    fn time_the_steps() {
        let path = std::env::var("VIGIL_IMAGE").unwrap();
        let image = crate::decode::decode_file(path.as_ref(), &Default::default()).unwrap();
        let frame = image.frame().unwrap();
        let n = 100;
        eprintln!("grid {:?}", fastest(n, || luma_grid::LumaGrid::of(&frame)));
        let grid = luma_grid::LumaGrid::of(&frame);
        let regions = fastest(n, || content_region::content_regions(&grid));
        eprintln!("regions {regions:?}");
        eprintln!("smoothed {:?}", fastest(n, || grid.smoothed()));
        let overlay = fastest(n, || bright_overlay::without_bright_overlay(&grid));
        eprintln!("bright overlay {overlay:?}");
        let smoothed = grid.smoothed();
        let whole = resample::Placement::rectangle(0, 0, grid.width, grid.height);
        let turned = fastest(n, || {
            let shown = whole.turned(3).sampling_like_pdq(&grid);
            resample::resample(&smoothed, &shown)
        });
        eprintln!("one turned variant resampled {turned:?}");
        let options = RobustOptions::default();
        let plan = variants::plan(&frame, &grid, &options);
        let planned = fastest(n, || variants::plan(&frame, &grid, &options).frames.len());
        eprintln!("plan {planned:?} ({} frames)", plan.frames.len());
        let frames: Vec<Frame<'_>> = plan.frames.iter().map(|(_, p)| variant_frame(p)).collect();
        let variants = fastest(n, || frames.iter().map(crate::cpu::hash).count());
        eprintln!("hash variants {variants:?}");
        eprintln!("plain hash {:?}", fastest(n, || crate::cpu::hash(&frame)));
        let dihedral = fastest(n, || crate::cpu::hash_dihedral(&frame));
        eprintln!("plain hash, 8 orientations {dihedral:?}");
        let decode = fastest(20, || {
            crate::decode::decode_file(path.as_ref(), &Default::default()).unwrap()
        });
        eprintln!("decode {decode:?}");
    }
}

#[cfg(test)]
mod odd_frames {
    use super::*;

    /// A picture found exactly inside its borders is hashed from its own pixels: the region's
    /// variant is the picture's PDQ hash, bit for bit, not an approximation of it.
    #[test]
    fn a_padded_photo_gives_back_its_own_hash() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../golden/inputs/photo-320x240-rgb8.png");
        let photo = crate::decode::decode_file(&path, &Default::default()).unwrap();
        let own = crate::hash(&photo.frame().unwrap());
        for (border, colour) in [(32u32, 0u8), (48, 128), (20, 250)] {
            let (w, h) = (photo.width + 2 * border, photo.height + 2 * border);
            let mut padded = vec![colour; (w * h * 3) as usize];
            for y in 0..photo.height {
                let from = (y * photo.width * 3) as usize;
                let to = (((y + border) * w + border) * 3) as usize;
                padded[to..to + (photo.width * 3) as usize]
                    .copy_from_slice(&photo.pixels[from..from + (photo.width * 3) as usize]);
            }
            let frame = Frame::packed(&padded, w, h, PixelFormat::Rgb8).unwrap();
            let hasher = BatchHasher::new(crate::Backend::Cpu).unwrap();
            let hashes = &hash_robust_batch(&hasher, &[frame], &RobustOptions::default())[0];
            let region = hashes.regions[0];
            assert_eq!(
                (region.x, region.y, region.width, region.height),
                (border, border, photo.width, photo.height),
                "border {border} of {colour}"
            );
            let (_, found) = hashes
                .variants
                .iter()
                .find(|(variant, _)| variant.region == Some(0) && variant.scale_permille == 1000)
                .unwrap();
            assert_eq!(found.hash, own.hash, "border {border} of {colour}");
        }
    }

    /// Tiny, very wide, very tall and planar frames plan and hash without a panic, and a frame
    /// too small to hash gets quality 0 throughout.
    #[test]
    fn every_shape_and_format_is_planned_and_hashed() {
        let hasher = BatchHasher::new(crate::Backend::Cpu).unwrap();
        let shapes = [
            (1, 1),
            (2, 7),
            (5, 5),
            (16384, 1),
            (1, 16384),
            (3, 200),
            (300, 2),
        ];
        for (w, h) in shapes {
            for format in PixelFormat::ALL {
                let bytes = vec![77u8; (w * h) as usize * format.bytes_per_pixel() * 2];
                let frame = Frame::packed(&bytes, w, h, format).unwrap();
                let hashes = &hash_robust_batch(&hasher, &[frame], &RobustOptions::default())[0];
                assert!(hashes.variants.len() >= 12, "{w}x{h} {format:?}");
                if w < 5 || h < 5 {
                    assert_eq!(hashes.plain.quality, 0);
                }
            }
        }
    }

    /// Frames with a black border round a detailed picture, in every shape and format: regions
    /// are found, refined and cropped (I420 and NV12 through their Y plane) without a panic, and
    /// every region lies inside its frame.
    #[test]
    fn bordered_frames_of_every_shape_and_format_are_cropped() {
        let hasher = BatchHasher::new(crate::Backend::Cpu).unwrap();
        for (w, h) in [
            (40u32, 30u32),
            (3, 200),
            (300, 7),
            (16384, 3),
            (1000, 40),
            (64, 16384),
        ] {
            for format in PixelFormat::ALL {
                let bpp = format.bytes_per_pixel();
                let (bx, by) = (w / 8, h / 8);
                let mut bytes = vec![0u8; (w * h) as usize * bpp * 2];
                for y in by..h - by {
                    for x in bx..w - bx {
                        let at = (y * w + x) as usize * bpp;
                        let value = (40 + (x * 37 + y * 91) % 200) as u8;
                        bytes[at..at + bpp].fill(value);
                    }
                }
                let frame = Frame::packed(&bytes, w, h, format).unwrap();
                let hashes = &hash_robust_batch(&hasher, &[frame], &RobustOptions::default())[0];
                for region in &hashes.regions {
                    assert!(region.width > 0 && region.height > 0, "{w}x{h} {format:?}");
                    assert!(region.x + region.width <= w && region.y + region.height <= h);
                }
            }
        }
    }

    #[test]
    fn turns_past_the_table_are_clamped() {
        let grid = luma_grid::LumaGrid::from_cells(8, 8, (0..64).map(|i| i * 900).collect());
        let mut placement = resample::Placement::rectangle(0, 0, 8, 8);
        placement.degrees = 100;
        let far = resample::resample(&grid, &placement);
        placement.degrees = 15;
        assert_eq!(far, resample::resample(&grid, &placement));
    }
}
