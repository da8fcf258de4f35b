//! Where the picture probably is inside an upload: inside borders and bands of a plain colour
//! (padding, letterbox and pillarbox bars, a caption band, the canvas of a screenshot or a post),
//! or inside a blurred copy of itself used as background.
//!
//! Two detectors:
//! - **plain background:** each side of the [`LumaGrid`] is trimmed inward while its lines are
//!   background, up to where a run of content lines starts. A line is background when fewer than half of its cells differ from the
//!   side's colour (the median of its outermost line, which must itself be mostly that colour).
//!   Text on a plain band and a post's header are background; a picture's rows are not.
//! - **straight edges:** where the picture meets a background that is not plain (a blurred copy
//!   of itself), the mean difference between neighbouring lines peaks sharply at the boundary.
//!
//! Integer arithmetic throughout, so every backend plans the same variants.

use super::luma_grid::{LEVEL, LumaGrid};

/// How a region was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum RegionKind {
    /// Inside borders of one flat colour (padding, letterbox and pillarbox bars).
    FlatBorders,
    /// Inside a plain background with text or small things on it (a caption band, the canvas
    /// of a post or a screenshot).
    PlainBackground,
    /// Inside straight edges that cross the upload (a picture on a blurred copy of itself, a
    /// gradient or any background that continues smoothly up to it).
    StraightEdges,
}

impl RegionKind {
    /// Stable lower-case name, as in JSON output.
    pub const fn name(self) -> &'static str {
        match self {
            RegionKind::FlatBorders => "flat_borders",
            RegionKind::PlainBackground => "plain_background",
            RegionKind::StraightEdges => "straight_edges",
        }
    }
}

/// A candidate content region, `x0..x1`, `y0..y1` in grid cells × 2^16 (edges found to a
/// fraction of a cell).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridRegion {
    pub x0: i64,
    pub y0: i64,
    pub x1: i64,
    pub y1: i64,
    pub kind: RegionKind,
    /// 0..=100: how much the trimmed lines differ from the kept ones.
    pub confidence: u8,
}

/// A side's outermost line must be at least this many percent within [`EDGE_TOLERANCE`] of its
/// median colour: padding, bars and canvases are flat, a photo's edge seldom is.
const PLAIN_EDGE_PERCENT: u32 = 90;
/// Grey levels within which a cell is the background's colour (JPEG moves flat areas by a few).
const EDGE_TOLERANCE: u32 = 6 * LEVEL;
const ONE: i64 = 1 << 16;
/// Lines of content that must follow each other for the picture to start inside a plain
/// background, in percent of the side's extent: longer than a line of caption text, so that text
/// is trimmed with its band.
const RUN_PERCENT: u32 = 6;
/// Percent of a line's cells within [`EDGE_TOLERANCE`] of the side's colour for the line to be
/// a flat border.
const FLAT_PERCENT: u32 = 95;
/// No side is trimmed by more than this percent of the extent.
const MAX_TRIM_PERCENT: u32 = 45;
/// Regions under this percent of the grid's width or height are not candidates.
const MIN_SIDE_PERCENT: u32 = 25;

/// Whether a region of `width`×`height` is under [`MIN_SIDE_PERCENT`] of a `full_width`×
/// `full_height` upload on either side (in any one unit: grid cells × 2^16, or pixels).
pub(crate) fn too_small(width: i64, height: i64, full_width: i64, full_height: i64) -> bool {
    let min = i64::from(MIN_SIDE_PERCENT);
    width * 100 < full_width * min || height * 100 < full_height * min
}

/// The candidate regions of `grid`, most confident first; regions that are (nearly) the whole
/// grid, too small, or (nearly) equal to an earlier one are left out.
pub fn content_regions(grid: &LumaGrid) -> Vec<GridRegion> {
    let mut found = Vec::new();
    for candidate in [
        plain_background_region(grid, RegionKind::FlatBorders),
        plain_background_region(grid, RegionKind::PlainBackground),
        straight_edge_region(grid),
    ]
    .into_iter()
    .flatten()
    {
        let (w, h) = (i64::from(grid.width) * ONE, i64::from(grid.height) * ONE);
        let whole =
            candidate.x0 == 0 && candidate.y0 == 0 && candidate.x1 == w && candidate.y1 == h;
        let tiny = too_small(
            candidate.x1 - candidate.x0,
            candidate.y1 - candidate.y0,
            w,
            h,
        );
        let repeated = found
            .iter()
            .any(|other: &GridRegion| nearly_equal(other, &candidate, grid));
        if !whole && !tiny && !repeated {
            found.push(candidate);
        }
    }
    found.sort_by_key(|region| std::cmp::Reverse(region.confidence));
    found
}

