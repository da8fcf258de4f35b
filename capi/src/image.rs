//! Hashing encoded images (JPEG, PNG, ...) held in memory.

use engine::decode::{DecodeOptions, DecodedImage, decode_bytes};

use crate::hashing::{VigilDihedralHashes, VigilPdqHash, bytes, out};
use crate::status::{Failure, VigilStatus, guard};

/// How encoded images are decoded (`vigil::decode::DecodeOptions`). Fill it with
/// `vigil_decode_options_default`, then change what you need.
///
/// An image is refused with `VIGIL_STATUS_DECODE_ERROR` before anything is allocated when its
/// header says it needs more than `max_alloc_bytes` (a decompression bomb: a few kilobytes of
/// PNG or JPEG that claim gigapixels), or a side over `VIGIL_MAX_SIDE`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VigilDecodeOptions {
    /// Most bytes one decode may allocate for pixels: about 3 bytes a pixel for colour images,
    /// 1 for grey (default 1 GiB: 16384 × 16384 RGB is 805 MB). A phone app may want much less,
    /// e.g. 100 MB for images up to about 33 megapixels.
    pub max_alloc_bytes: u64,
    /// Non-zero: apply the EXIF orientation tag before hashing. Default 0, as every
    /// ThreatExchange tool: lists are hashed from stored pixels, and rotated uploads are caught
    /// by the dihedral hashes.
    pub apply_exif: u8,
    /// Non-zero: as Meta's C++ command-line tool, first resize images with a side over 512 to
    /// 512 × 512 (nearest neighbour); such images are then not refused for a side over
    /// `VIGIL_MAX_SIDE`. Default 0.
    pub cpp_cli_resize: u8,
}

impl From<&DecodeOptions> for VigilDecodeOptions {
    fn from(options: &DecodeOptions) -> Self {
        VigilDecodeOptions {
            max_alloc_bytes: options.max_alloc,
            apply_exif: options.apply_exif.into(),
            cpp_cli_resize: options.cpp_cli_resize.into(),
        }
    }
}

impl From<&VigilDecodeOptions> for DecodeOptions {
    fn from(options: &VigilDecodeOptions) -> Self {
        DecodeOptions::default()
            .apply_exif(options.apply_exif != 0)
            .cpp_cli_resize(options.cpp_cli_resize != 0)
            .max_alloc(options.max_alloc_bytes)
    }
}

/// Writes the default decoding options into `*out`.
///
/// # Safety
/// `out` must point to a writable `VigilDecodeOptions` (NULL is an error).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_decode_options_default(out: *mut VigilDecodeOptions) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        *unsafe { self::out(out, "out") }? = (&DecodeOptions::default()).into();
        Ok(())
    })
}

/// Decodes `len` bytes of an encoded image.
///
/// # Safety
/// `data` must point to `len` readable bytes; `options` must be NULL or readable.
unsafe fn decode(
    data: *const u8,
    len: usize,
    options: *const VigilDecodeOptions,
) -> Result<DecodedImage, Failure> {
    // SAFETY: forwarded to the caller.
    let data = unsafe { bytes(data, len, "data") }?;
    let options = match unsafe { options.as_ref() } {
        Some(options) => DecodeOptions::from(options),
        None => DecodeOptions::default(),
    };
    if data.is_empty() {
        return Err(Failure::invalid("image `len` is 0: no bytes to decode"));
    }
    // The name only labels messages (and would name a TGA's format by its extension).
    Ok(decode_bytes(data, "image", &options)?)
}

/// Decodes an encoded image held in memory (PNG, JPEG, GIF, WebP, BMP, TIFF, PNM, QOI, ICO; the
/// format is read from the bytes) and writes its PDQ hash to `*out`. `options` may be NULL for
/// the defaults (`vigil_decode_options_default`).
///
/// Errors: NULL `data` or `out`, `len` 0 (`VIGIL_STATUS_INVALID_ARGUMENT`); bytes that are not
/// a whole image of a known format, or that exceed the options' limits
/// (`VIGIL_STATUS_DECODE_ERROR`).
///
/// # Safety
/// `data` must point to `len` readable bytes, `options` be NULL or point to a readable
/// `VigilDecodeOptions`, `out` point to a writable `VigilPdqHash`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hash_image(
    data: *const u8,
    len: usize,
    options: *const VigilDecodeOptions,
    out: *mut VigilPdqHash,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let out = unsafe { self::out(out, "out") }?;
        let image = unsafe { decode(data, len, options) }?;
        *out = engine::hash(&image.frame()?).into();
        Ok(())
    })
}

/// As `vigil_hash_image`, with the image's eight orientations.
///
/// # Safety
/// As `vigil_hash_image`, with `out` pointing to a writable `VigilDihedralHashes`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_hash_image_dihedral(
    data: *const u8,
    len: usize,
    options: *const VigilDecodeOptions,
    out: *mut VigilDihedralHashes,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let out = unsafe { self::out(out, "out") }?;
        let image = unsafe { decode(data, len, options) }?;
        *out = engine::hash_dihedral(&image.frame()?).into();
        Ok(())
    })
}
