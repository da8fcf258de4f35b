//! One batch on the GPU: upload in few buffers, the five stages' dispatches in one pass, one
//! readback. `submit` returns at once so the caller can pack and upload the next batch while this
//! one computes; `collect` waits for it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use crate::frame::Frame;
use crate::gpu::device::{GpuDevice, GpuError, StagePipeline};
use crate::gpu::layout::PackedBatch;
use crate::gpu::shaders::{BatchShape, HASH_WORDS as HASH_WORDS_PER_ORIENTATION, ORIENTATIONS};
use crate::hash::Hash256;
use crate::stages::{DCT_SIDE, DOWNSAMPLED};

const CELLS: u64 = (DOWNSAMPLED * DOWNSAMPLED) as u64;
const DCT_CELLS: u64 = (DCT_SIDE * DCT_SIDE) as u64;
/// Words of hash output per frame: every orientation's hash.
const HASH_WORDS: u64 = (ORIENTATIONS * HASH_WORDS_PER_ORIENTATION) as u64;
/// The largest buffer whose size per frame does not depend on the frame (the downsampled
/// 64×64 words; the DCT and hash buffers are smaller): a batch must keep it within a binding.
pub(super) const FIXED_BYTES_PER_FRAME: u64 = CELLS * 4;
/// How long to wait for one batch before calling the device lost.
const BATCH_TIMEOUT: Duration = Duration::from_secs(120);

/// A failure to inject into the next batch, for tests of the CPU fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InjectedFault {
    /// A dispatch over the adapter's workgroup limit: a validation error at submission.
    Validation,
    /// The device destroyed after submission, before the results are read: a lost device.
    DeviceLoss,
}

/// Every stage's output for one frame, read back from the GPU (for stage-by-stage tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpuStageOutputs {
    /// Stage 1: 64 rows of `row_bytes` words.
    pub columns: Vec<u32>,
    /// Stage 2: the 64×64 luma image.
    pub downsampled: Box<[u32; DOWNSAMPLED * DOWNSAMPLED]>,
    /// Stage 3.
    pub quality: u8,
    /// Stage 4: the 16×16 DCT block.
    pub dct: [i64; DCT_SIDE * DCT_SIDE],
    /// Stage 5: the 8 dihedral hashes.
    pub hashes: [Hash256; 8],
}

/// What a batch produced.
pub(crate) struct BatchOutputs {
    pub hashes: Vec<[Hash256; 8]>,
    pub quality: Vec<u8>,
    /// Present when the batch was submitted with `capture_stages`.
    pub stages: Option<Vec<GpuStageOutputs>>,
}

/// The buffers of one batch: inputs, each stage's output, and the scratch the DCT passes share.
struct BatchBuffers {
    infos: wgpu::Buffer,
    tables: wgpu::Buffer,
    pixels: wgpu::Buffer,
    columns: wgpu::Buffer,
    downsampled: wgpu::Buffer,
    quality: wgpu::Buffer,
    dct_mid: wgpu::Buffer,
    dct: wgpu::Buffer,
    hashes: wgpu::Buffer,
}

/// A submitted batch whose results are not read yet.
pub(crate) struct InFlight {
    submission: wgpu::SubmissionIndex,
    readback: wgpu::Buffer,
    mapped: mpsc::Receiver<Result<(), wgpu::BufferAsyncError>>,
    frames: u64,
    /// Per-frame stage 1 sizes (words) when stages are captured.
    captured_columns: Option<Vec<u64>>,
}

