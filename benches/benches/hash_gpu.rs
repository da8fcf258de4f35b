//! GPU batch hashing: frames/s for a sweep of batch sizes at three video sizes, on whatever
//! adapter wgpu finds (Mesa's lavapipe where there is no GPU: record such figures as what they
//! are), beside the adapter's host→device copy bandwidth. `VIGIL_BENCH_QUICK=1` shrinks it to a
//! smoke run. With no adapter the bench says so and measures nothing.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vigil::gpu::GpuHasher;
use vigil::synthetic::synthetic_frame;
use vigil::{Frame, PixelFormat};
use vigil_benches::{criterion_config, quick};

const SIZES: [(u32, u32); 3] = [(1920, 1080), (1280, 720), (640, 360)];
const BATCHES: [usize; 4] = [1, 8, 32, 128];
const DISTINCT_FRAMES: u32 = 16;

fn hash_gpu(c: &mut Criterion) {
    let gpu = match GpuHasher::new() {
        Ok(gpu) => gpu,
        Err(error) => {
            eprintln!("hash_gpu: no GPU adapter ({error}); nothing measured");
            return;
        }
    };
    let adapter = gpu.adapter().to_string();
    match gpu.upload_bandwidth(64 << 20, if quick() { 2 } else { 16 }) {
        Ok(bandwidth) => eprintln!("[{adapter}] host->device copy: {:.0} MB/s", bandwidth / 1e6),
        Err(error) => eprintln!("[{adapter}] upload bandwidth not measured: {error}"),
    }
    let batches: &[usize] = if quick() { &BATCHES[..2] } else { &BATCHES };
    for (width, height) in SIZES {
        let pool: Vec<Vec<u8>> = (0..DISTINCT_FRAMES)
            .map(|i| synthetic_frame(width, height, PixelFormat::Rgb8, i))
            .collect();
        let mut group = c.benchmark_group(format!("gpu[{adapter}]/rgb8_{width}x{height}"));
        for &batch in batches {
            let frames: Vec<Frame<'_>> = (0..batch)
                .map(|k| {
                    Frame::packed(&pool[k % pool.len()], width, height, PixelFormat::Rgb8)
                        .expect("valid frame")
                })
                .collect();
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_with_input(BenchmarkId::new("batch", batch), &frames, |b, frames| {
                b.iter(|| gpu.hash_dihedral_batch(frames))
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = criterion_config(10, Duration::from_secs(3), Duration::from_secs(5));
    targets = hash_gpu
}
criterion_main!(benches);
