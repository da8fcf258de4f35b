//! Hashing: one array or encoded image on the CPU, and `vigil.Hasher` (batches on a backend,
//! files and images in memory through `vigil::files`).

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use numpy::PyReadonlyArrayDyn;
use pyo3::prelude::*;

use vigil::decode::DecodeOptions;
use vigil::files::{
    FileHashOptions, FileHashes, HashedFile, ImageSource, hash_files, hash_sources,
};
use vigil::robust::{RobustOptions, hash_robust_batch};
use vigil::{Backend, BatchHasher};

use crate::error;
use crate::hash::Hash;
use crate::pixels::pixels;

/// `(hashes, quality)`: one hash, or the eight dihedral hashes in the reference's order.
pub(crate) type Hashed = (Vec<Hash>, u8);

/// One upload's robust query: `(gate quality, [(variant, hash, quality)])`, the plain hash first.
pub(crate) type RobustQuery = (u8, Vec<(String, Hash, u8)>);

/// Hashes one image array (`H×W`, `H×W×1`, `H×W×3` RGB or `H×W×4` RGBA, uint8) on the CPU.
#[pyfunction]
#[pyo3(signature = (image, dihedral = false))]
pub(crate) fn hash_array(
    py: Python<'_>,
    image: PyReadonlyArrayDyn<'_, u8>,
    dihedral: bool,
) -> PyResult<Hashed> {
    let pixels = pixels(&image, false)?;
    let frames = pixels.frames()?;
    let frame = frames[0];
    Ok(py.detach(|| {
        if dihedral {
            let all = vigil::hash_dihedral(&frame);
            (all.hashes.iter().copied().map(Hash).collect(), all.quality)
        } else {
            let pdq = vigil::hash(&frame);
            (vec![Hash(pdq.hash)], pdq.quality)
        }
    }))
}

/// The 16×16 DCT block of one image as floats (row-major) and its quality (`vigil::cpu::dct_block`): the integer DCT
/// divided by its scale (see `vigil::stages`), which is the exact DCT of the filtered luma to
/// about one part in 10^7 of its largest value.
#[pyfunction]
pub(crate) fn dct_array(
    py: Python<'_>,
    image: PyReadonlyArrayDyn<'_, u8>,
) -> PyResult<(Vec<f64>, u8)> {
    let pixels = pixels(&image, false)?;
    let frames = pixels.frames()?;
    let frame = frames[0];
    Ok(py.detach(|| {
        let (dct, quality) = vigil::cpu::dct_block(&frame);
        (dct.to_vec(), quality)
    }))
}

/// Decodes an encoded image (any format vigil reads; `name` names it in errors) and hashes it
/// on the CPU.
#[pyfunction]
#[pyo3(signature = (data, name = "<bytes>", dihedral = false, apply_exif = false))]
pub(crate) fn hash_encoded(
    py: Python<'_>,
    data: &[u8],
    name: &str,
    dihedral: bool,
    apply_exif: bool,
) -> PyResult<Hashed> {
    let options = DecodeOptions::default().apply_exif(apply_exif);
    py.detach(|| {
        let image = vigil::decode::decode_bytes(data, name, &options)?;
        let all = vigil::hash_dihedral(&image.frame()?);
        Ok(hashed(&all, dihedral))
    })
    .map_err(|e: vigil::Error| error(e))
}

/// Where batches are hashed: a GPU through wgpu, or the CPU.
#[pyclass(frozen, module = "vigil")]
pub struct Hasher {
    pub(crate) inner: Arc<BatchHasher>,
}

pub(crate) fn backend(name: &str) -> PyResult<Backend> {
    name.parse::<Backend>().map_err(error)
}

pub(crate) fn hashed(all: &vigil::DihedralHashes, dihedral: bool) -> Hashed {
    let take = if dihedral { 8 } else { 1 };
    (
        all.hashes[..take].iter().copied().map(Hash).collect(),
        all.quality,
    )
}

#[pymethods]
impl Hasher {
    /// `backend`: `auto` (a hardware GPU if there is one, else the CPU), `cpu` or `gpu`.
    #[new]
    #[pyo3(signature = (backend = "auto"))]
    fn new(py: Python<'_>, backend: &str) -> PyResult<Self> {
        let backend = self::backend(backend)?;
        let inner = py.detach(|| BatchHasher::new(backend)).map_err(error)?;
        Ok(Hasher {
            inner: Arc::new(inner),
        })
    }

    /// Which backend hashes: `cpu`, or the GPU adapter's description.
    #[getter]
    fn active(&self) -> String {
        self.inner.active().to_string()
    }

    /// Hashes an `N×H×W[×C]` uint8 array of frames in one batch.
    #[pyo3(signature = (frames, dihedral = false))]
    fn hash_frames(
        &self,
        py: Python<'_>,
        frames: PyReadonlyArrayDyn<'_, u8>,
        dihedral: bool,
    ) -> PyResult<Vec<Hashed>> {
        let pixels = pixels(&frames, true)?;
        let frames = pixels.frames()?;
        let hasher = &self.inner;
        Ok(py.detach(|| {
            if dihedral {
                hasher
                    .hash_dihedral_batch(&frames)
                    .iter()
                    .map(|all| hashed(all, true))
                    .collect()
            } else {
                hasher
                    .hash_batch(&frames)
                    .iter()
                    .map(|pdq| (vec![Hash(pdq.hash)], pdq.quality))
                    .collect()
            }
        }))
    }

