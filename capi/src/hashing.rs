//! Hashing frames: one at a time, or in batches through a hasher handle.

use std::ffi::{c_char, c_int};
use std::ptr;

use engine::{BatchHasher, DihedralHashes, Frame, Hash256, PdqHash, PixelFormat};

use crate::status::{Failure, VigilStatus, guard, guard_value};

/// A pixel layout (`VIGIL_PIXEL_FORMAT_*`), as `vigil::PixelFormat`. A plain integer, so that a
/// value the library does not know is refused with `VIGIL_STATUS_INVALID_ARGUMENT`.
pub type VigilPixelFormat = u32;
/// 8-bit red, green, blue: 3 bytes a pixel.
pub const VIGIL_PIXEL_FORMAT_RGB8: VigilPixelFormat = 0;
/// 8-bit red, green, blue, alpha (ignored): 4 bytes a pixel.
pub const VIGIL_PIXEL_FORMAT_RGBA8: VigilPixelFormat = 1;
/// 8-bit blue, green, red, alpha (ignored): 4 bytes a pixel (iOS's `kCVPixelFormatType_32BGRA`,
/// Android's `Bitmap.Config.ARGB_8888` read as little-endian words is RGBA8).
pub const VIGIL_PIXEL_FORMAT_BGRA8: VigilPixelFormat = 2;
/// 8-bit grey: 1 byte a pixel.
pub const VIGIL_PIXEL_FORMAT_LUMA8: VigilPixelFormat = 3;
/// Planar YUV 4:2:0: pass the Y plane (1 byte a pixel, with its stride); chroma is not read.
pub const VIGIL_PIXEL_FORMAT_I420: VigilPixelFormat = 4;
/// Semi-planar YUV 4:2:0 (camera frames): pass the Y plane; chroma is not read.
pub const VIGIL_PIXEL_FORMAT_NV12: VigilPixelFormat = 5;

/// The largest width or height a frame may have (`vigil::MAX_SIDE`).
pub const VIGIL_MAX_SIDE: u32 = 16384;
const _: () = assert!(VIGIL_MAX_SIDE == engine::MAX_SIDE);

/// The engine's pixel format for a C value.
pub(crate) fn pixel_format(format: VigilPixelFormat) -> Result<PixelFormat, Failure> {
    Ok(match format {
        VIGIL_PIXEL_FORMAT_RGB8 => PixelFormat::Rgb8,
        VIGIL_PIXEL_FORMAT_RGBA8 => PixelFormat::Rgba8,
        VIGIL_PIXEL_FORMAT_BGRA8 => PixelFormat::Bgra8,
        VIGIL_PIXEL_FORMAT_LUMA8 => PixelFormat::Luma8,
        VIGIL_PIXEL_FORMAT_I420 => PixelFormat::I420,
        VIGIL_PIXEL_FORMAT_NV12 => PixelFormat::Nv12,
        other => {
            return Err(Failure::invalid(format!(
                "unknown pixel format {other} (expected a VIGIL_PIXEL_FORMAT_* value, 0 to 5)"
            )));
        }
    })
}

/// Where to hash (`VIGIL_BACKEND_*`), as `vigil::Backend`.
pub type VigilBackend = u32;
/// A GPU if there is a hardware one, else the CPU (never fails for want of a GPU).
pub const VIGIL_BACKEND_AUTO: VigilBackend = 0;
/// The CPU (all cores).
pub const VIGIL_BACKEND_CPU: VigilBackend = 1;
/// A GPU, or `VIGIL_STATUS_GPU_UNAVAILABLE`.
pub const VIGIL_BACKEND_GPU: VigilBackend = 2;

/// A 256-bit PDQ hash, in the byte order of its 64-digit hex form (byte 0 is the first two
/// digits).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VigilHash {
    pub bytes: [u8; 32],
}

impl From<Hash256> for VigilHash {
    fn from(hash: Hash256) -> Self {
        VigilHash {
            bytes: *hash.as_bytes(),
        }
    }
}

impl From<VigilHash> for Hash256 {
    fn from(hash: VigilHash) -> Self {
        Hash256::from_bytes(hash.bytes)
    }
}

