//! CPU hashing throughput (issue 3): frames/s for decoded frames, one thread and all threads.
//!
//! ```text
//! cargo bench -p vigil-benches --bench hash_cpu                 # full run
//! VIGIL_BENCH_QUICK=1 cargo bench -p vigil-benches --bench hash_cpu   # smoke run, seconds
//! cargo bench -p vigil-benches --bench hash_cpu -- --test       # each case once, as a test
//! ```
//!
//! * `one_thread/<case>`: `vigil::hash` on the bench thread, one frame per iteration, cycling
//!   through [`DISTINCT`] different frames so small frames are not served hot from cache.
//! * `all_threads/<case>/batch32_threadsN`: `vigil::hash_batch` (rayon, N = its thread count) over
//!   a batch of [`BATCH`] frames built from the same [`DISTINCT`] buffers.
//!
//! Throughput is in frames, so criterion reports frames/s ("elem/s").

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vigil::Frame;
use vigil_benches::{CASES, case_name, criterion_config, synthetic_frames};

/// Distinct synthetic frames per case.
const DISTINCT: u32 = 8;
/// Frames per `hash_batch` call in the all-threads group.
const BATCH: usize = 32;

fn config() -> Criterion {
    criterion_config(50, Duration::from_secs(2), Duration::from_secs(8))
}

fn one_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("one_thread");
    group.throughput(Throughput::Elements(1));
    for (w, h, format) in CASES {
        let buffers = synthetic_frames(w, h, format, DISTINCT);
        let frames: Vec<Frame<'_>> = buffers
            .iter()
            .map(|b| Frame::packed(b, w, h, format).expect("valid synthetic frame"))
            .collect();
        group.bench_function(case_name(w, h, format), |b| {
            let mut next = 0;
            b.iter(|| {
                let frame = &frames[next];
                next = (next + 1) % frames.len();
                vigil::hash(black_box(frame))
            })
        });
    }
    group.finish();
}

fn all_threads(c: &mut Criterion) {
    let threads = rayon::current_num_threads();
    let mut group = c.benchmark_group("all_threads");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (w, h, format) in CASES {
        let buffers = synthetic_frames(w, h, format, DISTINCT);
        let batch: Vec<Frame<'_>> = buffers
            .iter()
            .cycle()
            .take(BATCH)
            .map(|b| Frame::packed(b, w, h, format).expect("valid synthetic frame"))
            .collect();
        let id = BenchmarkId::new(
            case_name(w, h, format),
            format!("batch{BATCH}_threads{threads}"),
        );
        group.bench_function(id, |b| b.iter(|| vigil::hash_batch(black_box(&batch))));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = one_thread, all_threads
}
criterion_main!(benches);