fn nearly_equal(a: &GridRegion, b: &GridRegion, grid: &LumaGrid) -> bool {
    let close = |p: i64, q: i64, extent: u32| p.abs_diff(q) * 100 <= u64::from(extent) << 16;
    close(a.x0, b.x0, grid.width)
        && close(a.x1, b.x1, grid.width)
        && close(a.y0, b.y0, grid.height)
        && close(a.y1, b.y1, grid.height)
}

/// What a line of a side is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Line {
    /// All but a few cells the background's colour.
    Flat,
    /// Mostly the background's colour (text on a band, a post's header).
    Background,
    /// The picture, or whatever is not background.
    Content,
}

/// A side of the region being trimmed.
#[derive(Clone, Copy)]
enum Side {
    Top,
    Bottom,
    Left,
    Right,
}

/// The region being trimmed.
#[derive(Clone, Copy)]
struct Span {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl Span {
    fn whole(grid: &LumaGrid) -> Span {
        Span {
            x0: 0,
            y0: 0,
            x1: grid.width,
            y1: grid.height,
        }
    }

    /// The cells of line `k` (a row for top and bottom, a column for left and right) within the
    /// span's other axis.
    fn line<'g>(&self, grid: &'g LumaGrid, side: Side, k: u32) -> impl Iterator<Item = u16> + 'g {
        let (x0, x1, y0, y1) = match side {
            Side::Top | Side::Bottom => (self.x0, self.x1, k, k + 1),
            Side::Left | Side::Right => (k, k + 1, self.y0, self.y1),
        };
        (y0..y1).flat_map(move |y| (x0..x1).map(move |x| grid.at(x, y)))
    }

    /// Lines from this side inward, outermost first.
    fn lines_inward(&self, side: Side) -> Box<dyn Iterator<Item = u32>> {
        match side {
            Side::Top => Box::new(self.y0..self.y1),
            Side::Bottom => Box::new((self.y0..self.y1).rev()),
            Side::Left => Box::new(self.x0..self.x1),
            Side::Right => Box::new((self.x0..self.x1).rev()),
        }
    }

    /// How far this side already is from `whole`'s.
    fn inset(&self, side: Side, whole: &Span) -> u32 {
        match side {
            Side::Top => self.y0 - whole.y0,
            Side::Bottom => whole.y1 - self.y1,
            Side::Left => self.x0 - whole.x0,
            Side::Right => whole.x1 - self.x1,
        }
    }

    fn extent(&self, side: Side) -> u32 {
        match side {
            Side::Top | Side::Bottom => self.y1 - self.y0,
            Side::Left | Side::Right => self.x1 - self.x0,
        }
    }

    /// Moves this side inward past `trimmed` lines.
    fn trim(&mut self, side: Side, trimmed: u32) {
        match side {
            Side::Top => self.y0 += trimmed,
            Side::Bottom => self.y1 -= trimmed,
            Side::Left => self.x0 += trimmed,
            Side::Right => self.x1 -= trimmed,
        }
    }
}

