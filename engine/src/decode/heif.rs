//! AVIF and HEIC: HEIF containers of AV1 or HEVC pictures, decoded by the system's libheif (which
//! decodes AV1 with dav1d or libaom and HEVC with libde265), each behind its cargo feature
//! (`avif`, `heic`). A build without the feature refuses such a file with a message naming it.
//!
//! libheif applies the container's rotation, mirroring and crop properties while decoding, as the
//! HEIF format requires (and as `pillow-heif` does); the EXIF orientation tag of such files is not
//! read. Pixels are taken as 8-bit RGB (higher bit depths reduced by libheif, alpha dropped).

/// Which HEIF kind a file is, from its `ftyp` box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Avif,
    Heic,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Avif => "AVIF",
            Kind::Heic => "HEIC",
        }
    }

    fn feature(self) -> &'static str {
        match self {
            Kind::Avif => "avif",
            Kind::Heic => "heic",
        }
    }

    fn built_in(self) -> bool {
        match self {
            Kind::Avif => cfg!(feature = "avif"),
            Kind::Heic => cfg!(feature = "heic"),
        }
    }

    /// The error of a build without this kind's feature.
    pub(super) fn not_built_in(self) -> String {
        format!(
            "{} support is not built in; build with --features {}",
            self.name(),
            self.feature()
        )
    }
}

/// The HEIF kind of a file starting with `head`, from the brands of its `ftyp` box: AV1 brands
/// make it AVIF, HEVC and generic HEIF brands HEIC. MP4 and other ISO-BMFF files are `None`.
pub(super) fn sniff(head: &[u8]) -> Option<Kind> {
    if head.len() < 16 || &head[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if size < 16 {
        return None;
    }
    // The major brand, then the compatible brands (after the minor version).
    let brands =
        std::iter::once(&head[8..12]).chain(head[16..size.min(head.len())].chunks_exact(4));
    let mut kind = None;
    for brand in brands {
        match brand {
            b"avif" | b"avis" => return Some(Kind::Avif),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
                kind = Some(Kind::Heic)
            }
            _ => {}
        }
    }
    kind
}

/// Bytes decoding a `width`×`height` HEIF image needs at its peak: libheif's YCbCr planes (up
/// to 16 bits a sample), its RGB image and vigil's copy.
pub(super) fn bytes_needed(width: u32, height: u32) -> u64 {
    u64::from(width) * u64::from(height) * (6 + 3 + 3)
}

/// Decodes the primary image of a HEIF file, refused when `kind`'s feature is not built in.
/// `check_size` sees the dimensions and the bytes needed before any pixel is decoded.
pub(super) fn decode(
    bytes: &[u8],
    kind: Kind,
    check_size: impl FnOnce(u32, u32, u64) -> Result<(), String>,
) -> Result<super::DecodedImage, String> {
    if !kind.built_in() {
        return Err(kind.not_built_in());
    }
    #[cfg(any(feature = "avif", feature = "heic"))]
    {
        libheif::decode(bytes, check_size)
    }
    #[cfg(not(any(feature = "avif", feature = "heic")))]
    {
        let _ = (bytes, check_size);
        unreachable!("no HEIF kind is built in")
    }
}

/// The width and height of a HEIF file's primary image, from its header; `None` when the kind
/// is not built in or the header cannot be read.
pub(super) fn dimensions(bytes: &[u8], kind: Kind) -> Option<(u32, u32)> {
    if !kind.built_in() {
        return None;
    }
    #[cfg(any(feature = "avif", feature = "heic"))]
    {
        libheif::dimensions(bytes)
    }
    #[cfg(not(any(feature = "avif", feature = "heic")))]
    {
        let _ = bytes;
        None
    }
}

#[cfg(any(feature = "avif", feature = "heic"))]
mod libheif {
    use std::sync::OnceLock;

    use libheif_rs::{
        ColorSpace, DecodingOptions, HeifContext, HeifError, HeifErrorSubCode, LibHeif, RgbChroma,
    };

