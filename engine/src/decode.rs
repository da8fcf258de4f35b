//! Image files to frames, through the `image` crate (PNG, JPEG, GIF, WebP, BMP, TIFF, PNM, QOI,
//! TGA, ICO), except 8-bit grey, RGB and RGBA PNGs (`decode/png.rs`: the same pixels, with a
//! faster Paeth unfiltering), behind the `turbojpeg` feature the system's libjpeg-turbo for JPEG
//! (`decode/turbo.rs`, Pillow's decoder and pixels), and behind the `avif` and `heic` features
//! the system's libheif (`decode/heif.rs`), with limits so that a decompression bomb is an
//! error, not an allocation. A file is read whole into a buffer the thread keeps, and decoded
//! from memory; 8-bit RGB and grey pixels are decoded straight into a reused buffer
//! (`decode/pool.rs`).
//!
//! Pixels are taken as Pillow's `convert("RGB")` gives them to the reference `pdqhash`: alpha is
//! dropped (not composited), 16-bit channels are reduced to 8, palettes expanded. Grey images stay
//! one channel: they hash exactly as their RGB expansion, with a third of the work.
//!
//! What is refused, and why:
//! - an empty file, and a truncated one: a file cut before its pixel data ends is an error, never
//!   a hash of the part that arrived (`decode/whole.rs` holds the JPEG and WebP checks the
//!   decoders lack);
//! - an image that would need more than [`DecodeOptions::max_alloc`] bytes of pixels, judged from
//!   its header before anything is allocated;
//! - metadata over [`MAX_METADATA_BYTES`]: a PNG's ICC profile, text and EXIF chunks are held in
//!   memory by its decoder, and a compressed profile can inflate a thousandfold;
//! - a side over [`MAX_SIDE`], the bound of the hash's integer filter, unless
//!   [`DecodeOptions::cpp_cli_resize`] first shrinks the image to 512×512.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::Path;

use image::error::{ImageError, LimitErrorKind};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::error::{Error, Result};
use crate::frame::{Frame, MAX_SIDE, PixelFormat};

mod heif;
mod png;
mod png_unfilter;
mod pool;
#[cfg(feature = "turbojpeg")]
mod turbo;
mod whole;

pub use pool::{MAX_POOLED_BUFFER, MAX_POOLED_BYTES};

/// Most bytes an image's metadata may take in memory while it is decoded. vigil reads no
/// metadata but the EXIF orientation; the PNG decoder holds ICC profiles (inflated), text and
/// EXIF chunks, and gives up an ICC profile that would inflate past this (the image is still
/// decoded). Real profiles take kilobytes; the largest a few megabytes.
pub const MAX_METADATA_BYTES: u64 = 16 << 20;

/// Longest side the C++ reference CLI hashes without resizing; larger images are first resized to
/// 512×512 by nearest neighbour (see [`DecodeOptions::cpp_cli_resize`]).
pub const CPP_CLI_SIDE: u32 = 512;

/// How files are decoded.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// Apply the EXIF orientation tag. Off by default, as in every ThreatExchange tool: lists are
    /// hashed from stored pixels and rotated uploads are caught by the dihedral hashes.
    pub apply_exif: bool,
    /// Reproduce the C++ command-line tool's preprocessing: images with a side over 512 are first
    /// resized to 512×512 (nearest neighbour, aspect ratio not kept), as its CImg `resize` does.
    pub cpp_cli_resize: bool,
    /// Largest decoded allocation in bytes; a file that would need more is refused.
    pub max_alloc: u64,
}

option_setters!(DecodeOptions {
    apply_exif: bool,
    cpp_cli_resize: bool,
    max_alloc: u64
});

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            apply_exif: false,
            cpp_cli_resize: false,
            max_alloc: 1 << 30,
        }
    }
}

/// A decoded image that owns its pixels; [`DecodedImage::frame`] borrows them for hashing.
///
/// When dropped, its pixel buffer is kept for the next decode (see [`MAX_POOLED_BYTES`]): a
/// reused buffer costs no page faults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedImage {
    pub pixels: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// [`PixelFormat::Rgb8`] or [`PixelFormat::Luma8`].
    pub format: PixelFormat,
}

impl Drop for DecodedImage {
    fn drop(&mut self) {
        pool::give(std::mem::take(&mut self.pixels));
    }
}

impl DecodedImage {
    /// The pixels as a packed frame.
    pub fn frame(&self) -> Result<Frame<'_>> {
        Frame::packed(&self.pixels, self.width, self.height, self.format)
    }
}

