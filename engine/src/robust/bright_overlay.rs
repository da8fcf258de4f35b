//! A bright overlay taken back out of the grid: white text or a logo stamped over a picture (a
//! corner watermark), whose cells are far brighter than the picture around them.
//!
//! The grid is cut into blocks of [`BLOCK`]×[`BLOCK`] cells; a cell is overlay when it is near
//! white and much brighter than its block's lower quartile (the picture under and between the
//! strokes). Overlay cells, and their neighbours that are brighter than the block's picture,
//! are given the mean of the block's other cells, then smoothed into the picture around them,
//! and the whole upload resampled from that grid is one more variant. An upload with too few
//! such cells (a highlight) or too many (its own bright sky) gets no such variant; on bright
//! photos many still get one, which costs a 64×64 hash and up to 0.3 ms. Integer arithmetic
//! throughout.

use super::luma_grid::{LEVEL, LumaGrid};

/// Side of a block, in cells.
const BLOCK: usize = 6;
/// An overlay cell is at least this bright...
const MIN_OVERLAY: u32 = 225 * LEVEL;
/// ...and this much brighter than its block's lower quartile.
const MIN_LIFT: u32 = 32 * LEVEL;
/// A neighbour of an overlay cell (a stroke's blended edge) this much brighter is overlay too.
const MIN_EDGE_LIFT: u32 = 20 * LEVEL;
/// Rounds of smoothing the filled cells into the picture around them.
const FILL_ROUNDS: usize = 16;
/// Overlay must cover between these shares of the grid, in permille, to be taken out: fewer is
/// a highlight, more is the picture's own bright area.
const MIN_PERMILLE: usize = 3;
const MAX_PERMILLE: usize = 80;

