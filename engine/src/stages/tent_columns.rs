//! Stage 1 (`shaders/tent_columns.wgsl`): the vertical tent filter at the 64 decimation rows.
//!
//! `G[i][x] = Σ_k wc_i[k] · p[start_i + k][x]` for every byte `x` of a row, all channels alike
//! (alpha and padding bytes included: cheaper than skipping them). Bound `255 · Dc < 2^29`.

use crate::frame::Frame;
use crate::plan::FramePlan;
use crate::stages::DOWNSAMPLED;

/// Writes the 64 column-filtered rows into `out` (`64 × frame.row_bytes()` values, row-major).
pub fn tent_columns(frame: &Frame<'_>, plan: &FramePlan, out: &mut [u32]) {
    let row_bytes = frame.row_bytes();
    debug_assert_eq!(out.len(), DOWNSAMPLED * row_bytes);
    for (i, acc) in out.chunks_exact_mut(row_bytes).enumerate() {
        acc.fill(0);
        let (first_row, weights) = plan.rows.taps(i);
        for (k, &weight) in weights.iter().enumerate() {
            let pixels = frame.row(first_row + k);
            for (a, &p) in acc.iter_mut().zip(pixels) {
                *a += weight * p as u32;
            }
        }
    }
}