/// A PDQ hash and its quality (0 to 100; under 50 the image has too few features for its hash
/// to mean much).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VigilPdqHash {
    pub hash: VigilHash,
    pub quality: u8,
}

impl From<PdqHash> for VigilPdqHash {
    fn from(pdq: PdqHash) -> Self {
        VigilPdqHash {
            hash: pdq.hash.into(),
            quality: pdq.quality,
        }
    }
}

impl From<VigilPdqHash> for PdqHash {
    fn from(pdq: VigilPdqHash) -> Self {
        PdqHash {
            hash: pdq.hash.into(),
            quality: pdq.quality,
        }
    }
}

/// The eight orientations of a frame, as `vigil::Dihedral`, in the reference's order: the index
/// of each orientation's hash in `VigilDihedralHashes::hashes`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VigilDihedral {
    /// The frame as it is.
    Original = 0,
    /// Rotated 90 degrees.
    Rotate90 = 1,
    /// Rotated 180 degrees.
    Rotate180 = 2,
    /// Rotated 270 degrees.
    Rotate270 = 3,
    /// Mirrored left to right.
    FlipX = 4,
    /// Mirrored top to bottom.
    FlipY = 5,
    /// Transposed about the main diagonal.
    FlipPlus1 = 6,
    /// Transposed about the anti-diagonal.
    FlipMinus1 = 7,
}

impl From<engine::Dihedral> for VigilDihedral {
    fn from(orientation: engine::Dihedral) -> Self {
        use engine::Dihedral as D;
        match orientation {
            D::Original => VigilDihedral::Original,
            D::Rotate90 => VigilDihedral::Rotate90,
            D::Rotate180 => VigilDihedral::Rotate180,
            D::Rotate270 => VigilDihedral::Rotate270,
            D::FlipX => VigilDihedral::FlipX,
            D::FlipY => VigilDihedral::FlipY,
            D::FlipPlus1 => VigilDihedral::FlipPlus1,
            D::FlipMinus1 => VigilDihedral::FlipMinus1,
        }
    }
}

/// The hashes of all eight orientations of a frame (indexed by `VigilDihedral`) and its quality.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VigilDihedralHashes {
    pub hashes: [VigilHash; 8],
    pub quality: u8,
}

impl From<DihedralHashes> for VigilDihedralHashes {
    fn from(all: DihedralHashes) -> Self {
        VigilDihedralHashes {
            hashes: all.hashes.map(VigilHash::from),
            quality: all.quality,
        }
    }
}

impl From<VigilDihedralHashes> for DihedralHashes {
    fn from(all: VigilDihedralHashes) -> Self {
        DihedralHashes {
            hashes: all.hashes.map(Hash256::from),
            quality: all.quality,
        }
    }
}

/// One frame of a batch: `height` rows of `width` pixels in `format`, each row starting `stride`
/// bytes after the one before, in `len` readable bytes at `data` (at least
/// `stride * (height - 1) + width * bytes_per_pixel`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct VigilFrame {
    pub data: *const u8,
    pub len: usize,
    pub width: u32,
    pub height: u32,
    pub stride: usize,
    pub format: VigilPixelFormat,
}

/// A byte slice from C, checked for NULL and for a length no Rust slice may have.
///
/// # Safety
/// `data` must be NULL or point to `len` readable bytes that stay unchanged while the slice
/// lives.
pub(crate) unsafe fn bytes<'a>(
    data: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    if data.is_null() {
        return Err(Failure::null(name));
    }
    if len > isize::MAX as usize {
        return Err(Failure::invalid(format!(
            "`{name}` length {len} is larger than any buffer can be"
        )));
    }
    // SAFETY: non-null, at most isize::MAX bytes, readable as the caller promised.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// A checked frame from C's description of it.
///
/// # Safety
/// As [`bytes`], for `data` and `len`.
pub(crate) unsafe fn frame<'a>(
    data: *const u8,
    len: usize,
    width: u32,
    height: u32,
    stride: usize,
    format: VigilPixelFormat,
) -> Result<Frame<'a>, Failure> {
    let format = pixel_format(format)?;
    // SAFETY: forwarded to the caller.
    let data = unsafe { bytes(data, len, "data") }?;
    Ok(Frame::new(data, width, height, stride, format)?)
}

