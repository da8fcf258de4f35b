//! The working image robust queries are planned on: the frame's luma, area-averaged down to at
//! most [`GRID_SIDE`] pixels on its long side, in integers.
//!
//! Finding borders and resampling variants needs the picture, not its every pixel: a 1080p upload
//! becomes a 256×144 grid in one pass over its bytes, and every later step touches that grid only.

use crate::frame::{Frame, PixelFormat};

/// The long side of the grid (shorter frames keep their size).
pub const GRID_SIDE: u32 = 256;

/// One grey level in grid units: values are luma × 256 (0..=65280).
pub const LEVEL: u32 = 256;

/// Luma of a frame, area-averaged to a grid of nearly square cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LumaGrid {
    /// Grid width in cells.
    pub width: u32,
    /// Grid height in cells.
    pub height: u32,
    /// Row-major luma × [`LEVEL`].
    pub cells: Vec<u16>,
    /// The frame's width in pixels (cell `x` covers pixels `x·W/w .. (x+1)·W/w`).
    pub frame_width: u32,
    /// The frame's height in pixels.
    pub frame_height: u32,
}

impl LumaGrid {
    /// The grid of `frame`. Luma is PDQ's (0.299, 0.587, 0.114) in 16-bit fixed point; frames
    /// that carry a grey or Y plane use it as it is.
    pub fn of(frame: &Frame<'_>) -> LumaGrid {
        let (fw, fh) = (frame.width(), frame.height());
        let long = fw.max(fh);
        let (width, height) = if long <= GRID_SIDE {
            (fw, fh)
        } else {
            let side = |n: u32| {
                ((u64::from(n) * u64::from(GRID_SIDE)).div_ceil(u64::from(long)) as u32).max(1)
            };
            (side(fw), side(fh))
        };
        // Cell c covers pixels cell_starts[c]..cell_starts[c + 1] of a row.
        let cell_starts: Vec<usize> = (0..=width)
            .map(|c| (u64::from(c) * u64::from(fw)).div_ceil(u64::from(width)) as usize)
            .collect();
        let cells = {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked on the line above.
                unsafe { average_cells_avx2(frame, &cell_starts, height) }
            } else {
                average_cells(frame, &cell_starts, height)
            }
            #[cfg(not(target_arch = "x86_64"))]
            average_cells(frame, &cell_starts, height)
        };
        LumaGrid {
            width,
            height,
            cells,
            frame_width: fw,
            frame_height: fh,
        }
    }

    /// A grid from cells already computed (tests, tools). Panics unless both sides are at least
    /// 1 and there is one cell per position.
    #[doc(hidden)]
    pub fn from_cells(width: u32, height: u32, cells: Vec<u16>) -> LumaGrid {
        assert!(width > 0 && height > 0, "a grid has at least one cell");
        assert_eq!(
            cells.len(),
            width as usize * height as usize,
            "one cell per grid position"
        );
        LumaGrid {
            width,
            height,
            cells,
            frame_width: width,
            frame_height: height,
        }
    }

    /// The grid smoothed by a [1 2 1]/4 tent along each axis (edges repeated): what variants
    /// are sampled from, one bilinear sample an output pixel, so that a picture keeps no more
    /// detail than PDQ's own filter leaves it.
    pub fn smoothed(&self) -> LumaGrid {
        let (w, h) = (self.width as usize, self.height as usize);
        let tent = |a: u16, b: u16, c: u16| {
            ((u32::from(a) + 2 * u32::from(b) + u32::from(c) + 2) / 4) as u16
        };
        let mut rows = vec![0u16; w * h];
        for y in 0..h {
            let row = &self.cells[y * w..(y + 1) * w];
            for x in 0..w {
                rows[y * w + x] = tent(row[x.saturating_sub(1)], row[x], row[(x + 1).min(w - 1)]);
            }
        }
        let mut cells = vec![0u16; w * h];
        for y in 0..h {
            let (up, down) = (y.saturating_sub(1), (y + 1).min(h - 1));
            for x in 0..w {
                cells[y * w + x] = tent(rows[up * w + x], rows[y * w + x], rows[down * w + x]);
            }
        }
        LumaGrid { cells, ..*self }
    }

    /// The cell at (`x`, `y`).
    #[inline]
    pub fn at(&self, x: u32, y: u32) -> u16 {
        self.cells[y as usize * self.width as usize + x as usize]
    }

    /// Grey level (0..=255) of the cell at (`x`, `y`).
    #[inline]
    pub fn level(&self, x: u32, y: u32) -> u8 {
        (self.at(x, y) / LEVEL as u16) as u8
    }
}

