//! The native side of the wasm figures in BENCHMARKS.md: the very calls the wasm package makes
//! (`hash_image`, `hash_pixels`), built for the host, on one thread, on the inputs
//! `wasm/bench/bench.mjs` times in Node and Chromium.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p vigil-wasm --example native_bench -- target/wasm/photo-12mp.jpg
//! ```

use std::time::Instant;

/// The same smooth RGBA pattern as `wasm/bench/bench.mjs` draws.
fn pattern(width: u32, height: u32) -> Vec<u8> {
    let mut rgba = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            rgba.extend_from_slice(&[
                ((x * 255) / width) as u8,
                ((y * 255) / height) as u8,
                (((x + y) / 7) % 256) as u8,
                255,
            ]);
        }
    }
    rgba
}

/// Runs `step` `runs` times; the fastest and the median in milliseconds.
fn time(runs: usize, mut step: impl FnMut()) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            step();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[0], ms[runs / 2])
}

fn main() {
    let photo = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/wasm/photo-12mp.jpg".into());
    let bytes = std::fs::read(&photo).unwrap_or_else(|e| panic!("{photo}: {e}"));
    let (min, median) = time(5, || {
        vigil_wasm::hash_image(&bytes, None, None).expect("the photo decodes");
    });
    println!("native decode+hash {photo}: min {min:.1} ms, median {median:.1} ms");
    for (width, height) in [(4000, 3000), (1920, 1080)] {
        let rgba = pattern(width, height);
        let (min, median) = time(9, || {
            vigil_wasm::hash_pixels(width, height, &rgba, None).expect("valid frame");
        });
        println!("native hashPixels RGBA {width}x{height}: min {min:.2} ms, median {median:.2} ms");
    }
}
