//! Shared helpers for vigil's benchmarks: the cases of issue 3 and the synthetic frames.
//!
//! The frames come from [`vigil::synthetic`] (deterministic, photo-like, integer arithmetic only):
//! `benches/reference_pdqhash.py` mirrors that generator in numpy, so the reference `pdqhash` is
//! timed on the very pixels vigil is timed on.

use std::time::Duration;

use criterion::Criterion;
use vigil::PixelFormat;
pub use vigil::synthetic::{synthetic_frame, synthetic_frames};

/// `VIGIL_BENCH_QUICK` set (and not `0`): a smoke run that shrinks every bench to seconds.
pub fn quick() -> bool {
    std::env::var_os("VIGIL_BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Criterion with these sample size and times, or the quick run's when [`quick`] (criterion's
/// minimum sample size, 10, and milliseconds).
pub fn criterion_config(sample_size: usize, warm_up: Duration, measurement: Duration) -> Criterion {
    let (sample_size, warm_up, measurement) = if quick() {
        (10, Duration::from_millis(10), Duration::from_millis(50))
    } else {
        (sample_size, warm_up, measurement)
    };
    Criterion::default()
        .sample_size(sample_size)
        .warm_up_time(warm_up)
        .measurement_time(measurement)
}

/// The cases of issue 3: three decoded RGB video sizes and one grey square.
pub const CASES: [(u32, u32, PixelFormat); 4] = [
    (1920, 1080, PixelFormat::Rgb8),
    (1280, 720, PixelFormat::Rgb8),
    (640, 360, PixelFormat::Rgb8),
    (512, 512, PixelFormat::Luma8),
];

/// A case's name in benchmark ids and reports: `rgb8_1920x1080`.
pub fn case_name(width: u32, height: u32, format: PixelFormat) -> String {
    format!("{}_{}x{}", format.name(), width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The benchmarked frames have structure: a flat frame would not be a fair workload.
    #[test]
    fn frames_are_not_flat() {
        for (w, h, format) in CASES {
            let frame = synthetic_frame(w, h, format, 0);
            let pdq = vigil::hash(&vigil::Frame::packed(&frame, w, h, format).unwrap());
            assert!(
                pdq.quality >= 50,
                "{}: quality {}",
                case_name(w, h, format),
                pdq.quality
            );
        }
    }
}