impl GpuDevice {
    /// Uploads `frames` (each at least 5 pixels on a side, together within the adapter's buffer
    /// limits), records the five stages and submits them.
    pub(crate) fn submit(
        &self,
        frames: &[Frame<'_>],
        capture_stages: bool,
        fault: Option<InjectedFault>,
    ) -> Result<InFlight, GpuError> {
        if let Some(reason) = self.lost_reason() {
            return Err(GpuError::DeviceLost(reason));
        }
        let packed = PackedBatch::new(frames);
        self.check_binding_sizes(&packed)?;

        let out_of_memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let internal = self.device.push_error_scope(wgpu::ErrorFilter::Internal);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);

        let buffers = self.batch_buffers(frames, &packed, capture_stages)?;
        let mut copies: Vec<&wgpu::Buffer> = vec![&buffers.hashes, &buffers.quality];
        if capture_stages {
            copies.extend([&buffers.columns, &buffers.downsampled, &buffers.dct]);
        }
        let readback = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: copies.iter().map(|b| b.size()).sum(),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });

        let lanes = self.tent_columns.shader.entry_points[0].workgroup_size[0];
        let widest = if fault == Some(InjectedFault::Validation) {
            self.limits.max_compute_workgroups_per_dimension + 1
        } else {
            packed.max_row_bytes.div_ceil(lanes)
        };
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("batch"),
            });
        self.encode_stages(&mut encoder, &buffers, widest, frames.len() as u32)?;
        let mut offset = 0;
        for buffer in &copies {
            encoder.copy_buffer_to_buffer(buffer, 0, &readback, offset, buffer.size());
            offset += buffer.size();
        }
        let submission = self.queue.submit([encoder.finish()]);
        let (sender, mapped) = mpsc::channel();
        readback
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |result| {
                let _ = sender.send(result);
            });
        if fault == Some(InjectedFault::DeviceLoss) {
            self.device.destroy();
        }

        // Scopes pop innermost first; on native backends the futures are already resolved.
        let errors =
            [validation, internal, out_of_memory].map(|scope| pollster::block_on(scope.pop()));
        if let Some(error) = errors.into_iter().flatten().next() {
            return Err(error.into());
        }
        Ok(InFlight {
            submission,
            readback,
            mapped,
            frames: frames.len() as u64,
            captured_columns: capture_stages.then(|| {
                frames
                    .iter()
                    .map(crate::gpu::layout::columns_words)
                    .collect()
            }),
        })
    }

    /// Refuses a batch whose largest buffer would not fit in one binding of this adapter.
    fn check_binding_sizes(&self, packed: &PackedBatch) -> Result<(), GpuError> {
        let limit = self.max_binding();
        for needed in [
            packed.pixel_bytes,
            packed.columns_words * 4,
            packed.tables.len() as u64 * 4,
        ] {
            if needed > limit {
                return Err(GpuError::TooLarge { needed, limit });
            }
        }
        Ok(())
    }

    /// The batch's buffers, with the frame descriptions, tables and pixels uploaded. The stage
    /// outputs are readable (`COPY_SRC`) when they are to be captured.
    fn batch_buffers(
        &self,
        frames: &[Frame<'_>],
        packed: &PackedBatch,
        capture_stages: bool,
    ) -> Result<BatchBuffers, GpuError> {
        use wgpu::BufferUsages as Usage;
        let n = frames.len() as u64;
        let readable = if capture_stages {
            Usage::COPY_SRC
        } else {
            Usage::empty()
        };
        let infos = self.uploaded("frame_infos", bytemuck::cast_slice(&packed.infos))?;
        let tables = self.uploaded("tables", bytemuck::cast_slice(&packed.tables))?;
        let pixels = self.storage("pixels", packed.pixel_bytes, Usage::empty(), true);
        {
            let mut view = pixels
                .slice(..)
                .get_mapped_range_mut()
                .map_err(|e| GpuError::Internal(e.to_string()))?;
            packed.write_pixels(frames, |offset, bytes| {
                view.slice(offset..offset + bytes.len())
                    .copy_from_slice(bytes)
            });
        }
        pixels.unmap();
        let dct_mid_bytes = n * DCT_SIDE as u64 * DOWNSAMPLED as u64 * 4;
        Ok(BatchBuffers {
            infos,
            tables,
            pixels,
            columns: self.storage("columns", packed.columns_words * 4, readable, false),
            downsampled: self.storage("downsampled", n * CELLS * 4, readable, false),
            quality: self.storage("quality", n * 4, Usage::COPY_SRC, false),
            dct_mid: self.storage("dct_mid", dct_mid_bytes, Usage::empty(), false),
            dct: self.storage("dct", n * DCT_CELLS * 8, readable, false),
            hashes: self.storage("hashes", n * HASH_WORDS * 4, Usage::COPY_SRC, false),
        })
    }

    /// Records the five stages' dispatches in one compute pass; `widest` is stage 1's workgroup
    /// count along a row, `groups` the frames.
    fn encode_stages(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        b: &BatchBuffers,
        widest: u32,
        groups: u32,
    ) -> Result<(), GpuError> {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("pdq"),
            timestamp_writes: None,
        });
        let batch = BatchShape {
            frames: groups,
            row_shares: widest,
        };
        let tent_columns = [
            ("frames", &b.infos),
            ("tables", &b.tables),
            ("pixels", &b.pixels),
            ("columns", &b.columns),
        ];
        self.dispatch(&mut pass, &self.tent_columns, 0, &tent_columns, batch)?;
        let tent_rows = [
            ("frames", &b.infos),
            ("tables", &b.tables),
            ("columns", &b.columns),
            ("downsampled", &b.downsampled),
        ];
        self.dispatch(&mut pass, &self.tent_rows, 0, &tent_rows, batch)?;
        let quality = [
            ("frames", &b.infos),
            ("downsampled", &b.downsampled),
            ("quality", &b.quality),
        ];
        self.dispatch(&mut pass, &self.quality, 0, &quality, batch)?;
        let dct = [
            ("downsampled", &b.downsampled),
            ("dct_matrix", &self.dct_matrix),
            ("dct_mid", &b.dct_mid),
            ("dct", &b.dct),
        ];
        self.dispatch(&mut pass, &self.dct, 0, &dct, batch)?;
        self.dispatch(&mut pass, &self.dct, 1, &dct, batch)?;
        let bits = [("dct", &b.dct), ("hashes", &b.hashes)];
        self.dispatch(&mut pass, &self.bits, 0, &bits, batch)
    }

    /// One dispatch of `stage`'s entry point `entry` over the grid it declares for `batch`, its
    /// buffers bound by the names the shader gives them (its declared bindings).
    fn dispatch(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        stage: &StagePipeline,
        entry: usize,
        buffers: &[(&str, &wgpu::Buffer)],
        batch: BatchShape,
    ) -> Result<(), GpuError> {
        let declared = stage.shader.entry_points.get(entry).ok_or_else(|| {
            GpuError::Internal(format!("{} has no entry point {entry}", stage.shader.file))
        })?;
        let size = declared.grid_for(batch);
        let mut entries = Vec::with_capacity(buffers.len());
        for (name, buffer) in buffers {
            let binding = stage.shader.binding(name).ok_or_else(|| {
                GpuError::Internal(format!("{} has no buffer {name}", stage.shader.file))
            })?;
            entries.push(wgpu::BindGroupEntry {
                binding,
                resource: buffer.as_entire_binding(),
            });
        }
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &stage.layout,
            entries: &entries,
        });
        pass.set_pipeline(&stage.pipelines[entry]);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(size[0], size[1], size[2]);
        Ok(())
    }

    /// Waits for a submitted batch and reads its results.
    pub(crate) fn collect(&self, batch: InFlight) -> Result<BatchOutputs, GpuError> {
        // `poll` panics on a device error below wgpu's validation: a lost device in practice.
        let polled = catch_unwind(AssertUnwindSafe(|| {
            self.device.poll(wgpu::PollType::Wait {
                submission_index: Some(batch.submission.clone()),
                timeout: Some(BATCH_TIMEOUT),
            })
        }));
        if let Some(reason) = self.lost_reason() {
            return Err(GpuError::DeviceLost(reason));
        }
        match polled {
            Err(_) => return Err(GpuError::DeviceLost("device poll failed".into())),
            Ok(Err(error)) => return Err(GpuError::Readback(error.to_string())),
            Ok(Ok(_)) => {}
        }
        // The submission is done, but its mapping callback may have been collected by another
        // thread's poll (threads sharing the device): wgpu runs collected callbacks after the
        // poll that collected them returns, so wait for it rather than look once.
        match batch.mapped.recv_timeout(BATCH_TIMEOUT) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(GpuError::Readback(error.to_string())),
            Err(_) => {
                return Err(GpuError::Readback(
                    "the readback buffer was never mapped".into(),
                ));
            }
        }
        let outputs = {
            let view = batch
                .readback
                .slice(..)
                .get_mapped_range()
                .map_err(|e| GpuError::Readback(e.to_string()))?;
            let words: &[u32] = bytemuck::cast_slice(&view);
            parse_outputs(words, batch.frames, batch.captured_columns.as_deref())
        };
        batch.readback.unmap();
        Ok(outputs)
    }

    /// A storage buffer filled with `bytes` at creation.
    fn uploaded(&self, label: &str, bytes: &[u8]) -> Result<wgpu::Buffer, GpuError> {
        let buffer = self.storage(label, bytes.len() as u64, wgpu::BufferUsages::empty(), true);
        buffer
            .slice(..)
            .get_mapped_range_mut()
            .map_err(|e| GpuError::Internal(e.to_string()))?
            .slice(..bytes.len())
            .copy_from_slice(bytes);
        buffer.unmap();
        Ok(buffer)
    }

    /// A storage buffer of at least `size` bytes (rounded up to 4, never 0).
    fn storage(
        &self,
        label: &str,
        size: u64,
        extra: wgpu::BufferUsages,
        mapped: bool,
    ) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: size.max(4).next_multiple_of(4),
            usage: wgpu::BufferUsages::STORAGE | extra,
            mapped_at_creation: mapped,
        })
    }
}