/// Decodes an image file (PNG, JPEG, GIF, WebP, BMP, TIFF, PNM, QOI, TGA, ICO; AVIF and HEIC
/// with the `avif` and `heic` features). The format is taken from the content, or from the
/// extension for TGA, which has no signature.
///
/// The file is read whole into a buffer kept by the thread for its next file, and decoded from
/// memory; a file larger than [`DecodeOptions::max_alloc`] is refused unread beyond that.
pub fn decode_file(path: &Path, options: &DecodeOptions) -> Result<DecodedImage> {
    decode_file_counted(path, options).0
}

/// [`decode_file`], and how many bytes the file held (0 when it could not be read): the size
/// comes from the read itself, with no second look at the file.
pub(crate) fn decode_file_counted(
    path: &Path,
    options: &DecodeOptions,
) -> (Result<DecodedImage>, u64) {
    thread_local! {
        static FILE_BYTES: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    FILE_BYTES.with(|cell| {
        let mut bytes = cell.take();
        let result = read_whole(path, &mut bytes, options.max_alloc).and_then(|()| {
            let hint = ImageFormat::from_path(path).ok();
            decode_slice(&bytes, hint, options).map_err(|message| Error::Decode {
                path: path.to_owned(),
                message,
            })
        });
        let read = bytes.len() as u64;
        // Keep the buffer for the thread's next file, unless this one was unusually large.
        if bytes.capacity() <= MAX_POOLED_BUFFER {
            cell.replace(bytes);
        }
        (result, read)
    })
}

/// Reads the file at `path` into `bytes` (replacing what it held); a file of more than `limit`
/// bytes is refused after reading `limit + 1`.
fn read_whole(path: &Path, bytes: &mut Vec<u8>, limit: u64) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    bytes.clear();
    let file = File::open(path).map_err(io)?;
    if let Ok(metadata) = file.metadata() {
        bytes.reserve(usize::try_from(metadata.len().min(limit)).unwrap_or(0));
    }
    // The encoded image may not be larger than its decoded pixels may be (as for a reader).
    file.take(limit.saturating_add(1))
        .read_to_end(bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(Error::Decode {
            path: path.to_owned(),
            message: format!("the file holds more than {limit} bytes; too large for one image"),
        });
    }
    Ok(())
}

/// Decodes an image held in memory; `name` labels errors, and its extension names the format of
/// a TGA image.
pub fn decode_bytes(
    bytes: &[u8],
    name: impl AsRef<Path>,
    options: &DecodeOptions,
) -> Result<DecodedImage> {
    let name = name.as_ref();
    let hint = ImageFormat::from_path(name).ok();
    decode_slice(bytes, hint, options).map_err(|message| Error::Decode {
        path: name.to_owned(),
        message,
    })
}

/// The most bytes decoding `path` would allocate (the decoder's buffer and the 8-bit copy),
/// from its header alone; `None` when the header cannot be read (decoding will then fail and
/// say why). Callers decoding many files at once use it to bound their memory in total, as
/// [`DecodeOptions::max_alloc`] bounds it per file.
pub fn decoded_bytes_estimate(path: &Path) -> Option<u64> {
    let reader = BufReader::new(File::open(path).ok()?);
    estimate(reader, ImageFormat::from_path(path).ok())
}

/// [`decoded_bytes_estimate`] of an image held in memory; `name`'s extension names the format
/// of a TGA image, as in [`decode_bytes`].
pub fn decoded_bytes_estimate_of(bytes: &[u8], name: impl AsRef<Path>) -> Option<u64> {
    estimate(Cursor::new(bytes), ImageFormat::from_path(name).ok())
}

/// What decoding the image `reader` holds would allocate at its peak, from its header.
fn estimate<R: BufRead + Seek>(mut reader: R, hint: Option<ImageFormat>) -> Option<u64> {
    let head = head(&mut reader).ok()?;
    if let Some(kind) = heif::sniff(&head) {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).ok()?;
        let (width, height) = guarded(|| heif::dimensions(&bytes, kind)).ok()??;
        return Some(heif::bytes_needed(width, height));
    }
    guarded(|| {
        let (decoder, format) = open_decoder(reader, hint, u64::MAX).ok()?;
        // A PNG may be decoded by `decode/png.rs`, which holds the inflated rows beside the
        // pixels: as many bytes again, plus a filter byte a row.
        let inflated = match format {
            Some(ImageFormat::Png) => decoder
                .total_bytes()
                .saturating_add(decoder.dimensions().1 as u64),
            _ => 0,
        };
        Some(bytes_needed(&decoder).saturating_add(inflated))
    })
    .ok()
    .flatten()
}