/// `out` as a mutable reference, or `VIGIL_STATUS_NULL_POINTER`.
///
/// # Safety
/// `out` must be NULL or valid for writes of a `T`.
pub(crate) unsafe fn out<'a, T>(out: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: forwarded to the caller; `as_mut` checks for NULL.
    unsafe { out.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// Hashes one frame on the calling thread (the CPU): its PDQ hash and quality into `*out`.
///
/// `data` holds `len` readable bytes: `height` rows of `width` pixels in `format`, each starting
/// `stride` bytes after the last (at least a row's bytes; more where rows are padded). Errors:
/// NULL `data` or `out`, a zero side or one over `VIGIL_MAX_SIDE`, a stride under a row, `len`
/// shorter than the frame, an unknown format (`VIGIL_STATUS_INVALID_ARGUMENT`). On error `*out`
/// is left as it was.
///
/// # Safety
/// `data` must point to `len` readable bytes and `out` to a writable `VigilPdqHash` (or be
/// NULL, which is an error).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hash_frame(
    data: *const u8,
    len: usize,
    width: u32,
    height: u32,
    stride: usize,
    format: VigilPixelFormat,
    out: *mut VigilPdqHash,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let frame = unsafe { frame(data, len, width, height, stride, format) }?;
        let out = unsafe { self::out(out, "out") }?;
        *out = engine::hash(&frame).into();
        Ok(())
    })
}

/// Hashes one frame in all eight orientations (`VigilDihedral` order) on the calling thread,
/// with one pass over its pixels; `out->hashes[VIGIL_DIHEDRAL_ORIGINAL]` is what
/// `vigil_hash_frame` gives. Arguments and errors as `vigil_hash_frame`.
///
/// # Safety
/// As `vigil_hash_frame`, with `out` pointing to a writable `VigilDihedralHashes`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hash_frame_dihedral(
    data: *const u8,
    len: usize,
    width: u32,
    height: u32,
    stride: usize,
    format: VigilPixelFormat,
    out: *mut VigilDihedralHashes,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let frame = unsafe { frame(data, len, width, height, stride, format) }?;
        let out = unsafe { self::out(out, "out") }?;
        *out = engine::hash_dihedral(&frame).into();
        Ok(())
    })
}

/// Bits that differ between two hashes (0 to 256); 256 when either pointer is NULL.
///
/// # Safety
/// `a` and `b` must be NULL or point to readable `VigilHash`es.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hash_distance(a: *const VigilHash, b: *const VigilHash) -> u32 {
    // SAFETY: forwarded to the caller; `as_ref` checks for NULL.
    match unsafe { (a.as_ref(), b.as_ref()) } {
        (Some(a), Some(b)) => Hash256::from(*a).distance(&Hash256::from(*b)),
        _ => 256,
    }
}

/// Writes `hash` as 64 lower-case hex digits and a NUL into `out` (65 bytes).
///
/// # Safety
/// `hash` must point to a readable `VigilHash`, `out` to 65 writable bytes (or be NULL, an
/// error).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hash_to_hex(
    hash: *const VigilHash,
    out: *mut c_char,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let hash = unsafe { hash.as_ref() }.ok_or_else(|| Failure::null("hash"))?;
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        let hex = Hash256::from(*hash).to_string();
        // SAFETY: `out` holds 65 writable bytes, as the caller promised.
        unsafe {
            ptr::copy_nonoverlapping(hex.as_ptr(), out.cast::<u8>(), hex.len());
            *out.add(hex.len()) = 0;
        }
        Ok(())
    })
}

/// Parses 64 hex digits (either case, NUL-terminated) into `*out`; anything else is
/// `VIGIL_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `hex` must be a NUL-terminated string, `out` a writable `VigilHash` (either NULL is an
/// error).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hash_from_hex(
    hex: *const c_char,
    out: *mut VigilHash,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let text = unsafe { crate::c_str(hex, "hex") }?;
        let out = unsafe { self::out(out, "out") }?;
        let hash: Hash256 = text
            .parse()
            .map_err(|e: engine::ParseHashError| Failure::invalid(e.to_string()))?;
        *out = hash.into();
        Ok(())
    })
}

