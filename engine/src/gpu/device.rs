//! The wgpu device, its pipelines and its error plumbing. Every wgpu call of the engine lives in
//! this module and `batch.rs` (wgpu's API changes with each major version).

use std::sync::{Arc, Mutex};

use crate::gpu::shaders::{self, Access, StageShader};

/// What went wrong on the GPU. Never shown to a caller of hashing: the batch is re-run on the CPU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    #[error("no GPU adapter: {0}")]
    NoAdapter(String),
    #[error("GPU device request failed: {0}")]
    Device(String),
    #[error("GPU validation error: {0}")]
    Validation(String),
    #[error("GPU out of memory: {0}")]
    OutOfMemory(String),
    #[error("GPU internal error: {0}")]
    Internal(String),
    #[error("GPU device lost: {0}")]
    DeviceLost(String),
    #[error("reading results back from the GPU failed: {0}")]
    Readback(String),
    #[error("frame too large for the adapter's buffers ({needed} bytes, limit {limit})")]
    TooLarge { needed: u64, limit: u64 },
}

impl From<wgpu::Error> for GpuError {
    fn from(error: wgpu::Error) -> Self {
        match error {
            wgpu::Error::Validation { description, .. } => GpuError::Validation(description),
            wgpu::Error::OutOfMemory { source } => GpuError::OutOfMemory(source.to_string()),
            wgpu::Error::Internal { description, .. } => GpuError::Internal(description),
        }
    }
}

/// Which adapter runs the shaders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterDescription {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
}

impl AdapterDescription {
    /// Whether the adapter is a software rasteriser (lavapipe, SwiftShader, WARP): correct, but
    /// slower than the CPU backend, so [`crate::Backend::Auto`] does not choose it.
    pub fn is_software(&self) -> bool {
        self.device_type == "Cpu"
    }
}

impl std::fmt::Display for AdapterDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.backend, self.name)
    }
}

/// A wgpu instance over the backends in `WGPU_BACKEND`, else every compiled one.
fn instance() -> wgpu::Instance {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
    descriptor.backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
    descriptor.flags = wgpu::InstanceFlags::from_build_config().with_env();
    wgpu::Instance::new(descriptor)
}

fn describe(adapter: &wgpu::Adapter) -> AdapterDescription {
    let info = adapter.get_info();
    AdapterDescription {
        name: info.name.clone(),
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info)
            .trim()
            .to_owned(),
    }
}

/// Every adapter wgpu can see, in its order.
pub fn adapters() -> Vec<AdapterDescription> {
    let instance = instance();
    let found = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    found.iter().map(describe).collect()
}

/// One compute pipeline per entry point, with the layout its stage binds.
pub(crate) struct StagePipeline {
    /// What the shader declares: bindings by name, entry points with their workgroup sizes.
    pub shader: &'static StageShader,
    pub layout: wgpu::BindGroupLayout,
    pub pipelines: Vec<wgpu::ComputePipeline>,
}

/// Device, queue, the five stages' pipelines and the DCT table.
pub(crate) struct GpuDevice {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterDescription,
    pub limits: wgpu::Limits,
    pub tent_columns: StagePipeline,
    pub tent_rows: StagePipeline,
    pub quality: StagePipeline,
    pub dct: StagePipeline,
    pub bits: StagePipeline,
    pub dct_matrix: wgpu::Buffer,
    /// Set by the device-lost callback.
    pub lost: Arc<Mutex<Option<String>>>,
}

impl GpuDevice {
    /// Finds an adapter (the backends in `WGPU_BACKEND`, else every compiled one) and builds the
    /// pipelines.
    pub fn new() -> Result<Self, GpuError> {
        pollster::block_on(Self::create())
    }