/// What decoding needs in memory at its peak: the decoder's buffer, plus the 8-bit copy unless
/// the decoder's output is hashed as it is (8-bit RGB or grey).
fn bytes_needed(decoder: &impl ImageDecoder) -> u64 {
    let (width, height) = decoder.dimensions();
    let copy = match hashable_directly(decoder.color_type()) {
        Some(_) => 0,
        None => width as u64 * height as u64 * 3,
    };
    decoder.total_bytes().saturating_add(copy)
}

/// Runs a decoder step, turning a panic inside the `image` crate's decoders (a bug on some
/// malformed file) into an error for that file: one bad file must not take down a batch.
fn guarded<T>(step: impl FnOnce() -> T) -> std::result::Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).map_err(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("the image decoder failed on this file ({what})")
    })
}

fn decode_slice(
    bytes: &[u8],
    hint: Option<ImageFormat>,
    options: &DecodeOptions,
) -> std::result::Result<DecodedImage, String> {
    guarded(|| decode_unguarded(bytes, hint, options))?
}

/// The first bytes of the file (up to a buffer's worth), without consuming them.
fn head<R: BufRead>(reader: &mut R) -> std::result::Result<Vec<u8>, String> {
    let buffer = reader.fill_buf().map_err(|e| e.to_string())?;
    Ok(buffer[..buffer.len().min(256)].to_vec())
}

/// The `image` crate's decoder for the file, and its format (from the content, else `hint`).
/// `max_alloc` bounds what the decoders count against it; PNG's counts its metadata alone (its
/// pixels are checked by the caller), so it gets [`MAX_METADATA_BYTES`].
fn open_decoder<'a, R: BufRead + Seek + 'a>(
    reader: R,
    hint: Option<ImageFormat>,
    max_alloc: u64,
) -> std::result::Result<(impl ImageDecoder + 'a, Option<ImageFormat>), String> {
    let mut reader = ImageReader::new(reader);
    if let Some(format) = hint {
        reader.set_format(format);
    }
    let mut reader = reader.with_guessed_format().map_err(|e| e.to_string())?;
    let format = reader.format();
    let mut limits = Limits::default();
    // Sides are checked by the caller, which names the limit and the size.
    limits.max_image_width = None;
    limits.max_image_height = None;
    limits.max_alloc = Some(if format == Some(ImageFormat::Png) {
        max_alloc.min(MAX_METADATA_BYTES)
    } else {
        max_alloc
    });
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .map_err(|e| describe(e, format, "reading the header"))?;
    Ok((decoder, format))
}

/// The image's EXIF orientation when `options` asks for it to be applied, else `None`.
fn exif_orientation(
    decoder: &mut impl ImageDecoder,
    format: Option<ImageFormat>,
    options: &DecodeOptions,
) -> std::result::Result<Option<image::metadata::Orientation>, String> {
    if !options.apply_exif {
        return Ok(None);
    }
    decoder
        .orientation()
        .map(Some)
        .map_err(|e| describe(e, format, "reading the EXIF orientation"))
}

/// An `image` error in words: a cut file says it is truncated, a PNG over its metadata budget
/// says so.
fn describe(error: ImageError, format: Option<ImageFormat>, during: &str) -> String {
    let text = error.to_string();
    // Decoders say it in their own words: an I/O error at the end of the stream (the `image`
    // crate hands it over as is, or wrapped in a decoder's error), or a message of their own.
    let lower = text.to_ascii_lowercase();
    let mut eof =
        lower.contains("unexpected end of file") || lower.contains("failed to fill whole buffer");
    if let ImageError::IoError(io) = &error {
        eof |= io.kind() == std::io::ErrorKind::UnexpectedEof;
    }
    let mut source = std::error::Error::source(&error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            eof |= io.kind() == std::io::ErrorKind::UnexpectedEof;
        }
        source = e.source();
    }
    if eof {
        return format!(
            "{}: it ends before its image data does ({text})",
            whole::TRUNCATED
        );
    }
    match &error {
        ImageError::Limits(limit)
            if format == Some(ImageFormat::Png)
                && matches!(limit.kind(), LimitErrorKind::InsufficientMemory) =>
        {
            format!(
                "the PNG's metadata (ICC profile, text or EXIF chunks) takes more than the \
                 {MAX_METADATA_BYTES} bytes allowed, {during}"
            )
        }
        _ => text,
    }
}

