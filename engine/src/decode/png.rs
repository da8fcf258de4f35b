//! The PNGs photos are saved as (8 bits a channel, grey, RGB or RGBA, not interlaced), decoded
//! here instead of by the `image` crate, for speed: the chunks are read and checked (CRCs
//! included), the image data is inflated by `fdeflate` (the inflater the `png` crate uses), and
//! the rows are unfiltered by `png_unfilter`, whose Paeth decoding is what makes this path faster.
//!
//! Only what this path is sure of is decoded here; anything else returns `None` and is left to
//! the `image` crate, which decodes it or says what is wrong with it: other bit depths and colour
//! types, interlacing, a palette, a transparency chunk (the `image` crate expands it to alpha),
//! animation, an unknown critical chunk, a bad CRC or checksum, image data that ends early or
//! runs on, a missing `IEND`, an image over the caller's size limits, and EXIF orientation when
//! it is to be applied. So this path gives exactly the `image` crate's pixels or none; the fuzz
//! target `decode_image` checks that on every input it decodes.

use std::cell::RefCell;

use super::png_unfilter;
use crate::frame::MAX_SIDE;

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// What the header says of an image this path decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Header {
    pub width: u32,
    pub height: u32,
    /// Bytes a pixel: 1 (grey), 3 (RGB) or 4 (RGBA).
    pub channels: usize,
}

impl Header {
    /// Bytes of inflated image data: each row is a filter byte and its pixels.
    pub fn inflated_len(&self) -> usize {
        self.height as usize * (1 + self.width as usize * self.channels)
    }

    /// Bytes of unfiltered pixels, alpha included.
    pub fn pixels_len(&self) -> usize {
        self.height as usize * self.width as usize * self.channels
    }
}

/// A PNG this path decodes: its header and its image data, in chunks.
pub(super) struct Parsed<'a> {
    pub header: Header,
    image_data: Vec<&'a [u8]>,
}

/// The header and image data of `bytes`, when it is a PNG this path decodes (see the module's
/// documentation); `None` otherwise. `metadata_budget` is what the `png` crate would be allowed
/// for metadata: a file whose ancillary chunks might exceed it there is left to it.
pub(super) fn parse(bytes: &[u8], metadata_budget: u64) -> Option<Parsed<'_>> {
    let mut rest = bytes.strip_prefix(SIGNATURE)?;
    let mut header = None;
    // The `png` crate holds ancillary chunks (and an ICC profile, inflated) against its limit, a
    // chunk's buffer growing by doubling and text parsed into a second copy: a quarter of the
    // budget leaves room for all of that.
    let mut metadata_bytes = 0u64;
    let mut image_data = Vec::new();
    // Image data chunks must be consecutive: set once a chunk follows them.
    let mut image_data_ended = false;
    loop {
        let length = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
        if length > i32::MAX as u32 {
            return None;
        }
        let end = 8 + length as usize;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let data = rest.get(8..end)?;
        let crc = u32::from_be_bytes(rest.get(end..end + 4)?.try_into().ok()?);
        // Under cargo-fuzz the png crate skips CRCs, and so does this path: mutated chunks then
        // reach both decoders, whose pixels the fuzz target compares.
        let crc_wrong = !cfg!(fuzzing) && crc32fast::hash(&rest[4..end]) != crc;
        if crc_wrong || !kind.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        rest = &rest[end + 4..];
        if header.is_none() {
            header = Some(parse_header(&kind, data)?);
            continue;
        }
        match &kind {
            b"IDAT" if !image_data_ended => image_data.push(data),
            b"IEND" => break,
            // Transparency (made alpha by the `image` crate) and animation; and the chunks whose
            // malformed values the `png` crate treats as a broken file, not an ignored chunk.
            b"tRNS" | b"acTL" | b"fcTL" | b"fdAT" | b"cICP" | b"mDCV" | b"cLLI" | b"bKGD" => {
                return None;
            }
            // Any other critical chunk (a palette, a second header, a split image data).
            _ if kind[0].is_ascii_uppercase() => return None,
            _ => {
                image_data_ended |= !image_data.is_empty();
                metadata_bytes += data.len() as u64;
                if &kind == b"iCCP" {
                    metadata_bytes += inflated_profile_len(data, metadata_budget);
                }
                if metadata_bytes > metadata_budget / 4 {
                    return None;
                }
            }
        }
    }
    if image_data.is_empty() {
        return None;
    }
    Some(Parsed {
        header: header?,
        image_data,
    })
}

/// How long the ICC profile of an `iCCP` chunk is once inflated, as the `png` crate inflates it
/// (0 where it would give the profile up: a malformed chunk, or one past `limit`).
fn inflated_profile_len(data: &[u8], limit: u64) -> u64 {
    let Some(name_end) = data.iter().take(81).position(|&b| b == 0) else {
        return 0;
    };
    match data.get(name_end + 1..) {
        Some([0, stream @ ..]) => {
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            fdeflate::decompress_to_vec_bounded(stream, limit).map_or(0, |p| p.len() as u64)
        }
        _ => 0,
    }
}