    async fn create() -> Result<Self, GpuError> {
        let instance = instance();
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::from_env()
                    .unwrap_or(wgpu::PowerPreference::HighPerformance),
                force_fallback_adapter: false,
                compatible_surface: None,
                apply_limit_buckets: false,
            })
            .await
            .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let adapter_description = describe(&adapter);
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("vigil"),
                required_features: wgpu::Features::empty(),
                required_limits: limits.clone(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| GpuError::Device(e.to_string()))?;

        let lost = Arc::new(Mutex::new(None));
        let lost_flag = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut lost) = lost_flag.lock() {
                *lost = Some(format!("{reason:?}: {message}"));
            }
        });
        // wgpu's default handler panics; batches capture their errors in scopes, anything else
        // is logged.
        device.on_uncaptured_error(Arc::new(|error: wgpu::Error| {
            tracing::warn!("uncaptured GPU error: {error}");
        }));

        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let tent_columns = stage_pipeline(&device, &shaders::TENT_COLUMNS);
        let tent_rows = stage_pipeline(&device, &shaders::TENT_ROWS);
        let quality = stage_pipeline(&device, &shaders::QUALITY);
        let dct = stage_pipeline(&device, &shaders::DCT);
        let bits = stage_pipeline(&device, &shaders::BITS);
        let dct_matrix = dct_matrix_buffer(&device, &queue);
        if let Some(error) = scope.pop().await {
            return Err(error.into());
        }
        Ok(GpuDevice {
            device,
            queue,
            adapter: adapter_description,
            limits,
            tent_columns,
            tent_rows,
            quality,
            dct,
            bits,
            dct_matrix,
            lost,
        })
    }

    /// The reason the device was lost, if it was.
    pub fn lost_reason(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|lost| lost.clone())
    }

    /// Largest buffer a shader may bind.
    pub fn max_binding(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }
}

impl GpuDevice {
    /// Host→device copy bandwidth in bytes per second: `rounds` uploads of `bytes` into one
    /// storage buffer, timed until the queue has finished them (the bound a hashing batch
    /// approaches when upload dominates).
    pub fn upload_bandwidth(&self, bytes: u64, rounds: u32) -> Result<f64, GpuError> {
        let size = bytes.clamp(4, self.max_binding()).next_multiple_of(4);
        let data = vec![0xA5u8; size as usize];
        let target = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("upload_bandwidth"),
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let wait = |device: &wgpu::Device| {
            device
                .poll(wgpu::PollType::wait_indefinitely())
                .map_err(|e| GpuError::Readback(e.to_string()))
        };
        // One warm-up round, then the timed ones.
        self.queue.write_buffer(&target, 0, &data);
        self.queue.submit([]);
        wait(&self.device)?;
        let start = std::time::Instant::now();
        for _ in 0..rounds.max(1) {
            self.queue.write_buffer(&target, 0, &data);
            self.queue.submit([]);
        }
        wait(&self.device)?;
        Ok(size as f64 * rounds.max(1) as f64 / start.elapsed().as_secs_f64())
    }
}

/// `shader`'s bind group layout (from its declared bindings, checked against the WGSL by naga in
/// a test), pipeline layout and one compute pipeline per entry point.
fn stage_pipeline(device: &wgpu::Device, shader: &'static StageShader) -> StagePipeline {
    let entries: Vec<wgpu::BindGroupLayoutEntry> = shader
        .bindings
        .iter()
        .enumerate()
        .map(|(binding, declared)| wgpu::BindGroupLayoutEntry {
            binding: binding as u32,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage {
                    read_only: declared.access == Access::Read,
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        })
        .collect();
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(shader.file),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(shader.file),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(shader.file),
        source: wgpu::ShaderSource::Wgsl(shader.source().into()),
    });
    let pipelines = shader
        .entry_points
        .iter()
        .map(|entry| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry.name),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(entry.name),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            })
        })
        .collect();
    StagePipeline {
        shader,
        layout,
        pipelines,
    }
}

/// The DCT matrix (stage 4's constants, the same integers as the CPU's) in a storage buffer.
fn dct_matrix_buffer(device: &wgpu::Device, queue: &wgpu::Queue) -> wgpu::Buffer {
    let matrix: Vec<i32> = crate::stages::dct_matrix::DCT_MATRIX
        .iter()
        .flatten()
        .copied()
        .collect();
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("dct_matrix"),
        size: (matrix.len() * 4) as u64,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    queue.write_buffer(&buffer, 0, bytemuck::cast_slice(&matrix));
    buffer
}
