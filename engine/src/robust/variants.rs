//! Which variants of an upload are hashed: the content regions (crops of the upload's own
//! pixels), and small turns and zooms of the whole upload (64×64 frames resampled from its
//! [`LumaGrid`]).

use super::RobustOptions;
use super::bright_overlay::without_bright_overlay;
use super::content_region::{GridRegion, RegionKind, content_regions, too_small};
use super::edge_refinement;
use super::luma_grid::LumaGrid;
use super::resample::{MAX_ROTATION_DEGREES, Placement, resample};
use crate::frame::Frame;

/// A candidate region of the upload where the picture probably is, in the frame's pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ContentRegion {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// How it was found.
    pub kind: RegionKind,
    /// 0..=100: how clearly the trimmed borders differ from what is kept.
    pub confidence: u8,
}

/// One variant of an upload: which part of it, turned and zoomed how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Variant {
    /// The content region shown (an index into [`RobustHashes::regions`](super::RobustHashes::regions)),
    /// or `None` for the whole upload.
    pub region: Option<u8>,
    /// Degrees the upload is turned back by, counter-clockwise positive.
    pub degrees: i8,
    /// The side of the shown rectangle against the region's, in permille: 1000 as it is, over
    /// 1000 zoomed out (to find a picture that was cropped), under 1000 zoomed in.
    pub scale_permille: u16,
    /// A bright overlay (a watermark of white text) taken out of the upload first.
    pub overlay_removed: bool,
}

impl Variant {
    /// The upload as it is, hashed whole by the ordinary pipeline (and its eight orientations).
    pub const PLAIN: Variant = Variant {
        region: None,
        degrees: 0,
        scale_permille: 1000,
        overlay_removed: false,
    };

    /// Whether this is [`Variant::PLAIN`].
    pub fn is_plain(&self) -> bool {
        *self == Variant::PLAIN
    }
}

impl std::fmt::Display for Variant {
    /// `plain`, `region1`, `turn+2`, `zoom1040`, `unmarked` (a bright overlay taken out), or a
    /// combination such as `region1+turn-3`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_plain() {
            return f.write_str("plain");
        }
        let mut parts = Vec::new();
        if let Some(region) = self.region {
            parts.push(format!("region{region}"));
        }
        if self.degrees != 0 {
            parts.push(format!("turn{:+}", self.degrees));
        }
        if self.scale_permille != 1000 {
            parts.push(format!("zoom{}", self.scale_permille));
        }
        if self.overlay_removed {
            parts.push("unmarked".to_owned());
        }
        if parts.is_empty() {
            parts.push("whole".to_owned());
        }
        f.write_str(&parts.join("+"))
    }
}

/// What is hashed for one variant.
pub(crate) enum VariantPixels<'a> {
    /// 64×64 grey pixels resampled from the luma grid (turns and zooms of the whole upload, and
    /// region zooms reaching past its edges).
    Resampled(Vec<u8>),
    /// A rectangle of the upload's own pixels, hashed as PDQ hashes that crop: a region found
    /// exactly gives the picture's own hash, not an approximation of it.
    Crop(Frame<'a>),
}

/// The variants of one upload, planned and resampled, ready to hash.
pub(crate) struct VariantPlan<'a> {
    pub regions: Vec<ContentRegion>,
    /// Each variant and what is hashed for it.
    pub frames: Vec<(Variant, VariantPixels<'a>)>,
    /// The whole upload at 64×64 with its contrast stretched, for the quality gate.
    pub contrast_normalised: Option<Vec<u8>>,
}

/// Grey levels the middle 98% of an upload must span for its contrast to be normalised: below
/// it the upload is flat, and stretching would only magnify noise.
const MIN_CONTRAST_LEVELS: u32 = 24;