/// The `IHDR` chunk of an image this path decodes.
fn parse_header(kind: &[u8; 4], data: &[u8]) -> Option<Header> {
    if kind != b"IHDR" || data.len() != 13 {
        return None;
    }
    let side = |at: usize| u32::from_be_bytes(data[at..at + 4].try_into().expect("4 bytes"));
    let (width, height) = (side(0), side(4));
    let channels = match data[9] {
        0 => 1,
        2 => 3,
        6 => 4,
        _ => return None,
    };
    let (bit_depth, compression, filter_method, interlace) =
        (data[8], data[10], data[11], data[12]);
    // Larger images are refused or resized first, on the `image` crate's path; within these
    // sides no size below overflows, even in 32 bits.
    let sides_valid = (1..=MAX_SIDE).contains(&width) && (1..=MAX_SIDE).contains(&height);
    (sides_valid && bit_depth == 8 && compression == 0 && filter_method == 0 && interlace == 0)
        .then_some(Header {
            width,
            height,
            channels,
        })
}

/// Most bytes a thread keeps between images for the inflated data and the joined chunks.
const MAX_KEPT_SCRATCH: usize = 64 << 20;

/// Inflates and unfilters `png` into `pixels` (at least `pixels_len() + 4` bytes long; the
/// first `pixels_len()` are written). `None` when the image data is not exactly one zlib stream
/// of the expected length with a correct checksum, or a row has an unknown filter.
pub(super) fn decode_into(png: &Parsed<'_>, pixels: &mut [u8]) -> Option<()> {
    thread_local! {
        static SCRATCH: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
    }
    SCRATCH.with(|cell| {
        let (mut inflated, mut joined) = cell.take();
        let result = inflate(png, &mut inflated, &mut joined).and_then(|()| {
            let header = png.header;
            png_unfilter::unfilter(
                &inflated,
                pixels,
                header.width as usize,
                header.height as usize,
                header.channels,
            )
        });
        for buffer in [&mut inflated, &mut joined] {
            // Not kept past a declined file either: the `image` crate decodes it next.
            if result.is_none() || buffer.capacity() > MAX_KEPT_SCRATCH {
                *buffer = Vec::new();
            }
        }
        cell.replace((inflated, joined));
        result
    })
}