/// The same integer code compiled with AVX2, so that the luma and span sums vectorise.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn average_cells_avx2(frame: &Frame<'_>, cell_starts: &[usize], height: u32) -> Vec<u16> {
    average_cells(frame, cell_starts, height)
}

/// Every cell's mean luma × [`LEVEL`], rounded. The bytes of a cell row's pixel rows are summed
/// first (one vertical add a byte, which vectorises), and luma is weighed once a cell row, on the
/// sums: luma is linear, so a cell's mean is its summed channels weighed. Where a cell is 4 rows
/// tall or more, every other row is read (half the time; a variant is sampled from the grid
/// smoothed over 3 cells anyway). Every third row was tried: blurred pillarboxes fell from 95.5%
/// to 94.4% recall.
#[inline(always)]
fn average_cells(frame: &Frame<'_>, cell_starts: &[usize], height: u32) -> Vec<u16> {
    let fh = frame.height();
    let width = cell_starts.len() - 1;
    let mut cells = Vec::with_capacity(width * height as usize);
    // Per byte of a row: that byte summed down the cell row's pixel rows read so far. A cell is
    // at most 64 rows tall (the grid's long side is 256 and a frame's at most 16384) and every
    // other row is read where cells are 4 rows or more, so a sum is at most 32 · 255 (or 4 · 255)
    // and fits 16 bits: twice the lanes of a vector add.
    let mut column_sums = vec![0u16; frame.row_bytes()];
    let (bytes_per_pixel, weights) = luma_weights(frame.format());
    // Chosen once; inlined into the caller's AVX2 code (a function pointer would not be).
    let emit_row = |cells: &mut Vec<u16>, sums: &mut [u16], weights: &[u32; 4], starts, rows| {
        match bytes_per_pixel {
            1 => emit_row::<1>(cells, sums, weights, starts, rows),
            3 => emit_row::<3>(cells, sums, weights, starts, rows),
            _ => emit_row::<4>(cells, sums, weights, starts, rows),
        }
    };
    let mut rows_in_cell = 0u64;
    let mut cell_row = 0u32;
    let row_step = if fh >= 4 * height { 2 } else { 1 };
    for y in (0..fh).step_by(row_step) {
        let this_cell = (u64::from(y) * u64::from(height) / u64::from(fh)) as u32;
        if this_cell != cell_row {
            emit_row(
                &mut cells,
                &mut column_sums,
                &weights,
                cell_starts,
                rows_in_cell,
            );
            rows_in_cell = 0;
            cell_row = this_cell;
        }
        for (sum, &byte) in column_sums.iter_mut().zip(frame.row(y as usize)) {
            *sum += u16::from(byte);
        }
        rows_in_cell += 1;
    }
    emit_row(
        &mut cells,
        &mut column_sums,
        &weights,
        cell_starts,
        rows_in_cell,
    );
    cells
}

/// Appends one grid row: each cell's sums added up per channel, weighed (`weights`, luma × 65536
/// a channel's byte) and divided by its pixel count, rounded; then clears the sums. Pixels of
/// `BPP` bytes.
#[inline(always)]
fn emit_row<const BPP: usize>(
    cells: &mut Vec<u16>,
    column_sums: &mut [u16],
    weights: &[u32; 4],
    cell_starts: &[usize],
    rows: u64,
) {
    for span in cell_starts.windows(2) {
        // A channel's sum: at most 32 rows × 64 pixels (the widest cell) × 255, under 2^20.
        let mut channels = [0u32; BPP];
        for pixel in column_sums[span[0] * BPP..span[1] * BPP].chunks_exact(BPP) {
            for (channel, &sum) in channels.iter_mut().zip(pixel) {
                *channel += u32::from(sum);
            }
        }
        let weighed: u64 = channels
            .iter()
            .zip(weights)
            .map(|(&sum, &weight)| u64::from(sum) * u64::from(weight))
            .sum();
        // Luma × 65536 summed over the cell: × 256 / 65536 and divided by the count, rounded.
        let count = (rows * (span[1] - span[0]) as u64).max(1);
        cells.push(((weighed + 128 * count) / (256 * count)) as u16);
    }
    column_sums.fill(0);
}

