//! Stage 1 (`shaders/tent_columns.wgsl`): the vertical tent filter at the 64 decimation rows.
//!
//! `G[i][x] = Σ_k wc_i[k] · p[start_i + k][x]` for every byte `x` of a row, all channels alike
//! (alpha and padding bytes included: cheaper than skipping them). Bound `255 · Dc < 2^29`.

use std::ops::{Add, Mul};

use crate::frame::Frame;
use crate::plan::FramePlan;
use crate::stages::DOWNSAMPLED;

/// Bytes of a row filtered at a time: their sums stay in registers and the first-level cache
/// across all of a row's taps instead of being loaded and stored once per input row (measured
/// best of 32–512 on a 1080p frame).
const CHUNK: usize = 128;

/// Writes the 64 column-filtered rows into `out` (`64 × frame.row_bytes()` values, row-major).
#[inline(always)]
#[doc(hidden)] // Takes the hidden `plan::FramePlan`: for vigil's own tests and benches.
pub fn tent_columns(frame: &Frame<'_>, plan: &FramePlan, out: &mut [u32]) {
    let row_bytes = frame.row_bytes();
    debug_assert_eq!(out.len(), DOWNSAMPLED * row_bytes);
    // The weights of a row sum to Dc, so every sum is at most 255 · Dc. Where that fits 16 bits
    // (Dc ≤ 257: odd windows up to 15 rows and even ones up to 6, so 1080p and most frames up to
    // 1920 rows tall) the sums are kept in 16-bit lanes, twice as many a vector; the values are
    // the same integers.
    if 255 * plan.vertical.denominator <= u32::from(u16::MAX) {
        filter_rows::<u16>(frame, plan, out);
    } else {
        filter_rows::<u32>(frame, plan, out);
    }
}

/// The 64 decimation rows, summed in `T`.
#[inline(always)]
fn filter_rows<T>(frame: &Frame<'_>, plan: &FramePlan, out: &mut [u32])
where
    T: Copy + Default + From<u8> + Into<u32> + TryFrom<u32> + Add<Output = T> + Mul<Output = T>,
{
    // Every row's weights in `T`, once a frame.
    let weights: Vec<T> = plan
        .vertical
        .weights
        .iter()
        .map(|&w| {
            T::try_from(w)
                .ok()
                .expect("a weight is at most Dc, which fits T")
        })
        .collect();
    for (i, row_out) in out.chunks_exact_mut(frame.row_bytes()).enumerate() {
        let (first_row, _) = plan.vertical.taps(i);
        let taps = plan.vertical.tap_offset[i] as usize..plan.vertical.tap_offset[i + 1] as usize;
        filter_row(frame, first_row, &weights[taps], row_out);
    }
}

/// One decimation row: `out[x] = Σ_k weights[k] · p[first_row + k][x]`, summed in `T`.
#[inline(always)]
fn filter_row<T>(frame: &Frame<'_>, first_row: usize, weights: &[T], out: &mut [u32])
where
    T: Copy + Default + From<u8> + Into<u32> + Add<Output = T> + Mul<Output = T>,
{
    let whole = out.len() / CHUNK * CHUNK;
    for (start, out) in (0..whole).step_by(CHUNK).zip(out.chunks_exact_mut(CHUNK)) {
        // A constant length here, so the loops over the chunk are unrolled into vectors.
        sum_taps(frame, first_row, weights, start, CHUNK, out);
    }
    let tail = out.len() - whole;
    sum_taps(frame, first_row, weights, whole, tail, &mut out[whole..]);
}

/// `out[i] = Σ_k weights[k] · p[first_row + k][start + i]` for the `len` bytes from `start`.
#[inline(always)]
fn sum_taps<T>(
    frame: &Frame<'_>,
    first_row: usize,
    weights: &[T],
    start: usize,
    len: usize,
    out: &mut [u32],
) where
    T: Copy + Default + From<u8> + Into<u32> + Add<Output = T> + Mul<Output = T>,
{
    let mut sums = [T::default(); CHUNK];
    let sums = &mut sums[..len];
    for (k, &w) in weights.iter().enumerate() {
        let pixels = &frame.row(first_row + k)[start..start + len];
        for (sum, &p) in sums.iter_mut().zip(pixels) {
            *sum = *sum + w * T::from(p);
        }
    }
    for (value, &sum) in out.iter_mut().zip(sums.iter()) {
        *value = sum.into();
    }
}
