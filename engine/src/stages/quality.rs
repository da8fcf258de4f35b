//! Stage 3 (`shaders/quality.wgsl`): the reference's gradient quality score from `A`.
//!
//! The reference sums `|trunc((u − v) · 100 / 255)|` over all vertical and horizontal neighbour
//! pairs of the 64×64 image, then takes `min(100, sum / 90)`. With `u = A / S` this is
//! `d = (|ΔA| · Rq) >> 47` (`|ΔA| < 2^28`, `Rq < 2^28`, product `< 2^56`).

use crate::plan::FramePlan;
use crate::stages::DOWNSAMPLED;

/// Each gradient is `(|ΔA| · Rq) >> GRADIENT_SHIFT`.
pub const GRADIENT_SHIFT: u32 = 47;
/// The score is `min(QUALITY_MAX, sum / GRADIENT_DIVISOR)`.
pub const GRADIENT_DIVISOR: u32 = 90;
/// The highest quality score.
pub const QUALITY_MAX: u32 = 100;

/// Quality score 0..=100.
#[inline(always)]
#[doc(hidden)] // Takes the hidden `plan::FramePlan`: for vigil's own tests and benches.
pub fn quality(a: &[u32; DOWNSAMPLED * DOWNSAMPLED], plan: &FramePlan) -> u8 {
    let gradient = |u: u32, v: u32| {
        ((u.abs_diff(v) as u64 * plan.quality_reciprocal as u64) >> GRADIENT_SHIFT) as u32
    };
    let mut sum = 0u32;
    for i in 0..DOWNSAMPLED {
        for j in 0..DOWNSAMPLED {
            let here = a[i * DOWNSAMPLED + j];
            if i + 1 < DOWNSAMPLED {
                sum += gradient(here, a[(i + 1) * DOWNSAMPLED + j]);
            }
            if j + 1 < DOWNSAMPLED {
                sum += gradient(here, a[i * DOWNSAMPLED + j + 1]);
            }
        }
    }
    (sum / GRADIENT_DIVISOR).min(QUALITY_MAX) as u8
}