/// Trims every side of the grid inward while `judge` finds its lines background (twice round,
/// so each side is judged within the other axis's final span); `None` when nothing was trimmed.
fn trim_sides(
    grid: &LumaGrid,
    run_percent: u32,
    mut judge: impl FnMut(&Span, Side, u32) -> Option<Line>,
) -> Option<Span> {
    let mut span = Span::whole(grid);
    let whole = span;
    let mut trimmed_any = false;
    for _ in 0..2 {
        for side in [Side::Top, Side::Bottom, Side::Left, Side::Right] {
            let extent = whole.extent(side);
            let run = (extent * run_percent / 100).max(2);
            let limit = extent * MAX_TRIM_PERCENT / 100;
            let mut content_run = 0;
            let mut trimmed = 0;
            let mut past_last_flat = None;
            for (i, k) in span.lines_inward(side).enumerate() {
                let i = i as u32;
                match judge(&span, side, k) {
                    // The side's colour is not plain: nothing to trim here.
                    None if i == 0 => break,
                    Some(Line::Content) => content_run += 1,
                    Some(Line::Flat) => {
                        content_run = 0;
                        past_last_flat = Some(i + 1);
                    }
                    _ => content_run = 0,
                }
                if content_run == run {
                    // The picture starts after the band's last flat line (the margin under a
                    // caption's text), or where the run of content starts when there is none.
                    trimmed = past_last_flat.unwrap_or(i + 1 - run);
                    break;
                }
                // The limit counts from the grid's edge, over both rounds.
                if span.inset(side, &whole) + i > limit {
                    break;
                }
            }
            if trimmed > 0 {
                span.trim(side, trimmed);
                trimmed_any = true;
            }
        }
    }
    if !trimmed_any {
        return None;
    }
    // Borders added by an app are the same on both sides; a picture whose edge is close to the
    // border's colour loses a line or two more on that side. Borders within 2% of each other
    // are taken as equal, at the smaller.
    let (w, h) = (whole.x1, whole.y1);
    let (top, bottom) = symmetric(span.y0, h - span.y1, h);
    let (left, right) = symmetric(span.x0, w - span.x1, w);
    Some(Span {
        x0: left,
        y0: top,
        x1: w - right,
        y1: h - bottom,
    })
}

/// Two opposite borders, made equal (the smaller) when they differ by 2% of the extent or less.
fn symmetric(a: u32, b: u32, extent: u32) -> (u32, u32) {
    if a > 0 && b > 0 && a.abs_diff(b) * 50 <= extent {
        (a.min(b), a.min(b))
    } else {
        (a, b)
    }
}

/// Inside borders and bands of a plain colour.
/// Inside flat borders ([`RegionKind::FlatBorders`]: every line trimmed is flat) or a plain
/// background ([`RegionKind::PlainBackground`]: lines mostly of the background's colour are
/// trimmed, up to a run of content lines longer than a line of text).
fn plain_background_region(grid: &LumaGrid, kind: RegionKind) -> Option<GridRegion> {
    // Each side's background colour, from its outermost line of the whole grid.
    let whole = Span::whole(grid);
    let colour = |side: Side| -> Option<u32> {
        let edge = match side {
            Side::Top => 0,
            Side::Bottom => grid.height - 1,
            Side::Left => 0,
            Side::Right => grid.width - 1,
        };
        let mut cells: Vec<u16> = whole.line(grid, side, edge).collect();
        let mid = cells.len() / 2;
        let median = u32::from(*cells.select_nth_unstable(mid).1);
        let near = cells
            .iter()
            .filter(|&&c| u32::from(c).abs_diff(median) <= EDGE_TOLERANCE)
            .count();
        (near as u32 * 100 >= cells.len() as u32 * PLAIN_EDGE_PERCENT).then_some(median)
    };
    let colours = [
        colour(Side::Top),
        colour(Side::Bottom),
        colour(Side::Left),
        colour(Side::Right),
    ];
    let mut outside = (0u64, 0u64);
    let flat = kind == RegionKind::FlatBorders;
    let run_percent = if flat { 0 } else { RUN_PERCENT };
    let span = trim_sides(grid, run_percent, |span, side, k| {
        let background = colours[side as usize]?;
        let (mut off_colour, mut count) = (0u32, 0u32);
        for cell in span.line(grid, side, k) {
            off_colour += u32::from(u32::from(cell).abs_diff(background) > EDGE_TOLERANCE);
            count += 1;
        }
        outside.0 += u64::from(off_colour);
        outside.1 += u64::from(count);
        Some(if off_colour * 100 <= count * (100 - FLAT_PERCENT) {
            Line::Flat
        } else if !flat && off_colour * 2 < count {
            Line::Background
        } else {
            Line::Content
        })
    })?;
    // Confidence: how much of the kept region differs from the sides' colours, against the
    // trimmed lines (which differ little, or they would not have been trimmed).
    let confidence = (100 - (outside.0 * 100 / outside.1.max(1)).min(100)) as u8;
    // Each trimmed side's edge, to a fraction of a cell: the boundary line mixes background and
    // picture in the proportion its difference from the background bears to the next line's.
    let difference = |side: Side, k: u32| -> u64 {
        let background = colours[side as usize].unwrap_or(0);
        span.line(grid, side, k)
            .map(|c| u64::from(u32::from(c).abs_diff(background)))
            .sum()
    };
    let covered = |side: Side, boundary: u32, inner: u32| -> i64 {
        let inner = difference(side, inner);
        if inner == 0 {
            return ONE;
        }
        (difference(side, boundary).min(inner) as i64 * ONE / inner as i64).clamp(0, ONE)
    };
    let whole = Span::whole(grid);
    let edge = |trimmed: bool, boundary: u32, inner: u32, side: Side, start: bool| -> i64 {
        let cell = i64::from(boundary) * ONE;
        match (trimmed && inner != boundary, start) {
            (true, true) => cell + ONE - covered(side, boundary, inner),
            (true, false) => cell + covered(side, boundary, inner),
            (false, true) => cell,
            (false, false) => cell + ONE,
        }
    };
    let inner_of = |a: u32, b: u32| a.min(b);
    Some(GridRegion {
        x0: edge(
            span.x0 > 0,
            span.x0,
            inner_of(span.x0 + 1, span.x1 - 1),
            Side::Left,
            true,
        ),
        y0: edge(
            span.y0 > 0,
            span.y0,
            inner_of(span.y0 + 1, span.y1 - 1),
            Side::Top,
            true,
        ),
        x1: edge(
            span.x1 < whole.x1,
            span.x1 - 1,
            span.x1.saturating_sub(2).max(span.x0),
            Side::Right,
            false,
        ),
        y1: edge(
            span.y1 < whole.y1,
            span.y1 - 1,
            span.y1.saturating_sub(2).max(span.y0),
            Side::Bottom,
            false,
        ),
        kind,
        confidence,
    })
}

