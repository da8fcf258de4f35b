//! `vigil._vigil`, the native half of vigil's Python package: conversions between numpy arrays,
//! Python objects and the `vigil` library, and nothing else. The Python modules in
//! `python/vigil/` give it its public shape (`vigil.pdq`, `vigil.Matcher`,
//! `vigil.threatexchange`); `python/vigil/_vigil.pyi` documents every item here.
//!
//! Long calls release the GIL ([`Python::detach`]); numpy arrays are read in place when their
//! pixels are packed (rows may be strided), copied once otherwise.

use std::borrow::Cow;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use vigil::decode::DecodeOptions;
use vigil::files::{
    FileHashOptions, FileHashes, HashedFile, ImageSource, hash_files, hash_sources,
};
use vigil::lists::{EntryId, HashList};
use vigil::matcher::{IndexChoice, MatchOptions, Query, QueryHashes, QueryOutcome};
use vigil::{Backend, BatchHasher, Dihedral, Frame, Hash256, PixelFormat};

create_exception!(
    vigil,
    VigilError,
    PyValueError,
    "An error from the vigil library (a bad frame, list or option); the message is the library's."
);

fn error(message: impl ToString) -> PyErr {
    VigilError::new_err(message.to_string())
}

/// A 256-bit PDQ hash: 32 bytes in hex order (most significant first).
#[pyclass(frozen, eq, hash, module = "vigil")]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hash(Hash256);

#[pymethods]
impl Hash {
    #[new]
    fn new(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        to_hash(value).map(Hash)
    }

    /// The 64 hex digits, most significant first (the reference's form).
    #[getter]
    fn hex(&self) -> String {
        self.0.to_string()
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.as_bytes())
    }

    /// The 256 bits as a numpy uint8 vector, most significant bit first (pdqhash's order).
    #[getter]
    fn bits<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u8>> {
        let bits: Vec<u8> = (0..256).rev().map(|k| u8::from(self.0.bit(k))).collect();
        PyArray1::from_vec(py, bits)
    }

    /// Hamming distance to another hash (or its hex or bytes): the number of differing bits.
    fn distance(&self, other: &Bound<'_, PyAny>) -> PyResult<u32> {
        Ok(self.0.distance(&to_hash(other)?))
    }

    /// Number of set bits.
    fn count_ones(&self) -> u32 {
        self.0.count_ones()
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        format!("vigil.Hash('{}')", self.0)
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let class = slf.get_type().into_any();
        Ok((class, (PyBytes::new(py, slf.get().0.as_bytes()),)))
    }
}

/// A hash from a `Hash`, 64 hex digits, or 32 bytes in hex order.
fn to_hash(value: &Bound<'_, PyAny>) -> PyResult<Hash256> {
    if let Ok(hash) = value.cast::<Hash>() {
        return Ok(hash.get().0);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return text.to_cow()?.parse().map_err(error);
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| error(format!("a PDQ hash is 32 bytes; got {} bytes", bytes.len())))?;
        return Ok(Hash256::from_bytes(bytes));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "a PDQ hash is a vigil.Hash, 64 hex digits or 32 bytes; got {}",
        value.get_type().name()?
    )))
}

/// The pixels of an array of frames: the bytes, and where each frame and row starts.
struct Pixels<'a> {
    data: Cow<'a, [u8]>,
    count: usize,
    width: u32,
    height: u32,
    row_stride: usize,
    frame_stride: usize,
    format: PixelFormat,
}

impl Pixels<'_> {
    fn frames(&self) -> PyResult<Vec<Frame<'_>>> {
        (0..self.count)
            .map(|n| {
                let data = &self.data[n * self.frame_stride..];
                Frame::new(data, self.width, self.height, self.row_stride, self.format)
                    .map_err(error)
            })
            .collect()
    }
}

