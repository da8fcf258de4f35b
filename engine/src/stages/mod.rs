//! The PDQ pipeline in integer arithmetic, one module per stage. Each stage has a WGSL twin of the
//! same name in `shaders/` (from the GPU backend on); the CPU functions here are written like the
//! shaders so the two read side by side, and both consume the same integer tables
//! (`engine/src/plan.rs`, [`dct_matrix`]).
//!
//! # The arithmetic, written down once
//!
//! The reference computes in float32: luma `Y = 0.299f·R + 0.587f·G + 0.114f·B`; two passes of a
//! box filter along rows then columns (window `w = ⌈n/128⌉`, clipped and renormalised at the
//! edges); the filtered image sampled at the 64×64 decimation points; a 16×64 DCT matrix `D`
//! applied on both sides; bits `B > median(B)`. Every step but the DCT is linear with rational
//! coefficients, so vigil computes it exactly in integers and rounds only where stated.
//!
//! Notation: `n` pixels along an axis, `w` its window, `D_axis` its tent denominator
//! (`w²` for odd `w`, `w²(w−1)` for even `w`, 1 for `n < 128`); `Dr`, `Dc` for rows and columns.
//! `M = 255·Dr·Dc` and `b` = bit length of `M`.
//!
//! | stage | computes | scale | bound (worst case) | type |
//! |---|---|---|---|---|
//! | [`tent_columns`](mod@tent_columns) | `G[i][x] = Σ_y wc_i[y]·p[y][x]`, every byte `x` of a row | `Dc` | `255·Dc < 2^29` | u32 |
//! | [`tent_rows`](mod@tent_rows) | `V_c[i][j] = Σ_x wr_j[x]·G[i][x·bpp + c]` per channel | `Dr·Dc` | `M < 2^50` | u64 |
//! | | `V'_c = V_c >> s1`, `s1 = max(0, b − 32)` (truncating) | | `< 2^32` | u32 |
//! | | `L = Σ_c luma_c·V'_c`, `luma_c = 2^27·coef_f32` (exact) | | `< 2^60` | u64 |
//! | | `A[i][j] = (L + 2^(s2−1)) >> s2`, `s2 = b − s1` | `S = 2^27·Dr·Dc/2^b` | `≤ 2^27 + 2` | u32 |
//! | [`quality`](mod@quality) | `d = (abs(A[p] − A[q]) · Rq) >> 47`, `Rq = ⌊100·2^(b+20)/M⌋`; `min(100, Σd / 90)` | | `Σd ≤ 806 400` | u32/u64 |
//! | [`dct`](mod@dct) | `T[u][j] = Σ_i Dq[u][i]·A[i][j]`, `Dq = round(2^30·D_f32)` | `2^30·S` | `7.40·2^30·(2^27+2) < 2^60` | i64 |
//! | | `T' = (T + 2^29) >> 30` (round half up) | `S` | `< 2^30` | i32 |
//! | | `B[u][v] = Σ_j T'[u][j]·Dq[v][j]` | `2^30·S` | `7.40·2^30·2^30 < 2^63` | i64 |
//! | [`bits`] | median = the 128th smallest of the 256 `B` (the reference's Torben median); bit = `B > median` | | | i64 |
//!
//! `7.40` bounds `Σ_i |Dq[u][i]| / 2^30` over every row `u` (it is 7.391).
//!
//! **Exactness.** Up to `A` the only rounding is `s1` (relative `2^−32`) and `s2` (half a unit of
//! `A`, i.e. under `2^−26` of full scale): `A` equals the exact filtered luma to about 1e-6 grey
//! levels, 15× finer than the reference's own float32 rounding. The DCT rounds once more (`T'`).
//! The tent weights are exact because at every decimation point the reference's box windows are
//! unclipped except one first-pass window at the far end when `w` is even (count `w − 1`), which
//! the denominator `w²(w−1)` absorbs (`AxisFilter` in `engine/src/plan.rs` derives the weights from the
//! clipped counts in general and its tests check the bound for every side up to `MAX_SIDE`).
//!
//! WGSL has no 64-bit integers: the u64/i64 columns are carried as two 32-bit words there, with
//! the same values; the i32/u32 columns are plain 32-bit words.

pub mod bits;
pub mod dct;
pub mod dct_matrix;
pub mod quality;
pub mod tent_columns;
pub mod tent_rows;

pub use bits::{dihedral_hashes_from_dct, hash_from_dct};
pub use dct::dct;
pub use quality::quality;
pub use tent_columns::tent_columns;
pub use tent_rows::tent_rows;

/// Side of the decimated image (64×64).
pub const DOWNSAMPLED: usize = 64;
/// Side of the kept DCT block (16×16).
pub const DCT_SIDE: usize = 16;
/// Frames smaller than this on either side hash to zeros with quality 0, as in the reference.
pub const MIN_HASHABLE_SIDE: u32 = 5;
