//! Content-region edges moved from the grid's estimate to the exact pixel where the picture
//! starts.
//!
//! The grid finds an edge to a fraction of a cell (a few pixels of a large upload), but a region
//! hashed from the upload's own pixels gives the picture's own hash only when it is cut at the
//! right pixel: one row off moves a small picture's hash by 10 bits or more. Each edge is moved,
//! within a cell and a pixel of where the grid put it, to the boundary across which adjacent
//! rows (or columns) of the region's span differ most, in summed absolute luma: zero inside a
//! flat border, large where the picture begins.

use super::luma_grid::{LumaGrid, pixel_luma};
use super::variants::ContentRegion;
use crate::frame::Frame;

/// `region` with each edge at the strongest boundary near the grid's estimate; `grid` is
/// `frame`'s.
pub(crate) fn refine(frame: &Frame<'_>, grid: &LumaGrid, region: ContentRegion) -> ContentRegion {
    let (fw, fh) = (frame.width(), frame.height());
    debug_assert_eq!((grid.frame_width, grid.frame_height), (fw, fh));
    // A grid cell's size in pixels on each axis (rounded up; the short axis has fewer cells,
    // so larger ones), plus one.
    let reach_x = fw.div_ceil(grid.width) + 1;
    let reach_y = fh.div_ceil(grid.height) + 1;
    let (x0, x1) = (region.x, region.x + region.width);
    let (y0, y1) = (region.y, region.y + region.height);
    let rows = |low, high| row_differences(frame, low, high, x0, x1);
    let columns = |low, high| column_differences(frame, low, high, y0, y1);
    let top = strongest_boundary(rows, y0, reach_y, fh);
    let bottom = strongest_boundary(rows, y1, reach_y, fh);
    let left = strongest_boundary(columns, x0, reach_x, fw);
    let right = strongest_boundary(columns, x1, reach_x, fw);
    if bottom <= top || right <= left {
        return region;
    }
    ContentRegion {
        x: left,
        y: top,
        width: right - left,
        height: bottom - top,
        ..region
    }
}

/// The luma of pixels `from..to` of row `y`, into `luma`.
fn row_luma(frame: &Frame<'_>, y: u32, from: u32, to: u32, luma: &mut [u32]) {
    let bpp = frame.format().bytes_per_pixel();
    let row = &frame.row(y as usize)[from as usize * bpp..to as usize * bpp];
    pixel_luma(row, frame.format(), luma);
}

/// For each boundary `at` in `low..=high`: the summed absolute luma difference between rows
/// `at - 1` and `at` over columns `from..to`. Each row's luma is computed once.
fn row_differences(frame: &Frame<'_>, low: u32, high: u32, from: u32, to: u32) -> Vec<u64> {
    let width = (to - from) as usize;
    let (mut above, mut below) = (vec![0; width], vec![0; width]);
    row_luma(frame, low - 1, from, to, &mut above);
    (low..=high)
        .map(|at| {
            row_luma(frame, at, from, to, &mut below);
            let difference = above
                .iter()
                .zip(&below)
                .map(|(a, b)| u64::from(a.abs_diff(*b)))
                .sum();
            std::mem::swap(&mut above, &mut below);
            difference
        })
        .collect()
}

/// For each boundary `at` in `low..=high`: the summed absolute luma difference between columns
/// `at - 1` and `at` over rows `from..to`, in one pass down the rows.
fn column_differences(frame: &Frame<'_>, low: u32, high: u32, from: u32, to: u32) -> Vec<u64> {
    let bpp = frame.format().bytes_per_pixel();
    let pixels = (low - 1) as usize * bpp..(high + 1) as usize * bpp;
    let mut luma = vec![0u32; (high - low + 2) as usize];
    let mut sums = vec![0u64; (high - low + 1) as usize];
    for y in from..to {
        pixel_luma(
            &frame.row(y as usize)[pixels.clone()],
            frame.format(),
            &mut luma,
        );
        for (sum, pair) in sums.iter_mut().zip(luma.windows(2)) {
            *sum += u64::from(pair[0].abs_diff(pair[1]));
        }
    }
    sums
}

/// The boundary (a line index in 1..limit) within `reach` of `estimate` across which lines
/// differ most (`differences(low, high)`: for each `at` in `low..=high`, how much lines `at - 1`
/// and `at` differ); the estimate itself when nothing differs, and the nearer on a tie. An edge
/// on the frame's own edge (nothing trimmed there) stays.
fn strongest_boundary(
    differences: impl Fn(u32, u32) -> Vec<u64>,
    estimate: u32,
    reach: u32,
    limit: u32,
) -> u32 {
    if estimate == 0 || estimate >= limit {
        return estimate;
    }
    let low = estimate.saturating_sub(reach).max(1);
    let high = (estimate + reach).min(limit - 1);
    let mut best = (0u64, estimate);
    for (at, difference) in (low..=high).zip(differences(low, high)) {
        let nearer = at.abs_diff(estimate) < best.1.abs_diff(estimate);
        if difference > best.0 || (difference == best.0 && nearer) {
            best = (difference, at);
        }
    }
    best.1
}
