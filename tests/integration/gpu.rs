//! The GPU backend against the CPU: every stage's output on the golden frames and on random
//! frames of every size and format, the golden hashes, and the CPU fallback when a batch
//! fails. These run the real WGSL shaders on whatever adapter is found (Mesa's lavapipe in CI).

use vigil::cpu::stage_outputs;
use vigil::gpu::{GpuStageOutputs, InjectedFault};
use vigil::plan::FramePlan;
use vigil::stages::{DOWNSAMPLED, dihedral_hashes_from_dct, tent_columns};
use vigil::{Frame, PixelFormat};
use vigil_tests::golden::{self, FILE_KIND, SplitMix64};
use vigil_tests::gpu::gpu_or_skip;

/// A random frame: pixel bytes plus junk padding, with its layout.
struct RandomFrame {
    bytes: Vec<u8>,
    width: u32,
    height: u32,
    stride: usize,
    format: PixelFormat,
}

impl RandomFrame {
    fn new(rng: &mut SplitMix64, width: u32, height: u32, format: PixelFormat) -> Self {
        let padding = rng.below(3) as usize * 5;
        let stride = width as usize * format.bytes_per_pixel() + padding;
        let mut bytes = vec![0u8; stride * height as usize];
        // Smooth structure plus noise, so hashes have real bits (quality > 0).
        let (fx, fy) = (rng.between(1, 9) as usize, rng.between(1, 9) as usize);
        for (k, byte) in bytes.iter_mut().enumerate() {
            let (x, y) = (k % stride, k / stride);
            *byte = ((x * fx / 7 + y * fy / 5) as u8).wrapping_add(rng.byte() >> 3);
        }
        RandomFrame {
            bytes,
            width,
            height,
            stride,
            format,
        }
    }

    fn frame(&self) -> Frame<'_> {
        Frame::new(
            &self.bytes,
            self.width,
            self.height,
            self.stride,
            self.format,
        )
        .expect("valid frame")
    }
}

/// Names the first stage, frame and index where the GPU differs from the CPU mirror.
fn first_difference(label: &str, frame: &Frame<'_>, gpu: &GpuStageOutputs) -> Option<String> {
    let plan = FramePlan::new(frame.width(), frame.height());
    let mut columns = vec![0u32; DOWNSAMPLED * frame.row_bytes()];
    tent_columns(frame, &plan, &mut columns);
    let cpu = stage_outputs(frame).expect("hashable frame");
    let first = |a: &[i128], b: &[i128]| a.iter().zip(b).position(|(x, y)| x != y);
    let widen_u32 = |v: &[u32]| v.iter().map(|&x| x as i128).collect::<Vec<_>>();
    let widen_i64 = |v: &[i64]| v.iter().map(|&x| x as i128).collect::<Vec<_>>();
    if let Some(i) = first(&widen_u32(&gpu.columns), &widen_u32(&columns)) {
        return Some(format!(
            "{label}: stage tent_columns, index {i}: gpu {} cpu {}",
            gpu.columns[i], columns[i]
        ));
    }
    if let Some(i) = first(
        &widen_u32(&gpu.downsampled[..]),
        &widen_u32(&cpu.downsampled[..]),
    ) {
        return Some(format!(
            "{label}: stage tent_rows, index {i}: gpu {} cpu {}",
            gpu.downsampled[i], cpu.downsampled[i]
        ));
    }
    if gpu.quality != cpu.quality {
        return Some(format!(
            "{label}: stage quality: gpu {} cpu {}",
            gpu.quality, cpu.quality
        ));
    }
    if let Some(i) = first(&widen_i64(&gpu.dct), &widen_i64(&cpu.dct)) {
        return Some(format!(
            "{label}: stage dct, index {i}: gpu {} cpu {}",
            gpu.dct[i], cpu.dct[i]
        ));
    }
    let hashes = dihedral_hashes_from_dct(&cpu.dct);
    if let Some(o) = (0..8).find(|&o| gpu.hashes[o] != hashes[o]) {
        return Some(format!(
            "{label}: stage bits, orientation {o}: gpu {} cpu {}",
            gpu.hashes[o], hashes[o]
        ));
    }
    None
}

