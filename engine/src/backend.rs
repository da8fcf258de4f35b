//! Choosing where frames are hashed: [`Backend`] and the [`BatchHasher`] that runs batches there.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::frame::Frame;
use crate::hash::{DihedralHashes, PdqHash};

/// Where to hash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Backend {
    /// A hardware GPU when one is found, else the CPU.
    #[default]
    Auto,
    /// The CPU, on all cores.
    Cpu,
    /// A GPU; an error if none is found (or the `gpu` feature is off).
    Gpu,
}

impl Backend {
    /// Every backend, in the order of [`name`](Self::name)s a command line offers.
    pub const ALL: [Backend; 3] = [Backend::Auto, Backend::Cpu, Backend::Gpu];

    /// `auto`, `cpu` or `gpu`.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::Cpu => "cpu",
            Backend::Gpu => "gpu",
        }
    }
}

impl FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Backend::Auto),
            "cpu" => Ok(Backend::Cpu),
            "gpu" => Ok(Backend::Gpu),
            _ => Err(format!("unknown backend {s:?}: expected auto, cpu or gpu")),
        }
    }
}

/// The backend a [`BatchHasher`] ended up with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActiveBackend {
    Cpu,
    /// The GPU adapter, e.g. `Vulkan/llvmpipe (LLVM 15.0.6, 256 bits)`.
    Gpu(String),
}

impl fmt::Display for ActiveBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActiveBackend::Cpu => write!(f, "cpu"),
            ActiveBackend::Gpu(adapter) => write!(f, "gpu ({adapter})"),
        }
    }
}

/// Hashes batches of frames on the chosen backend. Every backend gives the same bits.
///
/// ```
/// use vigil::{Backend, Frame, BatchHasher, PixelFormat};
/// let hasher = BatchHasher::new(Backend::Cpu)?;
/// let pixels = vec![7u8; 64 * 64];
/// let frame = Frame::packed(&pixels, 64, 64, PixelFormat::Luma8)?;
/// let hashes = hasher.hash_batch(&[frame, frame]);
/// assert_eq!(hashes[0], vigil::hash(&frame));
/// # Ok::<(), vigil::Error>(())
/// ```
pub struct BatchHasher {
    #[cfg(feature = "gpu")]
    gpu: Option<crate::gpu::GpuHasher>,
}

impl BatchHasher {
    /// A hasher on `backend`. [`Backend::Auto`] takes a hardware GPU when one is found (not a
    /// software rasteriser, which is slower than the CPU backend) and says which (a `tracing`
    /// event); [`Backend::Gpu`] takes any adapter and fails when there is none.
    pub fn new(backend: Backend) -> Result<Self> {
        match backend {
            Backend::Cpu => Ok(Self::cpu()),
            #[cfg(feature = "gpu")]
            Backend::Gpu => match crate::gpu::GpuHasher::new() {
                Ok(gpu) => Ok(Self::with_gpu(gpu)),
                Err(error) => Err(Error::GpuUnavailable(error.to_string())),
            },
            #[cfg(not(feature = "gpu"))]
            Backend::Gpu => Err(Error::GpuUnavailable(
                "vigil was built without the `gpu` feature".into(),
            )),
            #[cfg(feature = "gpu")]
            Backend::Auto => match crate::gpu::GpuHasher::new() {
                Ok(gpu) if gpu.adapter().is_software() => {
                    tracing::info!(
                        "only a software GPU ({}); hashing on the CPU",
                        gpu.adapter()
                    );
                    Ok(Self::cpu())
                }
                Ok(gpu) => Ok(Self::with_gpu(gpu)),
                Err(error) => {
                    tracing::info!("no GPU ({error}); hashing on the CPU");
                    Ok(Self::cpu())
                }
            },
            #[cfg(not(feature = "gpu"))]
            Backend::Auto => Ok(Self::cpu()),
        }
    }

    fn cpu() -> Self {
        tracing::info!("hashing on the CPU");
        BatchHasher {
            #[cfg(feature = "gpu")]
            gpu: None,
        }
    }

    /// A hasher on an already opened GPU.
    #[cfg(feature = "gpu")]
    pub fn with_gpu(gpu: crate::gpu::GpuHasher) -> Self {
        tracing::info!("hashing on the GPU: {}", gpu.adapter());
        BatchHasher { gpu: Some(gpu) }
    }

    /// The GPU hasher, when this hasher runs on one.
    #[cfg(feature = "gpu")]
    pub fn gpu(&self) -> Option<&crate::gpu::GpuHasher> {
        self.gpu.as_ref()
    }

    /// Which backend hashes.
    pub fn active(&self) -> ActiveBackend {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = &self.gpu {
            return ActiveBackend::Gpu(gpu.adapter().to_string());
        }
        ActiveBackend::Cpu
    }

    /// The eight dihedral hashes of every frame, in order.
    pub fn hash_dihedral_batch(&self, frames: &[Frame<'_>]) -> Vec<DihedralHashes> {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = &self.gpu {
            return gpu.hash_dihedral_batch(frames);
        }
        crate::cpu::hash_dihedral_batch(frames)
    }

    /// One batch whose first `dihedral` frames get their eight dihedral hashes and the rest their
    /// plain hash (what a robust query needs: the upload's orientations, each variant's own). A
    /// GPU hashes all of them in one dihedral pass; the CPU skips the seven other orientations of
    /// the rest. `dihedral` past the end means every frame.
    pub fn hash_batch_dihedral_first(
        &self,
        frames: &[Frame<'_>],
        dihedral: usize,
    ) -> (Vec<DihedralHashes>, Vec<PdqHash>) {
        let dihedral = dihedral.min(frames.len());
        #[cfg(feature = "gpu")]
        if let Some(gpu) = &self.gpu {
            let mut all = gpu.hash_dihedral_batch(frames);
            let rest = all.split_off(dihedral);
            return (all, rest.iter().map(DihedralHashes::original).collect());
        }
        let (first, rest) = frames.split_at(dihedral);
        // Side by side, so that one large upload does not leave the other cores idle.
        rayon::join(
            || crate::cpu::hash_dihedral_batch(first),
            || crate::cpu::hash_batch(rest),
        )
    }

    /// The PDQ hash of every frame, in order.
    pub fn hash_batch(&self, frames: &[Frame<'_>]) -> Vec<PdqHash> {
        #[cfg(feature = "gpu")]
        if self.gpu.is_some() {
            return self
                .hash_dihedral_batch(frames)
                .iter()
                .map(DihedralHashes::original)
                .collect();
        }
        crate::cpu::hash_batch(frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PixelFormat;
    use crate::synthetic::synthetic_frames;

    #[test]
    fn a_partly_dihedral_batch_gives_what_the_full_one_does() {
        let hasher = BatchHasher::new(Backend::Cpu).unwrap();
        let pixels = synthetic_frames(97, 61, PixelFormat::Rgb8, 5);
        let frames: Vec<Frame<'_>> = pixels
            .iter()
            .map(|p| Frame::packed(p, 97, 61, PixelFormat::Rgb8).unwrap())
            .collect();
        let full = hasher.hash_dihedral_batch(&frames);
        for first in [0, 2, 5, 9] {
            let (dihedral, plain) = hasher.hash_batch_dihedral_first(&frames, first);
            let first = first.min(frames.len());
            assert_eq!(dihedral, full[..first]);
            let originals: Vec<PdqHash> =
                full[first..].iter().map(DihedralHashes::original).collect();
            assert_eq!(plain, originals);
        }
    }
}