/// Splits the readback: hashes, quality, then (when captured) columns, downsampled, dct.
fn parse_outputs(words: &[u32], frames: u64, captured_columns: Option<&[u64]>) -> BatchOutputs {
    let n = frames as usize;
    let (hash_words, rest) = words.split_at(n * HASH_WORDS as usize);
    let (quality_words, rest) = rest.split_at(n);
    let hashes: Vec<[Hash256; 8]> = hash_words
        .chunks_exact(HASH_WORDS as usize)
        .map(|frame| {
            let mut out = [Hash256::ZERO; 8];
            for (hash, words) in out.iter_mut().zip(frame.chunks_exact(8)) {
                for (w, &word) in words.iter().enumerate() {
                    for bit in 0..32 {
                        if word >> bit & 1 == 1 {
                            hash.set_bit(w * 32 + bit);
                        }
                    }
                }
            }
            out
        })
        .collect();
    let quality: Vec<u8> = quality_words.iter().map(|&q| q.min(100) as u8).collect();
    let stages = captured_columns.map(|sizes| {
        let total: usize = sizes.iter().map(|&s| s as usize).sum();
        // Every frame has at least 5 rows of 5 bytes: the columns buffer is exactly `total` words.
        let (columns, rest) = rest.split_at(total);
        let (downsampled, rest) = rest.split_at(n * CELLS as usize);
        let dct_words = &rest[..n * DCT_CELLS as usize * 2];
        let mut offset = 0;
        (0..n)
            .map(|f| {
                let frame_columns = columns[offset..offset + sizes[f] as usize].to_vec();
                offset += sizes[f] as usize;
                let mut a = Box::new([0u32; DOWNSAMPLED * DOWNSAMPLED]);
                a.copy_from_slice(&downsampled[f * CELLS as usize..(f + 1) * CELLS as usize]);
                let mut dct = [0i64; DCT_SIDE * DCT_SIDE];
                for (k, value) in dct.iter_mut().enumerate() {
                    let at = (f * DCT_CELLS as usize + k) * 2;
                    *value = (dct_words[at] as u64 | (dct_words[at + 1] as u64) << 32) as i64;
                }
                GpuStageOutputs {
                    columns: frame_columns,
                    downsampled: a,
                    quality: quality[f],
                    dct,
                    hashes: hashes[f],
                }
            })
            .collect()
    });
    BatchOutputs {
        hashes,
        quality,
        stages,
    }
}