/// Inside straight edges that cross the whole upload: where a picture meets a background that
/// continues smoothly (a blurred copy of itself, a gradient, a texture), the mean difference
/// between neighbouring lines peaks sharply at one line.
fn straight_edge_region(grid: &LumaGrid) -> Option<GridRegion> {
    let (w, h) = (grid.width, grid.height);
    if w < 8 || h < 8 {
        return None;
    }
    // jumps_down[y]: mean |cell(x, y + 1) − cell(x, y)| over the row, the step into row y + 1.
    let jumps_down: Vec<u64> = (0..h - 1)
        .map(|y| {
            (0..w)
                .map(|x| u64::from(grid.at(x, y + 1).abs_diff(grid.at(x, y))))
                .sum::<u64>()
                / u64::from(w)
        })
        .collect();
    let jumps_right: Vec<u64> = (0..w - 1)
        .map(|x| {
            (0..h)
                .map(|y| u64::from(grid.at(x + 1, y).abs_diff(grid.at(x, y))))
                .sum::<u64>()
                / u64::from(h)
        })
        .collect();
    let rows = axis_edges(&jumps_down);
    let columns = axis_edges(&jumps_right);
    if rows.near.is_none() && rows.far.is_none() && columns.near.is_none() && columns.far.is_none()
    {
        return None;
    }
    Some(GridRegion {
        x0: columns.near.unwrap_or(0),
        y0: rows.near.unwrap_or(0),
        x1: columns.far.unwrap_or(i64::from(w) * ONE),
        y1: rows.far.unwrap_or(i64::from(h) * ONE),
        kind: RegionKind::StraightEdges,
        confidence: rows.sharpness.min(columns.sharpness) as u8,
    })
}

/// The picture's edges along one axis, in cells × 2^16, and how sharp they are (0..=100).
struct AxisEdges {
    near: Option<i64>,
    far: Option<i64>,
    sharpness: u64,
}