/// The variants of `frame`, whose grid is `grid`.
pub(crate) fn plan<'a>(
    frame: &Frame<'a>,
    grid: &LumaGrid,
    options: &RobustOptions,
) -> VariantPlan<'a> {
    let smoothed = grid.smoothed();
    let whole = Placement::rectangle(0, 0, grid.width, grid.height);
    let resampled = |variant: Variant, placement: Placement| {
        let shown = placement
            .scaled(u32::from(variant.scale_permille))
            .turned(variant.degrees)
            .sampling_like_pdq(grid);
        (
            variant,
            VariantPixels::Resampled(resample(&smoothed, &shown)),
        )
    };
    let of_whole = |degrees: i8, scale_permille: u16| Variant {
        region: None,
        degrees,
        scale_permille,
        overlay_removed: false,
    };
    let mut frames = Vec::new();
    for &degrees in &options.rotations {
        let degrees = degrees.min(MAX_ROTATION_DEGREES) as i8;
        if degrees != 0 {
            frames.push(resampled(of_whole(degrees, 1000), whole));
            frames.push(resampled(of_whole(-degrees, 1000), whole));
        }
    }
    for &scale in &options.zooms {
        if scale != 1000 {
            frames.push(resampled(of_whole(0, scale), whole));
        }
    }
    let mut found: Vec<GridRegion> = if options.regions {
        content_regions(grid)
            .into_iter()
            .take(options.max_regions)
            .collect()
    } else {
        Vec::new()
    };
    // A picture centred in bars one of which was missed (a blurred background that fades into
    // the picture's own colours on one side): the found side mirrored. A picture under a band
    // whose own far edge is plain (a dark foreground, a white wall) and was trimmed as if it were
    // background, or one with a straight edge of its own taken for the picture's edge: each
    // trimmed side given back in turn.
    for index in 0..found.len() {
        let region = found[index];
        let mut more = centred(&region, grid);
        if matches!(
            region.kind,
            RegionKind::PlainBackground | RegionKind::StraightEdges
        ) {
            more.extend(sides_given_back(&region, grid));
        }
        for candidate in more {
            if !found.contains(&candidate) {
                found.push(candidate);
            }
        }
    }
    // Regions are hashed from the upload's own pixels, so their edges are put on the exact
    // pixel. Neighbours often refine to a rectangle found already, and are kept once; none under
    // the detectors' minimum size is kept.
    let mut regions: Vec<ContentRegion> = Vec::new();
    for region in &found {
        let refined = edge_refinement::refine(frame, grid, to_pixels(region, grid));
        let tiny = too_small(
            i64::from(refined.width),
            i64::from(refined.height),
            i64::from(frame.width()),
            i64::from(frame.height()),
        );
        let rectangle = |r: &ContentRegion| (r.x, r.y, r.width, r.height);
        if !tiny && !regions.iter().any(|r| rectangle(r) == rectangle(&refined)) {
            regions.push(refined);
        }
    }
    for (index, region) in regions.iter().enumerate() {
        for &scale_permille in std::iter::once(&1000).chain(&options.region_zooms) {
            let variant = Variant {
                region: Some(index as u8),
                degrees: 0,
                scale_permille,
                overlay_removed: false,
            };
            frames.push(match crop_of(frame, region, scale_permille) {
                Some(crop) => (variant, VariantPixels::Crop(crop)),
                None => resampled(variant, placement_of(region, grid)),
            });
        }
    }
    // After the regions, so that a tie between variants still names the region (matching
    // keeps the earliest).
    let whole_shown = whole.sampling_like_pdq(grid);
    if options.overlay_removal
        && let Some(unmarked) = without_bright_overlay(grid)
    {
        frames.push((
            Variant {
                overlay_removed: true,
                ..of_whole(0, 1000)
            },
            VariantPixels::Resampled(resample(&unmarked.smoothed(), &whole_shown)),
        ));
    }
    let contrast_normalised = options
        .contrast_normalised_quality
        .then(|| stretch_contrast(&resample(&smoothed, &whole_shown)))
        .flatten();
    VariantPlan {
        regions,
        frames,
        contrast_normalised,
    }
}

/// `region` with each of its trimmed sides in turn moved back to the upload's edge, when two or
/// more are trimmed.
fn sides_given_back(region: &GridRegion, grid: &LumaGrid) -> Vec<GridRegion> {
    let (width, height) = (i64::from(grid.width) << 16, i64::from(grid.height) << 16);
    let given_back = [
        (region.y0 > 0).then_some(GridRegion { y0: 0, ..*region }),
        (region.y1 < height).then_some(GridRegion {
            y1: height,
            ..*region
        }),
        (region.x0 > 0).then_some(GridRegion { x0: 0, ..*region }),
        (region.x1 < width).then_some(GridRegion {
            x1: width,
            ..*region
        }),
    ];
    let trimmed: Vec<GridRegion> = given_back.into_iter().flatten().collect();
    if trimmed.len() < 2 {
        Vec::new()
    } else {
        trimmed
    }
}

