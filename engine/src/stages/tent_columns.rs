//! Stage 1 (`shaders/tent_columns.wgsl`): the vertical tent filter at the 64 decimation rows.
//!
//! `G[i][x] = Σ_k wc_i[k] · p[start_i + k][x]` for every byte `x` of a row, all channels alike
//! (alpha and padding bytes included: cheaper than skipping them). Bound `255 · Dc < 2^29`.

use crate::frame::Frame;
use crate::plan::FramePlan;
use crate::stages::DOWNSAMPLED;

/// Writes the 64 column-filtered rows into `out` (`64 × frame.row_bytes()` values, row-major).
#[inline(always)]
#[doc(hidden)] // Takes the hidden `plan::FramePlan`: for vigil's own tests and benches.
pub fn tent_columns(frame: &Frame<'_>, plan: &FramePlan, out: &mut [u32]) {
    let row_bytes = frame.row_bytes();
    debug_assert_eq!(out.len(), DOWNSAMPLED * row_bytes);
    for (i, acc) in out.chunks_exact_mut(row_bytes).enumerate() {
        let (first_row, weights) = plan.vertical.taps(i);
        acc.fill(0);
        // Two input rows per sweep: half the loads and stores of the accumulator row.
        let mut pairs = weights.chunks_exact(2);
        let mut y = first_row;
        for pair in &mut pairs {
            let (w0, w1) = (pair[0], pair[1]);
            let (row0, row1) = (frame.row(y), frame.row(y + 1));
            for ((a, &p0), &p1) in acc.iter_mut().zip(row0).zip(row1) {
                *a += w0 * p0 as u32 + w1 * p1 as u32;
            }
            y += 2;
        }
        if let [w] = *pairs.remainder() {
            for (a, &p) in acc.iter_mut().zip(frame.row(y)) {
                *a += w * p as u32;
            }
        }
    }
}