    /// Robust queries (`vigil::robust::hash_robust_batch`, default variants) of an `N×H×W[×C]`
    /// uint8 array of uploads, in one batch. Per upload `(gate_quality, variants)`: the quality
    /// it is gated on (the larger of PDQ's and the contrast-normalised one), and every hash of
    /// its query as `(variant, hash, quality)`, the plain hash first (`plain`, `region0`,
    /// `turn-3`, `zoom1050`, `unmarked`, ...).
    fn hash_frames_robust(
        &self,
        py: Python<'_>,
        frames: PyReadonlyArrayDyn<'_, u8>,
    ) -> PyResult<Vec<RobustQuery>> {
        let pixels = pixels(&frames, true)?;
        let frames = pixels.frames()?;
        let hasher = &self.inner;
        Ok(py.detach(|| {
            hash_robust_batch(hasher, &frames, &RobustOptions::default())
                .iter()
                .map(|query| {
                    let variants = query
                        .all()
                        .map(|(variant, pdq)| (variant.to_string(), Hash(pdq.hash), pdq.quality))
                        .collect();
                    (query.gate_quality(), variants)
                })
                .collect()
        }))
    }

    /// Hashes image files and folders (walked recursively) through `vigil::files::hash_files`:
    /// decoded in parallel on `threads` threads (0: all cores), hashed in batches. One
    /// `(path, hashes, quality, error)` per file, in input order; a file that fails has `None`
    /// hashes and its message, and the others are still hashed.
    #[pyo3(signature = (paths, dihedral = false, apply_exif = false, cpp_cli_resize = false, threads = 0))]
    fn hash_files(
        &self,
        py: Python<'_>,
        paths: Vec<PathBuf>,
        dihedral: bool,
        apply_exif: bool,
        cpp_cli_resize: bool,
        threads: usize,
    ) -> PyResult<Vec<ItemResult>> {
        let run = PipelineRun::new(threads, dihedral, apply_exif, cpp_cli_resize)?;
        let hasher = &self.inner;
        Ok(py.detach(|| {
            run.collect(|pool, options, each| hash_files(pool, hasher, &paths, options, each))
        }))
    }

    /// Hashes encoded images held in memory (`(name, bytes)` pairs; the name labels errors and
    /// names a TGA image's format) through `vigil::files::hash_sources`: the same pipeline as
    /// `hash_files` (parallel decoding within the memory budget, batches, input order, a bad
    /// image failing alone), for uploads that never touch the disk.
    #[pyo3(signature = (images, dihedral = false, apply_exif = false, threads = 0))]
    fn hash_encoded_batch(
        &self,
        py: Python<'_>,
        images: Vec<(PathBuf, Vec<u8>)>,
        dihedral: bool,
        apply_exif: bool,
        threads: usize,
    ) -> PyResult<Vec<ItemResult>> {
        let run = PipelineRun::new(threads, dihedral, apply_exif, false)?;
        let hasher = &self.inner;
        let sources = images
            .into_iter()
            .map(|(name, bytes)| ImageSource::bytes(name, bytes));
        Ok(py.detach(|| {
            run.collect(|pool, options, each| hash_sources(pool, hasher, sources, options, each))
        }))
    }
}

/// One item's result from the files pipeline: `(name, (hashes, quality) or None, error or None)`.
pub(crate) type ItemResult = (PathBuf, Option<Hashed>, Option<String>);

/// The settings of one call into `vigil::files`' pipeline, and the conversion of its results.
pub(crate) struct PipelineRun {
    pool: rayon::ThreadPool,
    options: FileHashOptions,
}

impl PipelineRun {
    fn new(
        threads: usize,
        dihedral: bool,
        apply_exif: bool,
        cpp_cli_resize: bool,
    ) -> PyResult<PipelineRun> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(error)?;
        let decode = DecodeOptions::default()
            .apply_exif(apply_exif)
            .cpp_cli_resize(cpp_cli_resize);
        let options = FileHashOptions::default().decode(decode).dihedral(dihedral);
        Ok(PipelineRun { pool, options })
    }

    /// Runs `pipeline` (`hash_files` or `hash_sources`) to the end, every result in input order.
    fn collect(
        &self,
        pipeline: impl FnOnce(
            &rayon::ThreadPool,
            &FileHashOptions,
            &mut dyn FnMut(Vec<HashedFile>) -> ControlFlow<()>,
        ) -> ControlFlow<()>,
    ) -> Vec<ItemResult> {
        let mut out = Vec::new();
        let _ = pipeline(&self.pool, &self.options, &mut |chunk| {
            out.extend(chunk.into_iter().map(|item| match item.result {
                Ok(FileHashes::Single(pdq)) => {
                    (item.path, Some((vec![Hash(pdq.hash)], pdq.quality)), None)
                }
                Ok(FileHashes::Dihedral(all)) => (item.path, Some(hashed(&all, true)), None),
                Ok(FileHashes::Robust(robust)) => {
                    (item.path, Some(hashed(&robust.plain, true)), None)
                }
                Ok(other) => {
                    let pdq = other.original();
                    (item.path, Some((vec![Hash(pdq.hash)], pdq.quality)), None)
                }
                Err(message) => (item.path, None, Some(message)),
            }));
            ControlFlow::Continue(())
        });
        out
    }
}
