//! The GPU backend: the stages of [`crate::stages`] as WGSL compute shaders (`shaders/`, one file
//! per stage) run through wgpu on batches of frames. Its hashes equal the CPU's bit for bit; a
//! batch that fails on the GPU (validation error, out of memory, lost device) is re-run on the CPU,
//! so no frame is lost and no result differs.

mod batch;
mod device;
mod layout;
mod shaders;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

// Stage outputs and fault injection serve the backend comparison and fallback tests: not part of
// the stable API.
#[doc(hidden)]
pub use batch::{GpuStageOutputs, InjectedFault};
pub use device::{AdapterDescription, GpuError, adapters};

use crate::frame::Frame;
use crate::gpu::batch::{FIXED_BYTES_PER_FRAME, InFlight};
use crate::gpu::device::GpuDevice;
use crate::gpu::layout::{columns_words, region_bytes};
use crate::hash::DihedralHashes;
use crate::stages::MIN_HASHABLE_SIDE;

/// Most frames in one GPU batch by default.
pub const DEFAULT_MAX_BATCH_FRAMES: usize = 1024;

/// Hashes batches of frames on a GPU adapter.
pub struct GpuHasher {
    device: GpuDevice,
    max_batch_frames: usize,
    fault: Mutex<Option<InjectedFault>>,
    /// Batches that failed on the GPU and were hashed on the CPU instead.
    cpu_fallbacks: AtomicU64,
}

impl GpuHasher {
    /// Opens the first suitable adapter (`WGPU_BACKEND` and `WGPU_POWER_PREF` are honoured).
    pub fn new() -> Result<Self, GpuError> {
        Ok(GpuHasher {
            device: GpuDevice::new()?,
            max_batch_frames: DEFAULT_MAX_BATCH_FRAMES,
            fault: Mutex::new(None),
            cpu_fallbacks: AtomicU64::new(0),
        })
    }

    /// Caps the frames per GPU batch (at least 1); larger inputs are split.
    pub fn with_max_batch_frames(mut self, frames: usize) -> Self {
        self.max_batch_frames = frames.clamp(1, u16::MAX as usize);
        self
    }

    /// The adapter in use.
    pub fn adapter(&self) -> &AdapterDescription {
        &self.device.adapter
    }

    /// How many batches failed on the GPU and were hashed on the CPU instead since this hasher
    /// was opened (each also logs a warning). The results are the same either way; a count that
    /// grows says the GPU is not doing the work (a lost device, a driver fault).
    pub fn cpu_fallbacks(&self) -> u64 {
        self.cpu_fallbacks.load(Ordering::Relaxed)
    }

    /// Makes the next GPU batch fail in the given way (tests of the CPU fallback).
    #[doc(hidden)]
    pub fn inject_fault(&self, fault: InjectedFault) {
        if let Ok(mut next) = self.fault.lock() {
            *next = Some(fault);
        }
    }

    /// Host→device copy bandwidth of this adapter in bytes per second, measured by uploading
    /// `bytes` `rounds` times: the ceiling for hashing when upload dominates. Not part of the
    /// stable API: for `vigil bench`.
    #[doc(hidden)]
    pub fn upload_bandwidth(&self, bytes: u64, rounds: u32) -> Result<f64, GpuError> {
        self.device.upload_bandwidth(bytes, rounds)
    }

    /// Largest buffer the adapter lets a shader bind, in bytes (batches are split to fit it).
    pub fn max_buffer_binding(&self) -> u64 {
        self.device.max_binding()
    }

    /// Whether the device has been lost (every later batch then runs on the CPU).
    pub fn is_lost(&self) -> bool {
        self.device.lost_reason().is_some()
    }