/// The stable name of an orientation (`"original"`, `"rotate90"`, `"rotate180"`,
/// `"rotate270"`, `"flipx"`, `"flipy"`, `"flip+1"`, `"flip-1"`, as `vigil::Dihedral::name`), or
/// NULL for a value that is none. The string is static.
#[unsafe(no_mangle)]
pub extern "C" fn vigil_dihedral_name(orientation: u32) -> *const c_char {
    const NAMES: [&std::ffi::CStr; 8] = [
        c"original",
        c"rotate90",
        c"rotate180",
        c"rotate270",
        c"flipx",
        c"flipy",
        c"flip+1",
        c"flip-1",
    ];
    NAMES
        .get(orientation as usize)
        .map_or(ptr::null(), |name| name.as_ptr())
}

/// A batch hasher (`vigil::BatchHasher`): the CPU's cores, or a GPU. Create it once and reuse
/// it (opening a GPU takes tens of milliseconds).
///
/// Thread safety: immutable after `vigil_hasher_new`; one hasher may be used from several
/// threads at once. Free it once, after every call using it has returned.
pub struct VigilHasher {
    inner: BatchHasher,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<VigilHasher>();
};

/// Opens a hasher on `backend` (`VIGIL_BACKEND_*`) into `*out`, to be freed with
/// `vigil_hasher_free`. `VIGIL_BACKEND_GPU` fails with `VIGIL_STATUS_GPU_UNAVAILABLE` when
/// there is no usable GPU or the library was built without its `gpu` feature;
/// `VIGIL_BACKEND_AUTO` then falls back to the CPU (and also uses the CPU when the only GPU is
/// a software one).
///
/// # Safety
/// `out` must point to a writable `VigilHasher *` (NULL is an error).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hasher_new(
    backend: VigilBackend,
    out: *mut *mut VigilHasher,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let out = unsafe { self::out(out, "out") }?;
        let backend = match backend {
            VIGIL_BACKEND_AUTO => engine::Backend::Auto,
            VIGIL_BACKEND_CPU => engine::Backend::Cpu,
            VIGIL_BACKEND_GPU => engine::Backend::Gpu,
            other => {
                return Err(Failure::invalid(format!(
                    "unknown backend {other} (expected VIGIL_BACKEND_AUTO, _CPU or _GPU)"
                )));
            }
        };
        let inner = BatchHasher::new(backend)?;
        *out = Box::into_raw(Box::new(VigilHasher { inner }));
        Ok(())
    })
}

/// Frees a hasher; NULL is ignored.
///
/// # Safety
/// `hasher` must be NULL or a hasher from `vigil_hasher_new` not yet freed, used by no other
/// thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hasher_free(hasher: *mut VigilHasher) {
    if !hasher.is_null() {
        guard_value((), || {
            // SAFETY: a pointer from Box::into_raw in vigil_hasher_new, freed once.
            drop(unsafe { Box::from_raw(hasher) });
        });
    }
}

/// 1 when `hasher` hashes on a GPU, 0 on the CPU (and for NULL).
///
/// # Safety
/// `hasher` must be NULL or a live hasher.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hasher_is_gpu(hasher: *const VigilHasher) -> c_int {
    // SAFETY: forwarded to the caller.
    let Some(hasher) = (unsafe { hasher.as_ref() }) else {
        return 0;
    };
    guard_value(0, || {
        c_int::from(matches!(
            hasher.inner.active(),
            engine::ActiveBackend::Gpu(_)
        ))
    })
}

/// The frames of a batch that can be hashed, and the failures of those that cannot.
struct Batch<'a> {
    frames: Vec<Frame<'a>>,
    /// For each of `frames`, its index in the caller's array.
    positions: Vec<usize>,
}