/// `region` centred on each axis where it is not: a side trimmed where only its opposite side was,
/// by as much, and two unequally trimmed sides both trimmed by the smaller; each axis alone and,
/// when both need it, both. None when every axis is already centred (or untrimmed).
fn centred(region: &GridRegion, grid: &LumaGrid) -> Vec<GridRegion> {
    const HALF_CELL: i64 = 1 << 15;
    let mirror = |start: i64, end: i64, cells: u32| {
        let size = i64::from(cells) << 16;
        let (before, after) = (start, size - end);
        match (before > HALF_CELL, after > HALF_CELL) {
            (true, false) if size - 2 * before > 2 * HALF_CELL => Some((start, size - before)),
            (false, true) if size - 2 * after > 2 * HALF_CELL => Some((after, end)),
            // Both trimmed, unequally: the picture's own edge taken for border on one side.
            (true, true) if before.abs_diff(after) > 2 * HALF_CELL as u64 => {
                let border = before.min(after);
                Some((border, size - border))
            }
            _ => None,
        }
    };
    let x = mirror(region.x0, region.x1, grid.width);
    let y = mirror(region.y0, region.y1, grid.height);
    let with = |x: Option<(i64, i64)>, y: Option<(i64, i64)>| {
        let (x0, x1) = x.unwrap_or((region.x0, region.x1));
        let (y0, y1) = y.unwrap_or((region.y0, region.y1));
        GridRegion {
            x0,
            y0,
            x1,
            y1,
            ..*region
        }
    };
    // Each axis alone (a post centres its picture across, not down), then both.
    match (x, y) {
        (None, None) => Vec::new(),
        (Some(_), None) | (None, Some(_)) => vec![with(x, y)],
        (Some(_), Some(_)) => vec![with(x, None), with(None, y), with(x, y)],
    }
}

/// `region` with its sides scaled by `scale_permille` about its centre, as a crop of `frame`,
/// or `None` when that rectangle is empty or reaches past the frame's edges.
fn crop_of<'a>(
    frame: &Frame<'a>,
    region: &ContentRegion,
    scale_permille: u16,
) -> Option<Frame<'a>> {
    let scale = u64::from(scale_permille);
    let side = |length: u32| ((u64::from(length) * scale + 500) / 1000) as u32;
    let (width, height) = (side(region.width), side(region.height));
    // The centre kept: half the change in size on each side (the left and top move by the
    // smaller half, zooming out or in).
    let x = i64::from(region.x) - (i64::from(width) - i64::from(region.width)) / 2;
    let y = i64::from(region.y) - (i64::from(height) - i64::from(region.height)) / 2;
    frame
        .crop(
            u32::try_from(x).ok()?,
            u32::try_from(y).ok()?,
            width,
            height,
        )
        .ok()
}

/// A region in the frame's pixels as a placement on the grid (cells × 2^16).
fn placement_of(region: &ContentRegion, grid: &LumaGrid) -> Placement {
    let x = |pixels: u32| {
        ((i64::from(pixels) * i64::from(grid.width)) << 16) / i64::from(grid.frame_width.max(1))
    };
    let y = |pixels: u32| {
        ((i64::from(pixels) * i64::from(grid.height)) << 16) / i64::from(grid.frame_height.max(1))
    };
    Placement::edges(
        x(region.x),
        y(region.y),
        x(region.x + region.width),
        y(region.y + region.height),
    )
}

fn to_pixels(region: &GridRegion, grid: &LumaGrid) -> ContentRegion {
    // Edges are in cells × 2^16.
    let x = |edge: i64| {
        ((edge.max(0) as u64 * u64::from(grid.frame_width) / u64::from(grid.width) + (1 << 15))
            >> 16) as u32
    };
    let y = |edge: i64| {
        ((edge.max(0) as u64 * u64::from(grid.frame_height) / u64::from(grid.height) + (1 << 15))
            >> 16) as u32
    };
    ContentRegion {
        x: x(region.x0),
        y: y(region.y0),
        width: x(region.x1) - x(region.x0),
        height: y(region.y1) - y(region.y0),
        kind: region.kind,
        confidence: region.confidence,
    }
}