    use super::super::{DecodedImage, whole::TRUNCATED};
    use crate::PixelFormat;

    /// libheif initialised once for the process (its init and deinit are global).
    fn library() -> &'static LibHeif {
        static LIBRARY: OnceLock<LibHeif> = OnceLock::new();
        LIBRARY.get_or_init(LibHeif::new)
    }

    fn message(error: HeifError) -> String {
        let text = error.message.trim_end().to_string();
        if matches!(error.sub_code, HeifErrorSubCode::EndOfData) {
            format!("{TRUNCATED}: {text}")
        } else {
            format!("libheif: {text}")
        }
    }

    pub(super) fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
        let _ = library();
        let context = HeifContext::read_from_bytes(bytes).ok()?;
        let handle = context.primary_image_handle().ok()?;
        Some((handle.width(), handle.height()))
    }

    pub(super) fn decode(
        bytes: &[u8],
        check_size: impl FnOnce(u32, u32, u64) -> Result<(), String>,
    ) -> Result<DecodedImage, String> {
        let library = library();
        let context = HeifContext::read_from_bytes(bytes).map_err(message)?;
        let handle = context.primary_image_handle().map_err(message)?;
        let (width, height) = (handle.width(), handle.height());
        check_size(width, height, super::bytes_needed(width, height))?;
        let mut options = DecodingOptions::new().ok_or("libheif: no decoding options")?;
        options.set_convert_hdr_to_8bit(true);
        let image = library
            .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), Some(options))
            .map_err(message)?;
        let planes = image.planes();
        let plane = planes
            .interleaved
            .ok_or("libheif returned no interleaved RGB plane")?;
        if plane.storage_bits_per_pixel != 24 || plane.width != width || plane.height != height {
            return Err(format!(
                "libheif returned a {}x{} plane of {} bits a pixel for a {width}x{height} image",
                plane.width, plane.height, plane.storage_bits_per_pixel
            ));
        }
        let row = width as usize * 3;
        let mut pixels = Vec::with_capacity(row * height as usize);
        for y in 0..height as usize {
            pixels.extend_from_slice(&plane.data[y * plane.stride..][..row]);
        }
        Ok(DecodedImage {
            pixels,
            width,
            height,
            format: PixelFormat::Rgb8,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len() as u32;
        let mut head = size.to_be_bytes().to_vec();
        head.extend_from_slice(b"ftyp");
        head.extend_from_slice(major);
        head.extend_from_slice(&[0; 4]);
        for brand in compatible {
            head.extend_from_slice(*brand);
        }
        head.extend_from_slice(b"\0\0\0\x08meta");
        head
    }

    #[test]
    fn brands_tell_avif_from_heic_and_from_mp4() {
        assert_eq!(sniff(&ftyp(b"avif", &[b"mif1", b"miaf"])), Some(Kind::Avif));
        assert_eq!(sniff(&ftyp(b"mif1", &[b"heic", b"avif"])), Some(Kind::Avif));
        assert_eq!(sniff(&ftyp(b"heic", &[b"mif1", b"heic"])), Some(Kind::Heic));
        assert_eq!(sniff(&ftyp(b"mif1", &[b"miaf"])), Some(Kind::Heic));
        assert_eq!(sniff(&ftyp(b"isom", &[b"iso2", b"mp41"])), None);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), None);
        // A compatible brand past the box's own size is not read.
        let mut short = ftyp(b"isom", &[b"avif"]);
        short[3] = 16;
        assert_eq!(sniff(&short), None);
    }

    #[test]
    fn the_refusal_names_the_feature() {
        assert_eq!(
            Kind::Avif.not_built_in(),
            "AVIF support is not built in; build with --features avif"
        );
        assert_eq!(
            Kind::Heic.not_built_in(),
            "HEIC support is not built in; build with --features heic"
        );
    }
}