/// `grid` with its bright overlay cells replaced by the picture around them, or `None` when it
/// has no overlay.
pub(crate) fn without_bright_overlay(grid: &LumaGrid) -> Option<LumaGrid> {
    let (w, h) = (grid.width as usize, grid.height as usize);
    let blocks_x = w.div_ceil(BLOCK);
    let blocks = blocks_x * h.div_ceil(BLOCK);
    // Each cell's block, row by row.
    let block: Vec<usize> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (y / BLOCK) * blocks_x + x / BLOCK))
        .collect();
    // Only blocks with a near-white cell, and their neighbours, can hold overlay cells or
    // their edges; an upload with too few such cells stops here.
    let mut bright = vec![false; blocks];
    let mut bright_cells = 0;
    for (&cell, &b) in grid.cells.iter().zip(&block) {
        if u32::from(cell) >= MIN_OVERLAY {
            bright[b] = true;
            bright_cells += 1;
        }
    }
    if bright_cells * 1000 < w * h * MIN_PERMILLE {
        return None;
    }
    let blocks_y = blocks / blocks_x;
    let needed: Vec<bool> = (0..blocks)
        .map(|b| {
            let (bx, by) = (b % blocks_x, b / blocks_x);
            (by.saturating_sub(1)..(by + 2).min(blocks_y)).any(|ny| {
                (bx.saturating_sub(1)..(bx + 2).min(blocks_x)).any(|nx| bright[ny * blocks_x + nx])
            })
        })
        .collect();
    // Each needed block's lower quartile (the others are never read).
    let mut quartile = vec![0u32; blocks];
    let mut cells = Vec::with_capacity(BLOCK * BLOCK);
    for (b, q) in quartile.iter_mut().enumerate().filter(|(b, _)| needed[*b]) {
        let (bx, by) = (b % blocks_x * BLOCK, b / blocks_x * BLOCK);
        cells.clear();
        for y in by..(by + BLOCK).min(h) {
            cells.extend_from_slice(&grid.cells[y * w + bx..y * w + (bx + BLOCK).min(w)]);
        }
        let k = cells.len() / 4;
        *q = u32::from(*cells.select_nth_unstable(k).1);
    }
    // How far each cell stands above its block's picture.
    let lift: Vec<u32> = grid
        .cells
        .iter()
        .zip(&block)
        .map(|(&cell, &b)| u32::from(cell).saturating_sub(quartile[b]))
        .collect();
    let core: Vec<usize> = (0..w * h)
        .filter(|&i| u32::from(grid.cells[i]) >= MIN_OVERLAY && lift[i] >= MIN_LIFT)
        .collect();
    if core.len() * 1000 < w * h * MIN_PERMILLE || core.len() * 1000 > w * h * MAX_PERMILLE {
        return None;
    }
    // The blended edges of the strokes: neighbours of overlay cells that stand out less.
    let mut overlay = vec![false; w * h];
    for &i in &core {
        let (x, y) = (i % w, i / w);
        for ny in y.saturating_sub(1)..(y + 2).min(h) {
            for nx in x.saturating_sub(1)..(x + 2).min(w) {
                let at = ny * w + nx;
                overlay[at] |= at == i || lift[at] >= MIN_EDGE_LIFT;
            }
        }
    }
    // Each block's mean over its picture cells.
    let mut sums = vec![(0u64, 0u64); blocks];
    for ((&cell, &b), &marked) in grid.cells.iter().zip(&block).zip(&overlay) {
        if !marked {
            sums[b] = (sums[b].0 + u64::from(cell), sums[b].1 + 1);
        }
    }
    let marked: Vec<usize> = (0..w * h).filter(|&i| overlay[i]).collect();
    let mut repaired = grid.clone();
    for &i in &marked {
        let (sum, n) = sums[block[i]];
        repaired.cells[i] = (sum + n / 2)
            .checked_div(n)
            .map_or(quartile[block[i]] as u16, |mean| mean as u16);
    }
    // Smoothed into the picture around them: each overlay cell the mean of its neighbours,
    // [`FILL_ROUNDS`] rounds, so the fill follows the picture's gradients instead of a block's
    // mean (a watermark of half the width: 76% recall with the block means, 83% smoothed). Each
    // cell's neighbours (eight inside the grid, fewer on its edges) are listed once.
    let mut neighbours = Vec::with_capacity(marked.len() * 8);
    let mut ends = Vec::with_capacity(marked.len());
    for &i in &marked {
        let (x, y) = (i % w, i / w);
        for ny in y.saturating_sub(1)..(y + 2).min(h) {
            for nx in x.saturating_sub(1)..(x + 2).min(w) {
                if ny * w + nx != i {
                    neighbours.push(ny * w + nx);
                }
            }
        }
        ends.push(neighbours.len());
    }
    let mut next = vec![0u16; marked.len()];
    for _ in 0..FILL_ROUNDS {
        let mut start = 0;
        for ((value, &i), &end) in next.iter_mut().zip(&marked).zip(&ends) {
            let around = &neighbours[start..end];
            let sum: u32 = around.iter().map(|&n| u32::from(repaired.cells[n])).sum();
            let n = around.len() as u32;
            *value = (sum + n / 2)
                .checked_div(n)
                .map_or(repaired.cells[i], |mean| mean as u16);
            start = end;
        }
        for (&value, &i) in next.iter().zip(&marked) {
            repaired.cells[i] = value;
        }
    }
    Some(repaired)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured picture: smooth shading plus a fine pattern, in grid units.
    fn picture(w: u32, h: u32) -> Vec<u16> {
        (0..h)
            .flat_map(|y| {
                (0..w).map(move |x| {
                    ((40 + x * 90 / w + y * 50 / h + (x * 7 + y * 13) % 23) * LEVEL) as u16
                })
            })
            .collect()
    }

    #[test]
    fn white_text_in_a_corner_is_taken_out() {
        let (w, h) = (256u32, 192u32);
        let clean = LumaGrid::from_cells(w, h, picture(w, h));
        let mut marked = clean.clone();
        // Two lines of strokes, 2 cells wide, over the lower right quarter.
        for y in (h * 3 / 4..h * 3 / 4 + 10).chain(h * 3 / 4 + 20..h * 3 / 4 + 30) {
            for x in (w / 2..w - 8).filter(|x| x % 7 < 2) {
                marked.cells[(y * w + x) as usize] = (245 * LEVEL) as u16;
            }
        }
        let repaired = without_bright_overlay(&marked).expect("overlay found");
        let error = |grid: &LumaGrid| -> u64 {
            grid.cells
                .iter()
                .zip(&clean.cells)
                .map(|(&a, &b)| u64::from(a.abs_diff(b)))
                .sum()
        };
        assert!(
            error(&repaired) * 10 < error(&marked),
            "{} against {}",
            error(&repaired),
            error(&marked)
        );
    }

    #[test]
    fn a_picture_without_overlay_gets_no_variant() {
        let (w, h) = (256u32, 192u32);
        assert!(without_bright_overlay(&LumaGrid::from_cells(w, h, picture(w, h))).is_none());
        // All white, all black, one cell.
        assert!(
            without_bright_overlay(&LumaGrid::from_cells(w, h, vec![65280; 256 * 192])).is_none()
        );
        assert!(without_bright_overlay(&LumaGrid::from_cells(w, h, vec![0; 256 * 192])).is_none());
        assert!(without_bright_overlay(&LumaGrid::from_cells(1, 1, vec![65280])).is_none());
    }
}
