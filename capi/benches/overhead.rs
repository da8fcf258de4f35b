//! The C ABI's per-call cost: `vigil_hash_frame` (argument checks, `catch_unwind`, result
//! conversion) against `vigil::hash` on the same frame, a 1920×1080 BGRA camera frame and a
//! 64×64 thumbnail, in one binary so both run the same engine code.
//!
//! `cargo bench -p vigil-capi --bench overhead`; `VIGIL_BENCH_QUICK=1` (or `-- --test`) runs
//! each case once, as a smoke test.

use std::hint::black_box;
use std::time::{Duration, Instant};

use engine::synthetic::synthetic_frame;
use engine::{Frame, PixelFormat};
use vigil::{VIGIL_PIXEL_FORMAT_BGRA8, VigilPdqHash, VigilStatus, vigil_hash_frame};

/// The fastest of `rounds` mean times of `calls` calls of `f`.
fn time(rounds: usize, calls: usize, mut f: impl FnMut()) -> Duration {
    f();
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            start.elapsed() / calls as u32
        })
        .min()
        .unwrap()
}

fn main() {
    let quick = std::env::var_os("VIGIL_BENCH_QUICK").is_some()
        || std::env::args().any(|arg| arg == "--test");
    for (width, height, calls) in [(1920u32, 1080u32, 20usize), (64, 64, 20_000)] {
        let (rounds, calls) = if quick { (1, 1) } else { (7, calls) };
        let pixels = synthetic_frame(width, height, PixelFormat::Bgra8, 0);
        let stride = width as usize * 4;
        let frame = Frame::new(&pixels, width, height, stride, PixelFormat::Bgra8).unwrap();
        let rust = time(rounds, calls, || {
            black_box(engine::hash(black_box(&frame)));
        });
        let mut out = VigilPdqHash::default();
        let c = time(rounds, calls, || {
            // SAFETY: `pixels` holds the frame, `out` is writable.
            let status = unsafe {
                vigil_hash_frame(
                    black_box(pixels.as_ptr()),
                    pixels.len(),
                    width,
                    height,
                    stride,
                    VIGIL_PIXEL_FORMAT_BGRA8,
                    &mut out,
                )
            };
            assert_eq!(status, VigilStatus::Ok);
            black_box(&out);
        });
        assert_eq!(engine::PdqHash::from(out), engine::hash(&frame));
        let overhead = c.as_nanos() as i128 - rust.as_nanos() as i128;
        println!(
            "{width}x{height} bgra8: vigil::hash {rust:?}, vigil_hash_frame {c:?}, \
             overhead {overhead} ns a call"
        );
    }
}