/// The edges along one axis: a pair of notable steps placed symmetrically (a picture centred on
/// its background, as apps place it), or else each part's one sharp step.
fn axis_edges(jumps: &[u64]) -> AxisEdges {
    let n = jumps.len() as i64 + 1;
    let near = notable_steps(jumps, true);
    let far = notable_steps(jumps, false);
    let mut best: Option<(u64, i64, i64)> = None;
    for &(a, height_a) in &near {
        for &(b, height_b) in &far {
            let (pa, pb) = (step_position(jumps, a), step_position(jumps, b));
            let symmetric = (pa - (n * ONE - pb)).abs() <= 3 * ONE / 2;
            let strength = height_a.min(height_b);
            if symmetric && best.is_none_or(|(s, _, _)| strength > s) {
                best = Some((strength, pa, pb));
            }
        }
    }
    if let Some((_, near, far)) = best {
        return AxisEdges {
            near: Some(near),
            far: Some(far),
            sharpness: 100,
        };
    }
    let near = strongest_step(jumps, true);
    let far = strongest_step(jumps, false);
    AxisEdges {
        near: near.map(|(position, _)| position),
        far: far.map(|(position, _)| position),
        sharpness: [near, far]
            .iter()
            .flatten()
            .map(|&(_, sharpness)| sharpness)
            .min()
            .unwrap_or(100),
    }
}

/// The part of the axis where a near (2–45%) or far (55–98%) edge is looked for, as step indices.
fn part(jumps: &[u64], near: bool) -> std::ops::Range<usize> {
    let n = jumps.len() + 1;
    let part = if near {
        n * 2 / 100..n * 45 / 100
    } else {
        n * 55 / 100..n * 98 / 100
    };
    part.start.max(1)..part.end.min(jumps.len().saturating_sub(1))
}

/// The floor a step must reach to be notable: twice the median step, and 3 grey levels.
fn notable_floor(jumps: &[u64]) -> u64 {
    let mut sorted = jumps.to_vec();
    let mid = sorted.len() / 2;
    let median = *sorted.select_nth_unstable(mid).1;
    (2 * median.max(1)).max(u64::from(3 * LEVEL))
}

/// The local maxima of `jumps` in one part that reach the notable floor and have a smooth
/// background outside them (the steps in the 4% of the axis beyond them average under a quarter
/// of theirs: an edge inside a picture has picture on both sides), highest first (5 at most).
fn notable_steps(jumps: &[u64], near: bool) -> Vec<(usize, u64)> {
    let floor = notable_floor(jumps);
    let reach = (jumps.len() / 25).max(2);
    let smooth_outside = |k: usize| {
        let outside = if near {
            k.saturating_sub(reach + 1)..k.saturating_sub(1)
        } else {
            (k + 2).min(jumps.len())..(k + 2 + reach).min(jumps.len())
        };
        let count = outside.len().max(1) as u64;
        let mean = jumps[outside].iter().sum::<u64>() / count;
        mean * 4 <= jumps[k]
    };
    let mut peaks: Vec<(usize, u64)> = part(jumps, near)
        .filter(|&k| {
            jumps[k] >= floor
                && jumps[k] >= jumps[k - 1]
                && jumps[k] >= jumps[k + 1]
                && smooth_outside(k)
        })
        .map(|k| (k, jumps[k]))
        .collect();
    peaks.sort_by_key(|&(k, height)| (std::cmp::Reverse(height), k));
    peaks.truncate(5);
    peaks
}

/// Where the boundary of the step at `peak` lies, in cells × 2^16: the boundary after step k is
/// at k + 1, and one inside a cell spreads over two steps, so the centroid of the peak.
fn step_position(jumps: &[u64], peak: usize) -> i64 {
    let around = peak.saturating_sub(1)..=(peak + 1).min(jumps.len() - 1);
    let weight: u64 = around.clone().map(|k| jumps[k]).sum();
    let moment: u64 = around.map(|k| jumps[k] * (k as u64 + 1)).sum();
    (moment as i64 * ONE + weight as i64 / 2) / weight.max(1) as i64
}