/// Refuses an image before decoding when a side is over [`MAX_SIDE`] (unless it is to be resized
/// for the C++ CLI) or when it would need more than [`DecodeOptions::max_alloc`] bytes.
fn check_size(
    width: u32,
    height: u32,
    needed: u64,
    options: &DecodeOptions,
) -> std::result::Result<(), String> {
    if (width > MAX_SIDE || height > MAX_SIDE) && !options.cpp_cli_resize {
        return Err(format!(
            "{width}x{height} image is over the {MAX_SIDE} pixels a side that vigil hashes \
             (the bound of its exact integer filter, vigil::MAX_SIDE); downscale it first"
        ));
    }
    if needed > options.max_alloc {
        return Err(format!(
            "{width}x{height} image would need {needed} bytes to decode, over the limit of {} \
             (a decompression bomb, or raise DecodeOptions::max_alloc)",
            options.max_alloc
        ));
    }
    Ok(())
}

fn decode_unguarded(
    bytes: &[u8],
    hint: Option<ImageFormat>,
    options: &DecodeOptions,
) -> std::result::Result<DecodedImage, String> {
    let head = &bytes[..bytes.len().min(256)];
    if head.is_empty() {
        return Err("empty file (0 bytes)".into());
    }
    if let Some(kind) = heif::sniff(head) {
        let decoded = heif::decode(bytes, kind, |width, height, needed| {
            check_size(width, height, needed, options)
        })?;
        return finish(decoded, options);
    }
    whole::check(&mut Cursor::new(bytes), head)?;
    if let Some(decoded) = decode_png(bytes, options) {
        return finish(decoded, options);
    }
    #[cfg(feature = "turbojpeg")]
    if head.starts_with(&[0xFF, 0xD8, 0xFF])
        && let Some(decoded) = decode_turbo(bytes, hint, options)?
    {
        return finish(decoded, options);
    }
    let (mut decoder, format) = open_decoder(Cursor::new(bytes), hint, options.max_alloc)?;
    // Not every decoder honours `max_alloc`: refuse before allocating, counting the 8-bit copy.
    let (width, height) = decoder.dimensions();
    check_size(width, height, bytes_needed(&decoder), options)?;
    let orientation = exif_orientation(&mut decoder, format, options)?;
    let decoded = match hashable_directly(decoder.color_type()) {
        // 8-bit RGB and grey are decoded straight into a pooled buffer.
        Some(pixel_format) => {
            let mut pixels = pool::take(decoder.total_bytes() as usize);
            decoder
                .read_image(&mut pixels)
                .map_err(|e| describe(e, format, "decoding the image"))?;
            DecodedImage {
                pixels,
                width,
                height,
                format: pixel_format,
            }
        }
        None => to_hashable(
            DynamicImage::from_decoder(decoder)
                .map_err(|e| describe(e, format, "decoding the image"))?,
        ),
    };
    finish(oriented(decoded, orientation), options)
}

/// The pixel format of a decoder's output that is hashed as it is, without conversion.
fn hashable_directly(color: image::ColorType) -> Option<PixelFormat> {
    match color {
        image::ColorType::Rgb8 => Some(PixelFormat::Rgb8),
        image::ColorType::L8 => Some(PixelFormat::Luma8),
        _ => None,
    }
}

/// `decoded` turned by the EXIF `orientation`, when there is one to apply.
fn oriented(
    decoded: DecodedImage,
    orientation: Option<image::metadata::Orientation>,
) -> DecodedImage {
    match orientation {
        None | Some(image::metadata::Orientation::NoTransforms) => decoded,
        Some(orientation) => {
            let mut decoded = decoded;
            let (width, height) = (decoded.width, decoded.height);
            let pixels = std::mem::take(&mut decoded.pixels);
            let sized = "sized by the decoder";
            let mut image = match decoded.format {
                PixelFormat::Luma8 => DynamicImage::ImageLuma8(
                    image::GrayImage::from_raw(width, height, pixels).expect(sized),
                ),
                _ => DynamicImage::ImageRgb8(
                    image::RgbImage::from_raw(width, height, pixels).expect(sized),
                ),
            };
            image.apply_orientation(orientation);
            to_hashable(image)
        }
    }
}