/// Reads `array` (`[N×]H×W[×C]`, C = 1 grey, 3 RGB, 4 RGBA) in place when each pixel's bytes
/// are packed and rows and frames are laid out forwards without overlap; copies it once otherwise.
fn pixels<'a>(array: &'a PyReadonlyArrayDyn<'_, u8>, batched: bool) -> PyResult<Pixels<'a>> {
    let shape = array.shape();
    let strides = array.strides();
    let lead = usize::from(batched);
    let (channels, channel_stride) = match shape.len() - lead {
        2 => (1, 1),
        3 => (shape[lead + 2], strides[lead + 2]),
        _ => {
            return Err(error(format!(
                "expected an array of {}height × width [× channels]; got {} dimensions",
                if batched { "frames × " } else { "" },
                shape.len()
            )));
        }
    };
    let format = match channels {
        1 => PixelFormat::Luma8,
        3 => PixelFormat::Rgb8,
        4 => PixelFormat::Rgba8,
        c => {
            return Err(error(format!(
                "expected 1 (grey), 3 (RGB) or 4 (RGBA) channels; got {c}"
            )));
        }
    };
    let count = if batched { shape[0] } else { 1 };
    let (height, width) = (shape[lead], shape[lead + 1]);
    let size = |side: usize| {
        u32::try_from(side).map_err(|_| error(format!("a side of {side} pixels is too large")))
    };
    let (w, h) = (size(width)?, size(height)?);
    let row_bytes = width * channels;
    let (frame_stride, row_stride, pixel_stride) = (
        if batched { strides[0] } else { 0 },
        strides[lead],
        strides[lead + 1],
    );
    let packed_pixels =
        (channels == 1 || channel_stride == 1) && (width <= 1 || pixel_stride == channels as isize);
    let rows_forward = height <= 1 || row_stride >= row_bytes as isize;
    let frame_bytes = row_stride.max(0) as usize * height.saturating_sub(1) + row_bytes;
    let frames_forward = count <= 1 || frame_stride >= frame_bytes as isize;
    let empty = count == 0 || width == 0 || height == 0;
    if !empty && packed_pixels && rows_forward && frames_forward {
        let row_stride = if height <= 1 {
            row_bytes
        } else {
            row_stride as usize
        };
        let frame_stride = if count <= 1 { 0 } else { frame_stride as usize };
        let len = frame_stride * (count - 1) + row_stride * (height - 1) + row_bytes;
        // SAFETY: the array is borrowed read-only for 'a, starts at `data()` and, by the checks
        // above (strides forward, pixels packed), its last byte is `len - 1` bytes further on.
        let data = unsafe { std::slice::from_raw_parts(array.data() as *const u8, len) };
        return Ok(Pixels {
            data: Cow::Borrowed(data),
            count,
            width: w,
            height: h,
            row_stride,
            frame_stride,
            format,
        });
    }
    let data: Vec<u8> = array.as_array().iter().copied().collect();
    Ok(Pixels {
        data: Cow::Owned(data),
        count,
        width: w,
        height: h,
        row_stride: row_bytes,
        frame_stride: row_bytes * height,
        format,
    })
}

/// `(hashes, quality)`: one hash, or the eight dihedral hashes in the reference's order.
type Hashed = (Vec<Hash>, u8);

/// Hashes one image array (`H×W`, `H×W×1`, `H×W×3` RGB or `H×W×4` RGBA, uint8) on the CPU.
#[pyfunction]
#[pyo3(signature = (image, dihedral = false))]
fn hash_array(
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
fn dct_array(py: Python<'_>, image: PyReadonlyArrayDyn<'_, u8>) -> PyResult<(Vec<f64>, u8)> {
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
fn hash_encoded(
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
    inner: Arc<BatchHasher>,
}

fn backend(name: &str) -> PyResult<Backend> {
    name.parse::<Backend>().map_err(error)
}

fn hashed(all: &vigil::DihedralHashes, dihedral: bool) -> Hashed {
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
type ItemResult = (PathBuf, Option<Hashed>, Option<String>);

/// The settings of one call into `vigil::files`' pipeline, and the conversion of its results.
struct PipelineRun {
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
                Err(message) => (item.path, None, Some(message)),
            }));
            ControlFlow::Continue(())
        });
        out
    }
}

