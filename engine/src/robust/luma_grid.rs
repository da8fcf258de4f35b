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
        let column_cell: Vec<u32> = (0..fw)
            .map(|x| (u64::from(x) * u64::from(width) / u64::from(fw)) as u32)
            .collect();
        let cell_columns: Vec<u32> = (0..width)
            .map(|c| {
                let start = (u64::from(c) * u64::from(fw)).div_ceil(u64::from(width));
                let end = (u64::from(c + 1) * u64::from(fw)).div_ceil(u64::from(width));
                (end - start) as u32
            })
            .collect();
        let mut cells = Vec::with_capacity(width as usize * height as usize);
        let mut row_luma = vec![0u32; fw as usize];
        let mut sums = vec![0u64; width as usize];
        let mut rows_in_cell = 0u64;
        let mut cell_row = 0u32;
        for y in 0..fh {
            let this_cell = (u64::from(y) * u64::from(height) / u64::from(fh)) as u32;
            if this_cell != cell_row {
                emit_row(&mut cells, &mut sums, &cell_columns, rows_in_cell);
                rows_in_cell = 0;
                cell_row = this_cell;
            }
            pixel_luma(frame.row(y as usize), frame.format(), &mut row_luma);
            for (&luma, &cell) in row_luma.iter().zip(&column_cell) {
                sums[cell as usize] += u64::from(luma);
            }
            rows_in_cell += 1;
        }
        emit_row(&mut cells, &mut sums, &cell_columns, rows_in_cell);
        LumaGrid {
            width,
            height,
            cells,
            frame_width: fw,
            frame_height: fh,
        }
    }

    /// A grid from cells already computed (tests, tools).
    pub fn from_cells(width: u32, height: u32, cells: Vec<u16>) -> LumaGrid {
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

/// Appends one grid row: each cell's sum divided by its pixel count, rounded.
fn emit_row(cells: &mut Vec<u16>, sums: &mut [u64], cell_columns: &[u32], rows: u64) {
    for (sum, &columns) in sums.iter_mut().zip(cell_columns) {
        let count = rows * u64::from(columns);
        cells.push(((*sum + count / 2) / count.max(1)) as u16);
        *sum = 0;
    }
}

/// Luma × 256 of each pixel of one row.
fn pixel_luma(row: &[u8], format: PixelFormat, out: &mut [u32]) {
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
