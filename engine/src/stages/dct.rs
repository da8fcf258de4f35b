//! Stage 4 (`shaders/dct.wgsl`): the 16×16 block of the 2-D DCT, `B = Dq · A · Dqᵀ`.
//!
//! ```text
//! T[u][j]  = Σ_i Dq[u][i] · A[i][j]        |T|  < 2^60 (i64)
//! T'[u][j] = (T + 2^29) >> 30              |T'| < 2^30 (i32)
//! B[u][v]  = Σ_j T'[u][j] · Dq[v][j]       |B|  < 2^63 (i64)
//! ```

use crate::stages::dct_matrix::DCT_MATRIX;
use crate::stages::{DCT_SIDE, DOWNSAMPLED};

/// Right shift (rounding) between the two matrix products.
pub const DCT_MID_SHIFT: u32 = 30;

/// The 16×16 DCT block (row-major) of the 64×64 image `A`, whose values are at most
/// `2^27 + 2` (stage 2's bound; larger values are outside this stage's arithmetic).
#[inline(always)]
pub fn dct(a: &[u32; DOWNSAMPLED * DOWNSAMPLED]) -> [i64; DCT_SIDE * DCT_SIDE] {
    debug_assert!(a.iter().all(|&value| value <= (1 << 27) + 2));
    let mut t = [[0i32; DOWNSAMPLED]; DCT_SIDE];
    for (u, t_row) in t.iter_mut().enumerate() {
        let mut sums = [0i64; DOWNSAMPLED];
        for (i, &d) in DCT_MATRIX[u].iter().enumerate() {
            let a_row = &a[i * DOWNSAMPLED..(i + 1) * DOWNSAMPLED];
            for (s, &value) in sums.iter_mut().zip(a_row) {
                // A ≤ 2^27 + 2 fits i32: a product of two sign-extended 32-bit values is one
                // vector multiply (vpmuldq), where an i64 × i64 product takes several.
                *s += d as i64 * value as i32 as i64;
            }
        }
        for (out, s) in t_row.iter_mut().zip(sums) {
            *out = ((s + (1 << (DCT_MID_SHIFT - 1))) >> DCT_MID_SHIFT) as i32;
        }
    }
    let mut b = [0i64; DCT_SIDE * DCT_SIDE];
    for u in 0..DCT_SIDE {
        for v in 0..DCT_SIDE {
            b[u * DCT_SIDE + v] = t[u]
                .iter()
                .zip(&DCT_MATRIX[v])
                .map(|(&x, &d)| x as i64 * d as i64)
                .sum();
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checked-in table is the reference's float32 matrix, scaled and rounded. This is the one
    /// place a cosine is evaluated, and only to check the literal.
    #[test]
    fn matrix_matches_reference_definition() {
        let scale = (2.0f64 / 64.0).sqrt() as f32;
        for (u, row) in DCT_MATRIX.iter().enumerate() {
            for (i, &q) in row.iter().enumerate() {
                let angle =
                    (std::f64::consts::PI / 2.0 / 64.0) * (u + 1) as f64 * (2 * i + 1) as f64;
                let d = (scale as f64 * angle.cos()) as f32;
                assert_eq!(
                    q,
                    (d as f64 * (1u64 << 30) as f64).round() as i32,
                    "D[{u}][{i}]"
                );
            }
        }
    }

    /// Each row sums to exactly 0, so a flat frame has an all-zero DCT and hashes to zeros, as in
    /// exact arithmetic (the float32 reference returns rounding noise there).
    #[test]
    fn matrix_rows_sum_to_zero() {
        for row in DCT_MATRIX {
            assert_eq!(row.iter().map(|&d| d as i64).sum::<i64>(), 0);
        }
    }

    /// Worst case of every sum, driven by the table itself: A at its bound with the signs of a row.
    #[test]
    fn bounds_hold_for_worst_case_input() {
        let a_max = (1i64 << 27) + 2;
        let mut worst_t = 0i64;
        for row in DCT_MATRIX {
            let abs_sum: i64 = row.iter().map(|&d| (d as i64).abs()).sum();
            worst_t = worst_t.max(abs_sum.checked_mul(a_max).expect("T fits i64"));
        }
        assert!(worst_t < 1 << 60);
        let worst_t_mid = (worst_t + (1 << 29)) >> 30;
        assert!(worst_t_mid < 1 << 30);
        for row in DCT_MATRIX {
            let abs_sum: i64 = row.iter().map(|&d| (d as i64).abs()).sum();
            assert!(
                abs_sum
                    .checked_mul(worst_t_mid)
                    .is_some_and(|b| b < i64::MAX)
            );
        }
    }
}