/// One vPDQ feature: `(frame number, quality, hash, timestamp in seconds)`.
type Feature = (u64, u8, Hash, f64);

fn feature(frame: u64, pdq: vigil::PdqHash, timestamp: std::time::Duration) -> Feature {
    (frame, pdq.quality, Hash(pdq.hash), timestamp.as_secs_f64())
}

/// vPDQ features of a video file through `vigil::video::hash_video_file`, decoded by ffmpeg as
/// `vigil video FILE` decodes it (each
/// frame's RGB as libswscale converts it, the pixels Meta's `vpdq` hashes): one frame every
/// `seconds_per_hash` (0: every frame), scaled to `downsample` first when given, hashed in
/// batches on `hasher`. A video ffmpeg cannot open, or one it reports damaged, is an error.
#[pyfunction]
#[pyo3(signature = (hasher, path, seconds_per_hash = 1.0, downsample = None, apply_rotation = false))]
fn hash_video_file(
    py: Python<'_>,
    hasher: &Hasher,
    path: PathBuf,
    seconds_per_hash: f64,
    downsample: Option<(u32, u32)>,
    apply_rotation: bool,
) -> PyResult<Vec<Feature>> {
    use vigil::video::ffmpeg::FfmpegOptions;
    use vigil::video::{VpdqOptions, hash_video_file};
    let hasher = Arc::clone(&hasher.inner);
    py.detach(move || {
        let named = |e: &dyn std::fmt::Display| error(format!("{}: {e}", path.display()));
        let options = VpdqOptions::default()
            .seconds_per_hash(seconds_per_hash)
            .prune_distance(None);
        let ffmpeg = FfmpegOptions::default()
            .downsample(downsample)
            .apply_rotation(apply_rotation);
        let (features, run) =
            hash_video_file(&path, hasher, &ffmpeg, &options).map_err(|e| named(&e))?;
        if let Some(damage) = run.damage {
            return Err(named(&format!(
                "the video is damaged ({} frames could be decoded and hashed): {damage}",
                features.len()
            )));
        }
        Ok(features
            .iter()
            .map(|f| {
                let pdq = vigil::PdqHash {
                    hash: f.hash,
                    quality: f.quality,
                };
                feature(f.frame, pdq, f.timestamp)
            })
            .collect())
    })
}

/// Frames pushed one at a time (decoded by PyAV, OpenCV, a camera...) through the library's
/// `FrameChecker`: hashed in batches on the hasher's backend while the caller decodes the next
/// ones. `submit` blocks (with the GIL released) while `capacity` frames are in flight, taking
/// finished results aside meanwhile, so no frame is dropped, the caller decodes no faster than
/// frames are hashed, and frame memory stays bounded.
#[pyclass(module = "vigil")]
pub struct VideoHasher {
    checker: Option<vigil::video::FrameChecker>,
    results: vigil::video::CheckedFrames,
    /// Results taken while `submit` waited for room, in order, before any still queued.
    taken: std::sync::Mutex<Vec<vigil::video::CheckedFrame>>,
}