    /// The eight dihedral hashes of every frame, in order. Batches that fail on the GPU are
    /// hashed on the CPU instead (with a warning): the results are the same either way.
    pub fn hash_dihedral_batch(&self, frames: &[Frame<'_>]) -> Vec<DihedralHashes> {
        let mut results: Vec<Option<DihedralHashes>> = vec![None; frames.len()];
        let mut gpu_frames = Vec::new();
        for (index, frame) in frames.iter().enumerate() {
            if frame.width() < MIN_HASHABLE_SIDE || frame.height() < MIN_HASHABLE_SIDE {
                results[index] = Some(DihedralHashes::EMPTY);
            } else if self.fits_alone(frame) {
                gpu_frames.push(index);
            } else {
                tracing::debug!(
                    "frame {index} exceeds the adapter's buffer limits: hashing it on the CPU"
                );
                results[index] = Some(crate::cpu::hash_dihedral(frame));
            }
        }
        // Batch k+1 is packed and submitted before batch k is collected, so its upload overlaps
        // batch k's compute; the trailing `None` collects the last one.
        let batches = self.split(frames, &gpu_frames);
        let mut pending: Option<(InFlight, &[usize])> = None;
        for indices in batches.iter().map(Some).chain([None]) {
            let submitted = indices.map(|indices| {
                let batch: Vec<Frame<'_>> = indices.iter().map(|&i| frames[i]).collect();
                (
                    indices,
                    self.device.submit(&batch, false, self.take_fault()),
                )
            });
            if let Some((in_flight, previous)) = pending.take() {
                let collected = self.device.collect(in_flight);
                self.finish(frames, previous, collected, &mut results);
            }
            match submitted {
                Some((indices, Ok(in_flight))) => pending = Some((in_flight, indices)),
                Some((indices, Err(error))) => {
                    self.finish(frames, indices, Err(error), &mut results)
                }
                None => {}
            }
        }
        results
            .into_iter()
            .zip(frames)
            .map(|(result, frame)| result.unwrap_or_else(|| crate::cpu::hash_dihedral(frame)))
            .collect()
    }

    /// Every stage's output for each frame, from the GPU, without CPU fallback: for tests that
    /// compare the backends stage by stage. `None` for frames under 5 pixels on a side.
    /// Not part of the stable API.
    #[doc(hidden)]
    pub fn stage_outputs(
        &self,
        frames: &[Frame<'_>],
    ) -> Result<Vec<Option<GpuStageOutputs>>, GpuError> {
        let mut results = vec![None; frames.len()];
        let hashable: Vec<usize> = (0..frames.len())
            .filter(|&i| {
                frames[i].width() >= MIN_HASHABLE_SIDE && frames[i].height() >= MIN_HASHABLE_SIDE
            })
            .collect();
        for indices in self.split(frames, &hashable) {
            let batch: Vec<Frame<'_>> = indices.iter().map(|&i| frames[i]).collect();
            let in_flight = self.device.submit(&batch, true, self.take_fault())?;
            let outputs = self.device.collect(in_flight)?;
            for (&index, stages) in indices.iter().zip(outputs.stages.unwrap_or_default()) {
                results[index] = Some(stages);
            }
        }
        Ok(results)
    }

    fn take_fault(&self) -> Option<InjectedFault> {
        self.fault.lock().ok().and_then(|mut fault| fault.take())
    }

    /// Stores a batch's results, or hashes its frames on the CPU if the GPU failed.
    fn finish(
        &self,
        frames: &[Frame<'_>],
        indices: &[usize],
        outcome: Result<batch::BatchOutputs, GpuError>,
        results: &mut [Option<DihedralHashes>],
    ) {
        match outcome {
            Ok(outputs) => {
                for ((&index, hashes), quality) in
                    indices.iter().zip(outputs.hashes).zip(outputs.quality)
                {
                    results[index] = Some(DihedralHashes { hashes, quality });
                }
            }
            Err(error) => {
                self.cpu_fallbacks.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "GPU batch of {} frames failed ({error}); hashing it on the CPU instead",
                    indices.len()
                );
                let batch: Vec<Frame<'_>> = indices.iter().map(|&i| frames[i]).collect();
                for (&index, hashes) in indices.iter().zip(crate::cpu::hash_dihedral_batch(&batch))
                {
                    results[index] = Some(hashes);
                }
            }
        }
    }

    /// Whether one frame alone fits the adapter's buffers.
    fn fits_alone(&self, frame: &Frame<'_>) -> bool {
        let limit = self.device.max_binding();
        region_bytes(frame).next_multiple_of(4) <= limit && columns_words(frame) * 4 <= limit
    }

    /// Groups frames (by index) into batches within the buffer limits and the frame cap: the
    /// pixels, the columns, and the buffers of a fixed size per frame must each fit a binding.
    fn split(&self, frames: &[Frame<'_>], indices: &[usize]) -> Vec<Vec<usize>> {
        let limit = self.device.max_binding();
        let max_frames = self
            .max_batch_frames
            .min((limit / FIXED_BYTES_PER_FRAME) as usize)
            .max(1);
        let mut batches: Vec<Vec<usize>> = Vec::new();
        let (mut pixels, mut columns) = (0u64, 0u64);
        for &index in indices {
            let frame = &frames[index];
            let (p, c) = (
                region_bytes(frame).next_multiple_of(4),
                columns_words(frame) * 4,
            );
            let full = batches.last().is_none_or(|batch| {
                batch.len() >= max_frames || pixels + p > limit || columns + c > limit
            });
            if full {
                batches.push(Vec::new());
                (pixels, columns) = (0, 0);
            }
            if let Some(batch) = batches.last_mut() {
                batch.push(index);
            }
            pixels += p;
            columns += c;
        }
        batches
    }
}
