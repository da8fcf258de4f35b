//! Image files to frames, through the `image` crate, with limits so that a decompression bomb is
//! an error rather than an allocation.
//!
//! Pixels are taken as Pillow's `convert("RGB")` gives them to the reference `pdqhash`: alpha is
//! dropped (not composited), 16-bit channels are reduced to 8, palettes expanded. Grey images stay
//! one channel: they hash exactly as their RGB expansion, with a third of the work.

use std::io::{BufRead, Cursor, Seek};
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use crate::error::{Error, Result};
use crate::frame::{Frame, MAX_SIDE, PixelFormat};

/// Longest side the C++ reference CLI hashes without resizing; larger images are first resized to
/// 512×512 by nearest neighbour (see [`DecodeOptions::cpp_cli_resize`]).
pub const CPP_CLI_SIDE: u32 = 512;

/// How files are decoded.
#[derive(Clone, Debug)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedImage {
    pub pixels: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// [`PixelFormat::Rgb8`] or [`PixelFormat::Luma8`].
    pub format: PixelFormat,
}

impl DecodedImage {
    /// The pixels as a packed frame.
    pub fn frame(&self) -> Result<Frame<'_>> {
        Frame::packed(&self.pixels, self.width, self.height, self.format)
    }
}

/// Decodes an image file (PNG, JPEG, GIF, WebP, BMP, TIFF).
pub fn decode_file(path: &Path, options: &DecodeOptions) -> Result<DecodedImage> {
    let reader = ImageReader::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    decode_reader(reader, options).map_err(|message| Error::Decode {
        path: path.to_owned(),
        message,
    })
}

/// Decodes an image held in memory; `name` labels errors.
pub fn decode_bytes(bytes: &[u8], name: &str, options: &DecodeOptions) -> Result<DecodedImage> {
    decode_reader(ImageReader::new(Cursor::new(bytes)), options).map_err(|message| Error::Decode {
        path: name.into(),
        message,
    })
}

/// The most bytes decoding `path` would allocate (the decoder's buffer and the 8-bit copy),
/// from its header alone; `None` when the header cannot be read (decoding will then fail and
/// say why). Callers decoding many files at once use it to bound their memory in total, as
/// [`DecodeOptions::max_alloc`] bounds it per file.
pub fn decoded_bytes_estimate(path: &Path) -> Option<u64> {
    let reader = ImageReader::open(path).ok()?.with_guessed_format().ok()?;
    guarded(|| Some(bytes_needed(&reader.into_decoder().ok()?)))
        .ok()
        .flatten()
}

/// What decoding needs in memory at its peak: the decoder's buffer plus the 8-bit copy.
fn bytes_needed(decoder: &impl ImageDecoder) -> u64 {
    let (width, height) = decoder.dimensions();
    decoder
        .total_bytes()
        .saturating_add(width as u64 * height as u64 * 3)
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

fn decode_reader<R: BufRead + Seek>(
    reader: ImageReader<R>,
    options: &DecodeOptions,
) -> std::result::Result<DecodedImage, String> {
    guarded(|| decode_unguarded(reader, options))?
}

fn decode_unguarded<R: BufRead + Seek>(
    reader: ImageReader<R>,
    options: &DecodeOptions,
) -> std::result::Result<DecodedImage, String> {
    let mut reader = reader.with_guessed_format().map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(options.max_alloc);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    // Not every decoder honours `max_alloc`: refuse before allocating, counting the 8-bit copy.
    let (width, height) = decoder.dimensions();
    let needed = bytes_needed(&decoder);
    if needed > options.max_alloc {
        return Err(format!(
            "{width}x{height} image would need {needed} bytes to decode, over the limit of {} \
             (a decompression bomb, or raise DecodeOptions::max_alloc)",
            options.max_alloc
        ));
    }
    let orientation = if options.apply_exif {
        Some(decoder.orientation().map_err(|e| e.to_string())?)
    } else {
        None
    };
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    let decoded = to_hashable(image);
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