/// The one sharp step in one part of the axis: notable, and twice any other step in its part
/// (more than two steps away). Its position and sharpness (0..=100).
fn strongest_step(jumps: &[u64], near: bool) -> Option<(i64, u64)> {
    let part = part(jumps, near);
    let peak = part
        .clone()
        .max_by_key(|&k| (jumps[k], std::cmp::Reverse(k)))?;
    let height = jumps[peak];
    let others = part
        .filter(|k| k.abs_diff(peak) > 2)
        .map(|k| jumps[k])
        .max()
        .unwrap_or(0);
    if height < notable_floor(jumps) || height < 2 * others {
        return None;
    }
    let sharpness = 100 - (others * 100 / height).min(100);
    Some((step_position(jumps, peak), sharpness))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured picture of `w`×`h` cells.
    fn picture(w: u32, h: u32) -> Vec<u16> {
        (0..h)
            .flat_map(|y| {
                (0..w).map(move |x| ((x * 37 + y * 91 + (x * y) % 53) % 200 + 30) as u16 * 256)
            })
            .collect()
    }

    /// `inner` placed at (`left`, `top`) on a `w`×`h` grid of `background(x, y)`.
    fn place(
        w: u32,
        h: u32,
        left: u32,
        top: u32,
        iw: u32,
        ih: u32,
        background: impl Fn(u32, u32) -> u16,
    ) -> LumaGrid {
        let inner = picture(iw, ih);
        let cells = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| {
                if (left..left + iw).contains(&x) && (top..top + ih).contains(&y) {
                    inner[((y - top) * iw + (x - left)) as usize]
                } else {
                    background(x, y)
                }
            })
            .collect();
        LumaGrid::from_cells(w, h, cells)
    }

    fn of_kind(grid: &LumaGrid, kind: RegionKind) -> GridRegion {
        content_regions(grid)
            .into_iter()
            .find(|r| r.kind == kind)
            .expect("a region of the kind")
    }

    /// The region in whole cells (rounded).
    fn rect(region: &GridRegion) -> (i64, i64, i64, i64) {
        let cells = |q: i64| (q + ONE / 2) >> 16;
        (
            cells(region.x0),
            cells(region.y0),
            cells(region.x1),
            cells(region.y1),
        )
    }

    #[test]
    fn padding_of_any_colour_is_trimmed() {
        for colour in [0u16, 128 * 256, 250 * 256] {
            let grid = place(256, 200, 20, 30, 200, 140, |_, _| colour);
            let regions = content_regions(&grid);
            assert_eq!(rect(&regions[0]), (20, 30, 220, 170), "colour {colour}");
            assert_eq!(regions[0].kind, RegionKind::FlatBorders);
        }
    }

    #[test]
    fn noisy_letterbox_bars_are_trimmed() {
        // Bars of black with ±6 levels of noise, as JPEG leaves them.
        let grid = place(256, 256, 0, 56, 256, 144, |x, y| {
            (((x * 7 + y * 13) % 13) as u16) * 256
        });
        assert_eq!(rect(&content_regions(&grid)[0]), (0, 56, 256, 200));
    }

    #[test]
    fn a_caption_band_with_text_is_trimmed() {
        // White band of 40 rows over the picture with dark "words" on two lines.
        let grid = place(256, 200, 0, 40, 256, 160, |x, y| {
            let word = (x / 9) % 3 != 2 && (8..14).contains(&(y % 20)) && (16..240).contains(&x);
            if word && x % 3 == 0 {
                10 * 256
            } else {
                245 * 256
            }
        });
        assert_eq!(
            rect(&of_kind(&grid, RegionKind::PlainBackground)),
            (0, 40, 256, 200)
        );
    }

    #[test]
    fn a_picture_on_a_canvas_is_found() {
        // 70% wide on white, with a header line of text above it.
        let grid = place(256, 256, 38, 60, 180, 150, |x, y| {
            if (20..28).contains(&y) && (10..150).contains(&x) && x % 4 != 0 {
                20 * 256
            } else {
                255 * 256
            }
        });
        assert_eq!(
            rect(&of_kind(&grid, RegionKind::PlainBackground)),
            (38, 60, 218, 210)
        );
    }

    #[test]
    fn a_picture_on_a_blurred_copy_is_found_by_its_straight_edges() {
        // A smooth picture (as photos are at grid scale) between two smooth gradients.
        let cells = (0..256u32)
            .flat_map(|y| (0..144u32).map(move |x| (x, y)))
            .map(|(x, y)| {
                let level = if (88..168).contains(&y) {
                    40 + x / 2 + (y - 88)
                } else {
                    (x + y) / 2 + 40
                };
                level.min(255) as u16 * 256
            })
            .collect();
        let regions = content_regions(&LumaGrid::from_cells(144, 256, cells));
        let found = regions
            .iter()
            .find(|r| r.kind == RegionKind::StraightEdges)
            .expect("found");
        assert_eq!(rect(found), (0, 88, 144, 168));
    }

    #[test]
    fn a_picture_alone_has_no_region() {
        let grid = LumaGrid::from_cells(200, 150, picture(200, 150));
        assert!(content_regions(&grid).is_empty());
    }
}