/// `pixels` with the levels between its 1st and 99th percentiles stretched to 0..=255, or `None`
/// when they span under [`MIN_CONTRAST_LEVELS`].
fn stretch_contrast(pixels: &[u8]) -> Option<Vec<u8>> {
    let mut histogram = [0u32; 256];
    for &p in pixels {
        histogram[p as usize] += 1;
    }
    let cut = (pixels.len() / 100) as u32;
    let percentile = |levels: &[usize]| {
        let mut seen = 0;
        levels.iter().copied().find(|&level| {
            seen += histogram[level];
            seen > cut
        })
    };
    let up: Vec<usize> = (0..256).collect();
    let down: Vec<usize> = (0..256).rev().collect();
    let low = percentile(&up)? as u32;
    let high = percentile(&down)? as u32;
    if high < low + MIN_CONTRAST_LEVELS {
        return None;
    }
    let range = high - low;
    Some(
        pixels
            .iter()
            .map(|&p| ((u32::from(p).clamp(low, high) - low) * 255 / range) as u8)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretching_undoes_a_uniform_dimming() {
        let pixels: Vec<u8> = (0..4096).map(|i| (i % 200 + 20) as u8).collect();
        let dim: Vec<u8> = pixels
            .iter()
            .map(|&p| (u32::from(p) * 7 / 10) as u8)
            .collect();
        let a = stretch_contrast(&pixels).unwrap();
        let b = stretch_contrast(&dim).unwrap();
        let differing = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| x.abs_diff(**y) > 2)
            .count();
        assert_eq!(differing, 0);
        assert!(stretch_contrast(&vec![100u8; 4096]).is_none());
    }

    #[test]
    fn a_region_trimmed_on_one_side_is_also_tried_centred() {
        let grid = LumaGrid::from_cells(100, 200, vec![0; 100 * 200]);
        let cells = |n: i64| n << 16;
        let region = |x0, y0, x1, y1| GridRegion {
            x0: cells(x0),
            y0: cells(y0),
            x1: cells(x1),
            y1: cells(y1),
            kind: RegionKind::StraightEdges,
            confidence: 50,
        };
        // Top found at 60, bottom missed: the bottom is trimmed by 60 too.
        assert_eq!(
            centred(&region(0, 60, 100, 200), &grid),
            [region(0, 60, 100, 140)]
        );
        // Right found, left missed.
        assert_eq!(
            centred(&region(0, 0, 90, 200), &grid),
            [region(10, 0, 90, 200)]
        );
        // Both sides unequally: both by the smaller.
        assert_eq!(
            centred(&region(10, 20, 70, 180), &grid),
            [region(10, 20, 90, 180)]
        );
        // Both axes: each alone, then both.
        assert_eq!(
            centred(&region(10, 20, 70, 150), &grid),
            [
                region(10, 20, 90, 150),
                region(10, 20, 70, 180),
                region(10, 20, 90, 180)
            ]
        );
        // Both sides equally or neither: nothing to add; and no empty region.
        assert!(centred(&region(10, 20, 90, 180), &grid).is_empty());
        assert!(centred(&region(0, 0, 100, 200), &grid).is_empty());
        assert!(centred(&region(0, 100, 100, 200), &grid).is_empty());
    }

    #[test]
    fn variant_names_say_what_was_done() {
        assert_eq!(Variant::PLAIN.to_string(), "plain");
        let turned = Variant {
            region: None,
            degrees: -3,
            scale_permille: 1000,
            overlay_removed: false,
        };
        assert_eq!(turned.to_string(), "turn-3");
        let region = Variant {
            region: Some(0),
            degrees: 0,
            scale_permille: 1040,
            overlay_removed: false,
        };
        assert_eq!(region.to_string(), "region0+zoom1040");
        let whole = Variant {
            region: None,
            degrees: 0,
            scale_permille: 1000,
            overlay_removed: false,
        };
        assert!(whole.is_plain());
        let unmarked = Variant {
            overlay_removed: true,
            ..whole
        };
        assert_eq!(unmarked.to_string(), "unmarked");
    }
}
