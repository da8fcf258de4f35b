//! Stage 5 (`shaders/bits.wgsl`): median, bits and the eight dihedral hashes from one DCT block.
//!
//! The median is the 128th smallest of the 256 values (what the reference's Torben median returns
//! for an even count); a bit is set where the value is strictly greater. The dihedral variants
//! transpose the block and negate odd frequencies, as the reference's `dct16OriginalTo*`.

use std::ops::Neg;

use crate::hash::{Dihedral, Hash256};
use crate::stages::DCT_SIDE;

const CELLS: usize = DCT_SIDE * DCT_SIDE;

/// The hash of a DCT block: bit `u·16 + v` set where `B[u][v]` exceeds the median.
#[inline(always)]
pub fn hash_from_dct(b: &[i64; CELLS]) -> Hash256 {
    let mut sorted = *b;
    sorted.sort_unstable();
    let median = sorted[CELLS / 2 - 1];
    let mut hash = Hash256::ZERO;
    for (k, &value) in b.iter().enumerate() {
        if value > median {
            hash.set_bit(k);
        }
    }
    hash
}

/// The block as it would be for the frame turned or flipped by `orientation`. Generic so that
/// diagnostics can orient a float model's block the same way.
pub fn orient<T: Copy + Default + Neg<Output = T>>(
    b: &[T; CELLS],
    orientation: Dihedral,
) -> [T; CELLS] {
    let mut out = [T::default(); CELLS];
    for u in 0..DCT_SIDE {
        for v in 0..DCT_SIDE {
            let value = b[u * DCT_SIDE + v];
            let (odd_u, odd_v, odd_sum) = (u & 1 == 1, v & 1 == 1, (u + v) & 1 == 1);
            // (transpose, negate) per the reference's sign tables.
            let (transpose, negate) = match orientation {
                Dihedral::Original => (false, false),
                Dihedral::Rotate90 => (true, !odd_v),
                Dihedral::Rotate180 => (false, odd_sum),
                Dihedral::Rotate270 => (true, !odd_u),
                Dihedral::FlipX => (false, !odd_u),
                Dihedral::FlipY => (false, !odd_v),
                Dihedral::FlipPlus1 => (true, false),
                Dihedral::FlipMinus1 => (true, odd_sum),
            };
            let target = if transpose {
                v * DCT_SIDE + u
            } else {
                u * DCT_SIDE + v
            };
            out[target] = if negate { -value } else { value };
        }
    }
    out
}

/// All eight hashes, in [`Dihedral::ALL`] order.
pub fn dihedral_hashes_from_dct(b: &[i64; CELLS]) -> [Hash256; 8] {
    Dihedral::ALL.map(|orientation| hash_from_dct(&orient(b, orientation)))
}