/// Bytes a pixel of `format` takes in a row, and each byte's weight in luma × 65536: PDQ's 0.299,
/// 0.587, 0.114, rounded so that they sum to 65536 (grey stays grey); a grey or Y byte is luma.
fn luma_weights(format: PixelFormat) -> (usize, [u32; 4]) {
    const R: u32 = 19_595;
    const G: u32 = 38_470;
    const B: u32 = 7_471;
    match format {
        PixelFormat::Rgb8 => (3, [R, G, B, 0]),
        PixelFormat::Rgba8 => (4, [R, G, B, 0]),
        PixelFormat::Bgra8 => (4, [B, G, R, 0]),
        PixelFormat::Luma8 | PixelFormat::I420 | PixelFormat::Nv12 => (1, [65_536, 0, 0, 0]),
    }
}

/// Luma × 256 of each pixel of one row.
#[inline(always)]
pub(super) fn pixel_luma(row: &[u8], format: PixelFormat, out: &mut [u32]) {
    // 0.299, 0.587, 0.114 × 65536, rounded so that they sum to 65536 (grey stays grey).
    const R: u32 = 19_595;
    const G: u32 = 38_470;
    const B: u32 = 7_471;
    let weigh =
        |r: u8, g: u8, b: u8| (R * u32::from(r) + G * u32::from(g) + B * u32::from(b) + 128) >> 8;
    match format {
        PixelFormat::Rgb8 => {
            for (px, luma) in row.chunks_exact(3).zip(out) {
                *luma = weigh(px[0], px[1], px[2]);
            }
        }
        PixelFormat::Rgba8 => {
            for (px, luma) in row.chunks_exact(4).zip(out) {
                *luma = weigh(px[0], px[1], px[2]);
            }
        }
        PixelFormat::Bgra8 => {
            for (px, luma) in row.chunks_exact(4).zip(out) {
                *luma = weigh(px[2], px[1], px[0]);
            }
        }
        PixelFormat::Luma8 | PixelFormat::I420 | PixelFormat::Nv12 => {
            for (&v, luma) in row.iter().zip(out) {
                *luma = u32::from(v) * LEVEL;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_frame_becomes_a_grid_of_cell_averages() {
        // 512×256 grey: left half 0, right half 200.
        let pixels: Vec<u8> = (0..256)
            .flat_map(|_| (0..512).map(|x| if x < 256 { 0 } else { 200 }))
            .collect();
        let frame = Frame::packed(&pixels, 512, 256, PixelFormat::Luma8).unwrap();
        let grid = LumaGrid::of(&frame);
        assert_eq!((grid.width, grid.height), (256, 128));
        assert_eq!(grid.level(0, 0), 0);
        assert_eq!(grid.level(127, 127), 0);
        assert_eq!(grid.level(128, 0), 200);
        assert_eq!(grid.level(255, 127), 200);
    }

    #[test]
    fn grey_rgb_and_luma_frames_give_the_same_grid() {
        let grey: Vec<u8> = (0..300 * 200).map(|i| (i * 7 % 251) as u8).collect();
        let rgb: Vec<u8> = grey.iter().flat_map(|&v| [v, v, v]).collect();
        let a = LumaGrid::of(&Frame::packed(&grey, 300, 200, PixelFormat::Luma8).unwrap());
        let b = LumaGrid::of(&Frame::packed(&rgb, 300, 200, PixelFormat::Rgb8).unwrap());
        assert_eq!(a, b);
        assert_eq!((a.width, a.height), (256, 171));
    }

    #[test]
    fn small_frames_keep_their_size() {
        let pixels = vec![9u8; 40 * 30];
        let grid = LumaGrid::of(&Frame::packed(&pixels, 40, 30, PixelFormat::Luma8).unwrap());
        assert_eq!((grid.width, grid.height), (40, 30));
        assert!(grid.cells.iter().all(|&c| c == 9 * 256));
    }
}