/// The image data inflated into `inflated`: the chunks are joined in `joined` first when there
/// are several.
fn inflate(png: &Parsed<'_>, inflated: &mut Vec<u8>, joined: &mut Vec<u8>) -> Option<()> {
    let input: &[u8] = match png.image_data.as_slice() {
        [one] => one,
        chunks => {
            joined.clear();
            chunks
                .iter()
                .for_each(|chunk| joined.extend_from_slice(chunk));
            joined
        }
    };
    let expected = png.header.inflated_len();
    // Every byte is written by the inflater: a kept buffer's old bytes are not cleared first.
    inflated.resize(expected, 0);
    let mut decompressor = fdeflate::Decompressor::new();
    let (mut read, mut written) = (0, 0);
    while !decompressor.is_done() {
        let (consumed, produced) = decompressor
            .read(&input[read..], inflated, written, true)
            .ok()?;
        if consumed == 0 && produced == 0 {
            // The stream runs past the image (the output is full) or stops short of its end.
            return None;
        }
        read += consumed;
        written += produced;
    }
    (written == expected && read == input.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ExtendedColorType, ImageEncoder};

    /// `pixels` encoded by the `png` crate (through `image`) with the given filter.
    fn encode(
        pixels: &[u8],
        width: u32,
        height: u32,
        color: ExtendedColorType,
        filter: image::codecs::png::FilterType,
    ) -> Vec<u8> {
        let mut bytes = Vec::new();
        image::codecs::png::PngEncoder::new_with_quality(
            &mut bytes,
            image::codecs::png::CompressionType::Default,
            filter,
        )
        .write_image(pixels, width, height, color)
        .unwrap();
        bytes
    }

    fn decode(bytes: &[u8]) -> Option<Vec<u8>> {
        let png = parse(bytes, 16 << 20)?;
        let mut pixels = vec![0; png.header.pixels_len() + 4];
        decode_into(&png, &mut pixels)?;
        pixels.truncate(png.header.pixels_len());
        Some(pixels)
    }

    fn gradient(width: u32, height: u32, channels: usize) -> Vec<u8> {
        (0..height as usize * width as usize * channels)
            .map(|i| ((i * 7) ^ (i / 13 * 5)) as u8)
            .collect()
    }

    #[test]
    fn every_filter_and_colour_type_decodes_as_the_image_crate_does() {
        use image::codecs::png::FilterType;
        let colors = [
            (ExtendedColorType::L8, 1),
            (ExtendedColorType::Rgb8, 3),
            (ExtendedColorType::Rgba8, 4),
        ];
        for (color, channels) in colors {
            for filter in [
                FilterType::NoFilter,
                FilterType::Sub,
                FilterType::Up,
                FilterType::Avg,
                FilterType::Paeth,
                FilterType::Adaptive,
            ] {
                for (width, height) in [(1, 1), (3, 5), (17, 9), (64, 33)] {
                    let pixels = gradient(width, height, channels);
                    let bytes = encode(&pixels, width, height, color, filter);
                    assert_eq!(
                        decode(&bytes).as_deref(),
                        Some(&pixels[..]),
                        "{color:?} {filter:?} {width}x{height}"
                    );
                }
            }
        }
    }

    #[test]
    fn what_this_path_leaves_to_the_image_crate() {
        use image::codecs::png::FilterType;
        let pixels = gradient(8, 8, 3);
        let good = encode(&pixels, 8, 8, ExtendedColorType::Rgb8, FilterType::Paeth);
        assert!(decode(&good).is_some());
        // Cut anywhere: never decoded here.
        for cut in 0..good.len() {
            assert_eq!(decode(&good[..cut]), None, "cut at {cut}");
        }
        // A flipped bit in any chunk's data or CRC.
        for at in 8..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            assert_eq!(decode(&bad), None, "bit flipped at {at}");
        }
        // 16-bit, palette and grey-alpha images.
        let wide = encode(
            &gradient(4, 4, 6),
            4,
            4,
            ExtendedColorType::Rgb16,
            FilterType::Paeth,
        );
        assert!(parse(&wide, 16 << 20).is_none());
        let grey_alpha = encode(
            &gradient(4, 4, 2),
            4,
            4,
            ExtendedColorType::La8,
            FilterType::Paeth,
        );
        assert!(parse(&grey_alpha, 16 << 20).is_none());
    }

    /// `png` with a chunk of `kind` and `data` inserted after IHDR (8 + 25 bytes in).
    fn with_chunk(png: &[u8], kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut chunk = Vec::new();
        chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        let crc = crc32fast::hash(&chunk[4..]);
        chunk.extend_from_slice(&crc.to_be_bytes());
        [&png[..33], &chunk, &png[33..]].concat()
    }

    #[test]
    fn chunks_the_png_crate_may_refuse_are_left_to_it() {
        use image::codecs::png::FilterType;
        let good = encode(
            &gradient(4, 4, 3),
            4,
            4,
            ExtendedColorType::Rgb8,
            FilterType::Paeth,
        );
        let budget = 16 << 20;
        assert!(parse(&good, budget).is_some());
        // Transparency, and colour chunks whose bad values the png crate takes as a broken file.
        for (kind, data) in [
            (b"tRNS", &b"\0\x01\0\x02\0\x03"[..]),
            (b"cICP", b"\x01\x0d\x01\x01"),
            (b"bKGD", b"\0\0\0\0\0\0"),
        ] {
            assert!(
                parse(&with_chunk(&good, kind, data), budget).is_none(),
                "{kind:?}"
            );
        }
        // Text is ignored up to a quarter of the metadata budget.
        let text = [b"Comment\0".as_slice(), &[b'x'; 1000]].concat();
        assert!(parse(&with_chunk(&good, b"tEXt", &text), budget).is_some());
        assert!(parse(&with_chunk(&good, b"tEXt", &text), 4000).is_none());
        // An ICC profile counts inflated: 1 MB of zeros in a few hundred bytes.
        let mut profile = b"icc\0\0".to_vec();
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut encoder, &vec![0; 1 << 20]).unwrap();
        profile.extend(encoder.finish().unwrap());
        assert!(profile.len() < 4096);
        assert!(parse(&with_chunk(&good, b"iCCP", &profile), budget).is_some());
        assert!(parse(&with_chunk(&good, b"iCCP", &profile), 2 << 20).is_none());
    }

    #[test]
    fn sides_past_max_side_are_left_to_the_image_crate() {
        let header = |width: u32, height: u32| {
            let mut data = Vec::new();
            data.extend_from_slice(&width.to_be_bytes());
            data.extend_from_slice(&height.to_be_bytes());
            data.extend_from_slice(&[8, 2, 0, 0, 0]);
            data
        };
        assert!(parse_header(b"IHDR", &header(MAX_SIDE, MAX_SIDE)).is_some());
        assert!(parse_header(b"IHDR", &header(MAX_SIDE + 1, 1)).is_none());
        assert!(parse_header(b"IHDR", &header(2_145_965_031, 1_432_668_893)).is_none());
        assert!(parse_header(b"IHDR", &header(0, 5)).is_none());
    }
}