/// Every stage of every frame, GPU against CPU, frames hashed as one batch.
fn assert_stages_equal(gpu: &vigil::gpu::GpuHasher, views: &[Frame<'_>]) {
    let outputs = gpu.stage_outputs(views).expect("GPU batch");
    let mut differences = Vec::new();
    for (k, (frame, output)) in views.iter().zip(&outputs).enumerate() {
        let label = format!(
            "frame {k} ({}x{} {:?}, stride {})",
            frame.width(),
            frame.height(),
            frame.format(),
            frame.stride()
        );
        match output {
            Some(output) => differences.extend(first_difference(&label, frame, output)),
            None => assert!(
                frame.width() < 5 || frame.height() < 5,
                "{label}: no GPU output"
            ),
        }
    }
    assert!(
        differences.is_empty(),
        "GPU differs from CPU:\n{}",
        differences.join("\n")
    );
}

#[test]
fn gpu_stages_equal_cpu_on_random_frames() {
    let Some(gpu) = gpu_or_skip("gpu_stages_equal_cpu_on_random_frames") else {
        return;
    };
    let mut rng = SplitMix64::new(0x5EED);
    let sizes = [
        (5, 5),
        (6, 9),
        (64, 64),
        (127, 129),
        (128, 255),
        (333, 500),
        (640, 360),
        (1920, 1080),
        (4000, 3000),
    ];
    // Batch of 1 per size and format, the largest included.
    for (w, h) in sizes {
        for format in PixelFormat::ALL {
            assert_stages_equal(&gpu, &[RandomFrame::new(&mut rng, w, h, format).frame()]);
        }
    }
    // A batch of 7 mixed sizes and formats, with a frame too small to hash among them.
    let mixed: Vec<RandomFrame> = (0..7)
        .map(|k| {
            let format = PixelFormat::ALL[k % PixelFormat::ALL.len()];
            let (w, h) = if k == 3 {
                (4, 40)
            } else {
                (rng.between(5, 700), rng.between(5, 500))
            };
            RandomFrame::new(&mut rng, w, h, format)
        })
        .collect();
    assert_stages_equal(
        &gpu,
        &mixed.iter().map(RandomFrame::frame).collect::<Vec<_>>(),
    );
    // Hundreds of small frames in one batch.
    let many: Vec<RandomFrame> = (0..300)
        .map(|k| {
            let format = PixelFormat::ALL[k % PixelFormat::ALL.len()];
            let (w, h) = (rng.between(5, 90), rng.between(5, 90));
            RandomFrame::new(&mut rng, w, h, format)
        })
        .collect();
    assert_stages_equal(
        &gpu,
        &many.iter().map(RandomFrame::frame).collect::<Vec<_>>(),
    );
}

#[test]
fn gpu_golden_hashes_match_the_manifest() {
    let Some(gpu) = gpu_or_skip("gpu_golden_hashes_match_the_manifest") else {
        return;
    };
    let rows = golden::read_manifest().expect("golden manifest");
    let cases = golden::cases();
    let buffers: Vec<Vec<u8>> = cases.iter().map(|case| case.generate()).collect();
    let frames: Vec<Frame<'_>> = cases
        .iter()
        .zip(&buffers)
        .map(|(case, bytes)| case.frame(bytes).expect("golden frame"))
        .collect();
    // Stage by stage first (a difference names its stage), then the hashes as users get them.
    assert_stages_equal(&gpu, &frames);
    let hashed = gpu.hash_dihedral_batch(&frames);
    let mut differences = Vec::new();
    for (case, ours) in cases.iter().zip(&hashed) {
        let row = rows
            .iter()
            .find(|row| row.kind != FILE_KIND && row.name == case.name)
            .unwrap_or_else(|| panic!("{} missing from the manifest", case.name));
        if ours.hashes != row.dihedral || ours.quality != row.quality {
            differences.push(format!(
                "{}: gpu {} q{}, manifest {} q{}",
                case.name, ours.hashes[0], ours.quality, row.dihedral[0], row.quality
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "GPU golden differences:\n{}",
        differences.join("\n")
    );
    assert_eq!(
        gpu.cpu_fallbacks(),
        0,
        "every golden case was hashed by the shaders"
    );
    println!("{} golden cases equal on the GPU", cases.len());
}

fn fallback_frames(rng: &mut SplitMix64) -> Vec<RandomFrame> {
    (0..9)
        .map(|k| {
            RandomFrame::new(
                rng,
                40 + 17 * k,
                30 + 11 * k,
                PixelFormat::ALL[k as usize % 6],
            )
        })
        .collect()
}

#[test]
fn gpu_validation_failure_falls_back_to_cpu() {
    let Some(gpu) = gpu_or_skip("gpu_validation_failure_falls_back_to_cpu") else {
        return;
    };
    let frames = fallback_frames(&mut SplitMix64::new(11));
    let views: Vec<Frame<'_>> = frames.iter().map(RandomFrame::frame).collect();
    let expected = vigil::hash_dihedral_batch(&views);
    gpu.inject_fault(InjectedFault::Validation);
    assert_eq!(
        gpu.hash_dihedral_batch(&views),
        expected,
        "the failed batch was re-run on the CPU"
    );
    assert_eq!(gpu.cpu_fallbacks(), 1, "the injected fault happened");
    assert!(!gpu.is_lost());
    assert_eq!(
        gpu.hash_dihedral_batch(&views),
        expected,
        "the device still works afterwards"
    );
    assert_eq!(gpu.cpu_fallbacks(), 1, "and hashes on the GPU again");
}

#[test]
fn gpu_device_loss_falls_back_to_cpu() {
    let Some(gpu) = gpu_or_skip("gpu_device_loss_falls_back_to_cpu") else {
        return;
    };
    let gpu = gpu.with_max_batch_frames(4);
    let frames = fallback_frames(&mut SplitMix64::new(12));
    let views: Vec<Frame<'_>> = frames.iter().map(RandomFrame::frame).collect();
    let expected = vigil::hash_dihedral_batch(&views);
    // The loss hits the first of three batches; the other two then fail to submit.
    gpu.inject_fault(InjectedFault::DeviceLoss);
    assert_eq!(
        gpu.hash_dihedral_batch(&views),
        expected,
        "no frame lost, no result changed"
    );
    assert!(gpu.is_lost());
    assert_eq!(
        gpu.cpu_fallbacks(),
        3,
        "all three batches re-ran on the CPU"
    );
    assert_eq!(
        gpu.hash_dihedral_batch(&views),
        expected,
        "later batches run on the CPU"
    );
}

/// Inputs larger than one batch: several batches in flight (batch k+1 submitted before batch
/// k is collected), every one hashed by the shaders, results in input order.
#[test]
fn gpu_multi_batch_pipeline_keeps_order_without_fallback() {
    let Some(gpu) = gpu_or_skip("gpu_multi_batch_pipeline_keeps_order_without_fallback") else {
        return;
    };
    let gpu = gpu.with_max_batch_frames(3);
    let mut rng = SplitMix64::new(13);
    let mut frames = fallback_frames(&mut rng);
    frames.extend(fallback_frames(&mut rng));
    let views: Vec<Frame<'_>> = frames.iter().map(RandomFrame::frame).collect();
    assert_eq!(
        gpu.hash_dihedral_batch(&views),
        vigil::hash_dihedral_batch(&views)
    );
    assert_eq!(gpu.cpu_fallbacks(), 0, "six batches, all on the GPU");
}