/// A PNG photo through `decode/png.rs`; `None` for an image it leaves to the `image` crate (and
/// for any image when the EXIF orientation is to be applied, which the `image` crate reads).
fn decode_png(bytes: &[u8], options: &DecodeOptions) -> Option<DecodedImage> {
    if options.apply_exif {
        return None;
    }
    let png = png::parse(bytes, options.max_alloc.min(MAX_METADATA_BYTES))?;
    let header = png.header;
    let len = header.pixels_len();
    // Over a limit, the `image` crate's path refuses the image and says why. Beside the pixels:
    // the inflated rows and, for image data in several chunks, their joined copy.
    let needed = (header.inflated_len() as u64)
        .saturating_add(len as u64)
        .saturating_add(bytes.len() as u64);
    check_size(header.width, header.height, needed, options).ok()?;
    // Four bytes of slack for the unfiltering's whole-word stores.
    let mut pixels = pool::take(len + 4);
    if png::decode_into(&png, &mut pixels).is_none() {
        pool::give(pixels);
        return None;
    }
    let format = match header.channels {
        1 => PixelFormat::Luma8,
        3 => PixelFormat::Rgb8,
        _ => {
            // Alpha is dropped, as Pillow's convert("RGB") drops it.
            for pixel in 0..len / 4 {
                for channel in 0..3 {
                    pixels[pixel * 3 + channel] = pixels[pixel * 4 + channel];
                }
            }
            PixelFormat::Rgb8
        }
    };
    pixels.truncate(len / header.channels * format.bytes_per_pixel());
    Some(DecodedImage {
        pixels,
        width: header.width,
        height: header.height,
        format,
    })
}

/// A JPEG through libjpeg-turbo (`decode/turbo.rs`); `None` for one it leaves to the `image`
/// crate.
#[cfg(feature = "turbojpeg")]
fn decode_turbo(
    bytes: &[u8],
    hint: Option<ImageFormat>,
    options: &DecodeOptions,
) -> std::result::Result<Option<DecodedImage>, String> {
    thread_local! {
        static DECOMPRESSOR: RefCell<Option<turbo::Decompressor>> = const { RefCell::new(None) };
    }
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let decompressor = match slot.as_mut() {
            Some(d) => d,
            None => slot.insert(turbo::Decompressor::new()?),
        };
        let Some(header) = decompressor.header(bytes)? else {
            return Ok(None);
        };
        let (width, height) = (header.width, header.height);
        let needed = width as u64 * height as u64 * header.format.bytes_per_pixel() as u64;
        check_size(width, height, needed, options)?;
        let orientation = if options.apply_exif {
            // The `image` crate reads the EXIF orientation from the header segments.
            let (mut decoder, format) = open_decoder(Cursor::new(bytes), hint, options.max_alloc)?;
            exif_orientation(&mut decoder, format, options)?
        } else {
            None
        };
        let mut pixels = pool::take(needed as usize);
        decompressor.decode(bytes, &header, &mut pixels)?;
        let decoded = DecodedImage {
            pixels,
            width,
            height,
            format: header.format,
        };
        Ok(Some(oriented(decoded, orientation)))
    })
}

/// Refuses an empty image; resizes for the C++ CLI when asked.
fn finish(
    decoded: DecodedImage,
    options: &DecodeOptions,
) -> std::result::Result<DecodedImage, String> {
    if decoded.width == 0 || decoded.height == 0 {
        return Err(format!(
            "image is empty ({}x{})",
            decoded.width, decoded.height
        ));
    }
    Ok(if options.cpp_cli_resize {
        cpp_cli_resize(decoded)
    } else {
        decoded
    })
}

fn to_hashable(image: DynamicImage) -> DecodedImage {
    let (width, height) = (image.width(), image.height());
    let grey = !image.color().has_color();
    let (pixels, format) = if grey {
        (image.into_luma8().into_raw(), PixelFormat::Luma8)
    } else {
        (image.into_rgb8().into_raw(), PixelFormat::Rgb8)
    };
    DecodedImage {
        pixels,
        width,
        height,
        format,
    }
}

/// The C++ CLI's `CImg::resize(512, 512)`: nearest neighbour, source index `⌊x · W / 512⌋`.
fn cpp_cli_resize(image: DecodedImage) -> DecodedImage {
    if image.width <= CPP_CLI_SIDE && image.height <= CPP_CLI_SIDE {
        return image;
    }
    let bpp = image.format.bytes_per_pixel();
    let side = CPP_CLI_SIDE as usize;
    let source_index = |x: usize, n: u32| x * n as usize / side;
    let mut pixels = Vec::with_capacity(side * side * bpp);
    for y in 0..side {
        let row = source_index(y, image.height) * image.width as usize * bpp;
        for x in 0..side {
            let at = row + source_index(x, image.width) * bpp;
            pixels.extend_from_slice(&image.pixels[at..at + bpp]);
        }
    }
    DecodedImage {
        pixels,
        width: CPP_CLI_SIDE,
        height: CPP_CLI_SIDE,
        format: image.format,
    }
}

#[cfg(test)]
mod tests;