/// Checks each of `count` frames, writing every frame's status to `statuses`; the thread's last
/// error becomes the first bad frame's message.
///
/// # Safety
/// `frames` must point to `count` readable descriptors, each as `vigil_hash_frame`'s arguments,
/// and `statuses` to `count` writable statuses.
unsafe fn batch<'a>(
    frames: *const VigilFrame,
    count: usize,
    statuses: *mut VigilStatus,
) -> Result<Batch<'a>, Failure> {
    if frames.is_null() {
        return Err(Failure::null("frames"));
    }
    if statuses.is_null() {
        return Err(Failure::null("statuses"));
    }
    if count > isize::MAX as usize / size_of::<VigilFrame>() {
        return Err(Failure::invalid(format!(
            "batch of {count} frames is too large"
        )));
    }
    // SAFETY: as the caller promised; count checked to fit an allocation. The statuses are
    // written through the pointer, never read: C may hand over uninitialised memory.
    let descriptors = unsafe { std::slice::from_raw_parts(frames, count) };
    let mut batch = Batch {
        frames: Vec::with_capacity(count),
        positions: Vec::with_capacity(count),
    };
    let mut first_failure = None;
    for (i, d) in descriptors.iter().enumerate() {
        // SAFETY: each descriptor's buffer is readable, as the caller promised.
        let status = match unsafe { frame(d.data, d.len, d.width, d.height, d.stride, d.format) } {
            Ok(frame) => {
                batch.frames.push(frame);
                batch.positions.push(i);
                VigilStatus::Ok
            }
            Err(failure) => {
                first_failure.get_or_insert_with(|| format!("frame {i}: {}", failure.message));
                failure.status
            }
        };
        // SAFETY: `statuses` holds `count` writable statuses, as the caller promised.
        unsafe { statuses.add(i).write(status) };
    }
    if let Some(message) = first_failure {
        crate::status::set_last_error(&message);
    }
    Ok(batch)
}

/// Hashes `count` frames through `hasher` (all cores, or the GPU), writing frame `i`'s hash to
/// `results[i]` and its status to `statuses[i]`. A bad frame fails alone: its status says why
/// (its result is zeroed) and the thread's last error holds the first bad frame's message,
/// while the call returns `VIGIL_STATUS_OK`. The call itself fails only for a NULL argument or
/// an oversized `count`. `count` may be 0.
///
/// # Safety
/// `hasher` must be a live hasher; `frames` must point to `count` readable descriptors (each
/// with `len` readable bytes at `data`), `results` to `count` writable `VigilPdqHash`es and
/// `statuses` to `count` writable `VigilStatus`es.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hasher_hash_batch(
    hasher: *const VigilHasher,
    frames: *const VigilFrame,
    count: usize,
    results: *mut VigilPdqHash,
    statuses: *mut VigilStatus,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let hasher = unsafe { hasher.as_ref() }.ok_or_else(|| Failure::null("hasher"))?;
        if results.is_null() {
            return Err(Failure::null("results"));
        }
        let batch = unsafe { batch(frames, count, statuses) }?;
        // SAFETY: `results` holds `count` writable hashes, as the caller promised.
        let results = unsafe { std::slice::from_raw_parts_mut(results, count) };
        results.fill(VigilPdqHash::default());
        let hashes = hasher.inner.hash_batch(&batch.frames);
        for (&i, pdq) in batch.positions.iter().zip(hashes) {
            results[i] = pdq.into();
        }
        Ok(())
    })
}

/// As `vigil_hasher_hash_batch`, with each frame's eight orientations.
///
/// # Safety
/// As `vigil_hasher_hash_batch`, with `results` pointing to `count` writable
/// `VigilDihedralHashes`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hasher_hash_dihedral_batch(
    hasher: *const VigilHasher,
    frames: *const VigilFrame,
    count: usize,
    results: *mut VigilDihedralHashes,
    statuses: *mut VigilStatus,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let hasher = unsafe { hasher.as_ref() }.ok_or_else(|| Failure::null("hasher"))?;
        if results.is_null() {
            return Err(Failure::null("results"));
        }
        let batch = unsafe { batch(frames, count, statuses) }?;
        // SAFETY: `results` holds `count` writable hashes, as the caller promised.
        let results = unsafe { std::slice::from_raw_parts_mut(results, count) };
        results.fill(VigilDihedralHashes::default());
        let hashes = hasher.inner.hash_dihedral_batch(&batch.frames);
        for (&i, all) in batch.positions.iter().zip(hashes) {
            results[i] = all.into();
        }
        Ok(())
    })
}