#[pymethods]
impl VideoHasher {
    /// `capacity`: frames in flight before `submit` blocks (0: the library's default).
    #[new]
    #[pyo3(signature = (hasher, capacity = 0, batch_size = 0))]
    fn new(py: Python<'_>, hasher: &Hasher, capacity: usize, batch_size: usize) -> PyResult<Self> {
        let mut builder = vigil::video::FrameChecker::builder(Arc::clone(&hasher.inner));
        if capacity > 0 {
            builder = builder.capacity(capacity);
        }
        if batch_size > 0 {
            builder = builder.batch_size(batch_size);
        }
        let checker = py.detach(|| builder.start()).map_err(error)?;
        let results = checker.results();
        Ok(VideoHasher {
            checker: Some(checker),
            results,
            taken: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Submits one `H×W[×C]` uint8 frame with its frame number and timestamp (seconds); blocks
    /// while the checker is full. Returns the frame's submission number.
    fn submit(
        &self,
        py: Python<'_>,
        frame: PyReadonlyArrayDyn<'_, u8>,
        frame_number: u64,
        timestamp: f64,
    ) -> PyResult<u64> {
        let checker = self
            .checker
            .as_ref()
            .ok_or_else(|| error("this VideoHasher is finished"))?;
        let pixels = pixels(&frame, false)?;
        let frames = pixels.frames()?;
        let timestamp = std::time::Duration::try_from_secs_f64(timestamp).map_err(error)?;
        let position = vigil::video::FramePosition {
            index: frame_number,
            timestamp,
        };
        let results = &self.results;
        let taken = &self.taken;
        py.detach(|| {
            loop {
                match checker.try_submit(frames[0], position) {
                    Ok(sequence) => return Ok(sequence),
                    Err(vigil::video::TrySubmitError::Closed(_)) => {
                        return Err(error("the checker is closed"));
                    }
                    Err(vigil::video::TrySubmitError::Full(_)) => {
                        let wait = std::time::Duration::from_millis(5);
                        if let Some(done) = results.recv_timeout(wait) {
                            taken.lock().expect("not poisoned").push(done);
                        }
                    }
                }
            }
        })
    }

    /// The results ready now, in submission order, without waiting.
    fn ready(&self) -> Vec<Feature> {
        let mut done = std::mem::take(&mut *self.taken.lock().expect("not poisoned"));
        done.extend(std::iter::from_fn(|| self.results.try_recv()));
        done.into_iter()
            .map(|c| feature(c.position.index, c.hash, c.position.timestamp))
            .collect()
    }

    /// Closes the checker and returns every result not yet taken, in submission order.
    fn finish(&mut self, py: Python<'_>) -> PyResult<Vec<Feature>> {
        let checker = self
            .checker
            .take()
            .ok_or_else(|| error("this VideoHasher is finished"))?;
        let mut out = self.ready();
        let rest = py.detach(|| checker.finish());
        out.extend(
            rest.into_iter()
                .map(|c| feature(c.position.index, c.hash, c.position.timestamp)),
        );
        Ok(out)
    }
}

/// One match: `(list, entry, distance, orientation)`.
type RawMatch = (usize, usize, u32, &'static str);

/// Hash lists with their thresholds, over `vigil::matcher::Matcher`.
#[pyclass(module = "vigil")]
pub struct Matcher {
    inner: vigil::matcher::Matcher,
}

fn list_error(e: impl ToString) -> PyErr {
    error(e)
}

#[pymethods]
impl Matcher {
    /// `index`: `auto`, `flat` or `mih`; `include_low_quality`: match queries of quality < 50.
    #[new]
    #[pyo3(signature = (index = "auto", include_low_quality = false))]
    fn new(index: &str, include_low_quality: bool) -> PyResult<Self> {
        let index = index.parse::<IndexChoice>().map_err(error)?;
        let options = MatchOptions::default()
            .index(index)
            .include_low_quality(include_low_quality);
        Ok(Matcher {
            inner: vigil::matcher::Matcher::new(options),
        })
    }

    /// Loads a list file in any format vigil reads; returns its number.
    fn load(&mut self, py: Python<'_>, path: PathBuf, threshold: u32) -> PyResult<usize> {
        let list = py.detach(|| HashList::load(&path)).map_err(list_error)?;
        self.add_list(py, list, threshold)
    }

    /// Parses a list from its bytes (any format vigil reads); returns its number.
    fn parse(
        &mut self,
        py: Python<'_>,
        name: &str,
        data: &[u8],
        threshold: u32,
    ) -> PyResult<usize> {
        let list = py
            .detach(|| HashList::parse(name, data))
            .map_err(list_error)?;
        self.add_list(py, list, threshold)
    }

    /// Adds a list of hashes (`Hash`, hex or bytes) with optional qualities; returns its number.
    #[pyo3(signature = (name, hashes, qualities, threshold))]
    fn add_hashes(
        &mut self,
        py: Python<'_>,
        name: &str,
        hashes: Vec<Bound<'_, PyAny>>,
        qualities: Option<Vec<Option<u8>>>,
        threshold: u32,
    ) -> PyResult<usize> {
        let hashes = hashes.iter().map(to_hash).collect::<PyResult<Vec<_>>>()?;
        let qualities = qualities.unwrap_or_else(|| vec![None; hashes.len()]);
        if qualities.len() != hashes.len() {
            return Err(error(format!(
                "{} qualities for {} hashes",
                qualities.len(),
                hashes.len()
            )));
        }
        let list = HashList::from_hashes(name, hashes, qualities)
            .ok_or_else(|| error("a quality is over 100, or too many hashes"))?;
        self.add_list(py, list, threshold)
    }

    /// Adds a list of hex strings (parsed in Rust: the fast path for large lists).
    fn add_hex(
        &mut self,
        py: Python<'_>,
        name: &str,
        hexes: Vec<String>,
        threshold: u32,
    ) -> PyResult<usize> {
        let hashes = py.detach(|| {
            hexes
                .iter()
                .map(|h| h.parse::<Hash256>())
                .collect::<Result<Vec<_>, _>>()
        });
        let hashes = hashes.map_err(error)?;
        let qualities = vec![None; hashes.len()];
        let list = HashList::from_hashes(name, hashes, qualities)
            .ok_or_else(|| error("too many hashes"))?;
        self.add_list(py, list, threshold)
    }

    /// Number of lists.
    fn __len__(&self) -> usize {
        self.inner.list_count()
    }

    /// List `list`'s name, entry count and threshold.
    fn list_info(&self, list: usize) -> PyResult<(String, usize, u32, &'static str)> {
        let l = self
            .inner
            .list(list)
            .ok_or_else(|| error(format!("no list {list}")))?;
        Ok((
            l.name().to_owned(),
            l.len(),
            self.inner.threshold(list).unwrap_or(0),
            l.format().name(),
        ))
    }

    /// The id of entry `entry` of list `list` (an int for line or frame numbers, else a str)
    /// and its quality (`None` if the list gives none).
    fn entry(
        &self,
        py: Python<'_>,
        list: usize,
        entry: usize,
    ) -> PyResult<(Py<PyAny>, Option<u8>)> {
        let e = self
            .inner
            .list(list)
            .and_then(|l| l.entry(entry))
            .ok_or_else(|| error(format!("no entry {entry} in list {list}")))?;
        let id = match e.id {
            EntryId::Number(n) => n.into_pyobject(py)?.into_any().unbind(),
            EntryId::Text(s) => s.into_pyobject(py)?.into_any().unbind(),
        };
        Ok((id, e.quality))
    }

    /// Matches queries: each a list of 1 hash (as it is) or 8 (the dihedral hashes, in the
    /// reference's order), with a quality or `None`. Per query: its matches as
    /// `(list, entry, distance, orientation)`, and the quality of a query too featureless to
    /// match (`None` for a query that was matched).
    fn query(
        &self,
        py: Python<'_>,
        queries: Vec<Vec<Bound<'_, PyAny>>>,
        qualities: Vec<Option<u8>>,
    ) -> PyResult<Vec<(Vec<RawMatch>, Option<u8>)>> {
        if queries.len() != qualities.len() {
            return Err(error(format!(
                "{} qualities for {} queries",
                qualities.len(),
                queries.len()
            )));
        }
        let mut built = Vec::with_capacity(queries.len());
        for (hashes, quality) in queries.iter().zip(qualities) {
            let hashes = hashes.iter().map(to_hash).collect::<PyResult<Vec<_>>>()?;
            let hashes = match hashes.len() {
                1 => QueryHashes::Original(hashes[0]),
                8 => QueryHashes::Dihedral(hashes.try_into().expect("8 hashes")),
                n => {
                    return Err(error(format!(
                        "a query is 1 hash or the 8 dihedral hashes; got {n}"
                    )));
                }
            };
            built.push(Query { hashes, quality });
        }
        let matcher = &self.inner;
        Ok(py.detach(|| {
            matcher
                .match_queries(&built)
                .into_iter()
                .map(|outcome| match outcome {
                    QueryOutcome::Matched(matches) => (
                        matches
                            .into_iter()
                            .map(|m| (m.list, m.entry, m.distance, m.orientation.name()))
                            .collect(),
                        None,
                    ),
                    QueryOutcome::LowQuality(q) => (Vec::new(), Some(q)),
                })
                .collect()
        }))
    }

    /// Matches hex queries (as they are, quality unknown): for each, `(list, entry, distance)`.
    fn query_hex(
        &self,
        py: Python<'_>,
        hexes: Vec<String>,
    ) -> PyResult<Vec<Vec<(usize, usize, u32)>>> {
        let matcher = &self.inner;
        py.detach(|| {
            let queries = hexes
                .iter()
                .map(|h| {
                    Ok(Query {
                        hashes: QueryHashes::Original(h.parse::<Hash256>()?),
                        quality: None,
                    })
                })
                .collect::<Result<Vec<_>, vigil::ParseHashError>>()?;
            Ok(matcher
                .match_queries(&queries)
                .into_iter()
                .map(|outcome| match outcome {
                    QueryOutcome::Matched(matches) => matches
                        .into_iter()
                        .map(|m| (m.list, m.entry, m.distance))
                        .collect(),
                    QueryOutcome::LowQuality(_) => Vec::new(),
                })
                .collect())
        })
        .map_err(|e: vigil::ParseHashError| error(e))
    }
}

impl Matcher {
    fn add_list(&mut self, py: Python<'_>, list: HashList, threshold: u32) -> PyResult<usize> {
        let inner = &mut self.inner;
        py.detach(|| inner.add_list(list, threshold))
            .map_err(error)?;
        Ok(self.inner.list_count() - 1)
    }
}

/// The names of the eight dihedral orientations, in the reference's order.
#[pyfunction]
fn dihedral_names() -> Vec<&'static str> {
    Dihedral::ALL.iter().map(|d| d.name()).collect()
}

/// The cargo features this build has: `gpu` (hashing on a GPU through wgpu), `turbojpeg`
/// (JPEG decoded by libjpeg-turbo, as Pillow decodes it).
#[pyfunction]
fn features() -> Vec<&'static str> {
    let mut out = Vec::new();
    if cfg!(feature = "gpu") {
        out.push("gpu");
    }
    if cfg!(feature = "turbojpeg") {
        out.push("turbojpeg");
    }
    out
}

#[pymodule]
fn _vigil(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("VigilError", m.py().get_type::<VigilError>())?;
    m.add("DEFAULT_THRESHOLD", vigil::DEFAULT_THRESHOLD)?;
    m.add("MIN_QUALITY", vigil::MIN_QUALITY)?;
    m.add_class::<Hash>()?;
    m.add_class::<Hasher>()?;
    m.add_class::<Matcher>()?;
    m.add_class::<VideoHasher>()?;
    m.add_function(wrap_pyfunction!(hash_video_file, m)?)?;
    m.add_function(wrap_pyfunction!(hash_array, m)?)?;
    m.add_function(wrap_pyfunction!(dct_array, m)?)?;
    m.add_function(wrap_pyfunction!(hash_encoded, m)?)?;
    m.add_function(wrap_pyfunction!(dihedral_names, m)?)?;
    m.add_function(wrap_pyfunction!(features, m)?)?;
    Ok(())
}
