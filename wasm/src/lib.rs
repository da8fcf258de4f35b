//! vigil in WebAssembly: PDQ hashes of images and pixels, and matching against hash lists, in a
//! browser or in Node, on the engine's CPU path.
//!
//! A thin layer over the `vigil` library, built with wasm-bindgen: it converts typed arrays and
//! strings to the library's types, calls it, and converts results and errors back (an error is
//! thrown as a JS `Error` carrying the library's message). Nothing here hashes, decodes or
//! matches on its own. The hashes are the engine's, bit for bit: the same integer arithmetic runs
//! in wasm32 as on x86_64 and aarch64, sequentially where the page has no threads.
//!
//! From JavaScript (the `web` target of wasm-bindgen; the `nodejs` target is the same without
//! `init`):
//!
//! ```js
//! import init, { hashPixels, hashImageDihedral, Matcher } from "./pkg/vigil_wasm.js";
//! await init();
//! const pdq = hashPixels(image.width, image.height, image.data);   // an ImageData: RGBA
//! console.log(pdq.hex, pdq.quality);
//! const all = hashImageDihedral(new Uint8Array(await file.arrayBuffer()));
//! const matcher = new Matcher();
//! matcher.addList("known.bin", new Uint8Array(await (await fetch("known.bin")).arrayBuffer()), 31);
//! const outcome = matcher.matchDihedral(all);
//! if (outcome.matched) console.log(outcome.best.distance, outcome.best.orientation);
//! ```
//!
//! The same calls from Rust (the crate also builds for the host, where it is tested):
//!
//! ```
//! use vigil_wasm::{hash_pixels, Matcher};
//! let (width, height) = (64u32, 48u32);
//! let rgba: Vec<u8> = (0..width * height * 4).map(|i| (i * 7 % 251) as u8).collect();
//! let pdq = hash_pixels(width, height, &rgba, None).unwrap();
//! assert_eq!(pdq.hex().len(), 64);
//!
//! let mut matcher = Matcher::new(None);
//! let list = format!("{},{},photo-1\n", pdq.hex(), pdq.quality());
//! matcher.add_list("known.csv".into(), list.as_bytes(), None).unwrap();
//! let outcome = matcher.match_pdq(&pdq);
//! assert!(outcome.matched());
//! assert_eq!(outcome.best().unwrap().distance(), 0);
//! assert_eq!(outcome.best().unwrap().id(), "photo-1");
//! ```

use std::fmt::Display;

use vigil::decode::{DecodeOptions, decode_bytes};
use vigil::lists::HashList;
use vigil::matcher::{self, MatchOptions, Query, QueryHashes, QueryOutcome};
use vigil::{Dihedral, DihedralHashes, Frame, Hash256, PdqHash, PixelFormat};
use wasm_bindgen::prelude::*;

/// The PDQ match threshold used when none is given: distances up to 31 bits match (PDQ practice).
pub const DEFAULT_THRESHOLD: u32 = vigil::DEFAULT_THRESHOLD;

/// The name an image gets in error messages when the caller gives none.
const DEFAULT_IMAGE_NAME: &str = "image";

/// The error thrown to JavaScript: a JS `Error` whose message is the library's.
fn js_error(error: impl Display) -> JsError {
    JsError::new(&error.to_string())
}

/// The pixel format named `format` (`rgba8` when `None`: the layout of an `ImageData`).
fn pixel_format(format: Option<String>) -> Result<PixelFormat, JsError> {
    let Some(name) = format else {
        return Ok(PixelFormat::Rgba8);
    };
    PixelFormat::from_name(&name).ok_or_else(|| {
        let known: Vec<&str> = PixelFormat::ALL.iter().map(|f| f.name()).collect();
        js_error(format!(
            "unknown pixel format {name:?}; use one of {}",
            known.join(", ")
        ))
    })
}

/// A packed frame over `pixels`, checked by the library (size, buffer length).
fn frame<'a>(
    width: u32,
    height: u32,
    pixels: &'a [u8],
    format: Option<String>,
) -> Result<Frame<'a>, JsError> {
    Frame::packed(pixels, width, height, pixel_format(format)?).map_err(js_error)
}

/// Decoding options: the library's defaults (its limits on pixels and metadata included), with the
/// EXIF orientation applied when asked.
fn decode_options(apply_exif: Option<bool>) -> DecodeOptions {
    DecodeOptions::default().apply_exif(apply_exif.unwrap_or(false))
}

/// A PDQ hash and its quality, as JavaScript sees it (`PdqHash`).
///
/// ```
/// let pdq = vigil_wasm::hash_pixels(8, 8, &[200u8; 8 * 8 * 4], None).unwrap();
/// assert_eq!(pdq.bytes().len(), 32);
/// assert_eq!(pdq.quality(), 0); // a flat image has no features
/// ```
#[wasm_bindgen(js_name = PdqHash)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PdqResult {
    inner: PdqHash,
}

#[wasm_bindgen(js_class = PdqHash)]
impl PdqResult {
    /// The hash as 64 hex digits, most significant first (as every PDQ tool prints it).
    #[wasm_bindgen(getter)]
    pub fn hex(&self) -> String {
        self.inner.hash.to_string()
    }

    /// The hash as 32 bytes (a `Uint8Array`), in the order of the hex form.
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> Vec<u8> {
        self.inner.hash.as_bytes().to_vec()
    }

    /// The quality score, 0..=100; under 50 the hash is not matched (too few features).
    #[wasm_bindgen(getter)]
    pub fn quality(&self) -> u8 {
        self.inner.quality
    }
}

/// The eight dihedral hashes of an image (rotations and flips) and its quality, as JavaScript
/// sees them (`DihedralHashes`), in the reference's order: see [`orientation_names`].
///
/// ```
/// let rgba: Vec<u8> = (0..32u32 * 32 * 4).map(|i| (i % 253) as u8).collect();
/// let all = vigil_wasm::hash_pixels_dihedral(32, 32, &rgba, None).unwrap();
/// let one = vigil_wasm::hash_pixels(32, 32, &rgba, None).unwrap();
/// assert_eq!(all.hexes()[0], one.hex());
/// assert_eq!(all.bytes().len(), 8 * 32);
/// ```
#[wasm_bindgen(js_name = DihedralHashes)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DihedralResult {
    inner: DihedralHashes,
}

#[wasm_bindgen(js_class = DihedralHashes)]
impl DihedralResult {
    /// The eight hashes as hex strings (an array of 8), in [`orientation_names`] order.
    #[wasm_bindgen(getter)]
    pub fn hexes(&self) -> Vec<String> {
        self.inner.hashes.iter().map(Hash256::to_string).collect()
    }

    /// The eight hashes as 256 bytes (a `Uint8Array`): hash `i` is `bytes[32 i .. 32 i + 32]`.
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> Vec<u8> {
        self.inner
            .hashes
            .iter()
            .flat_map(|h| *h.as_bytes())
            .collect()
    }

    /// The quality score, 0..=100 (the same for every orientation).
    #[wasm_bindgen(getter)]
    pub fn quality(&self) -> u8 {
        self.inner.quality
    }

    /// The hash of the image as it is (orientation `original`).
    #[wasm_bindgen(getter)]
    pub fn original(&self) -> PdqResult {
        PdqResult {
            inner: self.inner.original(),
        }
    }
}

/// The names of the eight orientations, in the order of [`DihedralResult::hexes`]: `original`,
/// `rotate90`, `rotate180`, `rotate270`, `flipx`, `flipy`, `flip+1`, `flip-1`.
///
/// ```
/// assert_eq!(vigil_wasm::orientation_names()[1], "rotate90");
/// ```
#[wasm_bindgen(js_name = orientationNames)]
pub fn orientation_names() -> Vec<String> {
    Dihedral::ALL.iter().map(|d| d.name().to_owned()).collect()
}

/// Hashes raw pixels: `width × height` pixels, packed, in `format` (`"rgba8"` when omitted, the
/// layout of an `ImageData`'s `data`; also `"rgb8"`, `"bgra8"`, `"luma8"`). Alpha is ignored.
/// `pixels` may be a `Uint8Array` or a `Uint8ClampedArray`; throws when it is too short or a side
/// is 0 or over 16384.
///
/// ```
/// let rgb = vec![0u8; 3 * 10 * 10];
/// assert!(vigil_wasm::hash_pixels(10, 10, &rgb, Some("rgb8".into())).is_ok());
/// ```
#[wasm_bindgen(js_name = hashPixels)]
pub fn hash_pixels(
    width: u32,
    height: u32,
    pixels: &[u8],
    format: Option<String>,
) -> Result<PdqResult, JsError> {
    let frame = frame(width, height, pixels, format)?;
    Ok(PdqResult {
        inner: vigil::hash(&frame),
    })
}

/// Hashes raw pixels (as [`hash_pixels`]) in all eight orientations, from one DCT.
///
/// ```
/// let all = vigil_wasm::hash_pixels_dihedral(10, 10, &[9u8; 100], Some("luma8".into())).unwrap();
/// assert_eq!(all.hexes().len(), 8);
/// ```
#[wasm_bindgen(js_name = hashPixelsDihedral)]
pub fn hash_pixels_dihedral(
    width: u32,
    height: u32,
    pixels: &[u8],
    format: Option<String>,
) -> Result<DihedralResult, JsError> {
    let frame = frame(width, height, pixels, format)?;
    Ok(DihedralResult {
        inner: vigil::hash_dihedral(&frame),
    })
}

/// Decodes an image file's bytes (PNG, JPEG, GIF, WebP, BMP, TIFF, PNM, QOI, TGA, ICO) with the
/// library's decoder and its limits (truncated files, decompression bombs and sides over 16384 are
/// errors), and hashes it. `name` labels error messages (its extension names a TGA file);
/// `apply_exif` applies the EXIF orientation (off by default, as in ThreatExchange's tools: the
/// dihedral hashes catch rotated copies). JPEGs are decoded by the pure-Rust decoder, which may
/// differ from libjpeg-turbo by a bit or two of the hash.
///
/// ```
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../golden/inputs/photo-320x240-rgb8.png");
/// let png = std::fs::read(path).unwrap();
/// let pdq = vigil_wasm::hash_image(&png, Some("photo.png".into()), None).unwrap();
/// assert_eq!(pdq.hex(), "2d031bf7d91acfac95d8610fd8652061dd46cd89caf058297a317cd91db5c7c2");
/// assert_eq!(pdq.quality(), 100);
/// ```
#[wasm_bindgen(js_name = hashImage)]
pub fn hash_image(
    bytes: &[u8],
    name: Option<String>,
    apply_exif: Option<bool>,
) -> Result<PdqResult, JsError> {
    let name = name.as_deref().unwrap_or(DEFAULT_IMAGE_NAME);
    let image = decode_bytes(bytes, name, &decode_options(apply_exif)).map_err(js_error)?;
    let frame = image.frame().map_err(js_error)?;
    Ok(PdqResult {
        inner: vigil::hash(&frame),
    })
}

/// Decodes an image file's bytes (as [`hash_image`]) and hashes it in all eight orientations.
///
/// ```
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../golden/inputs/photo-320x240-rgb8.png");
/// let png = std::fs::read(path).unwrap();
/// let all = vigil_wasm::hash_image_dihedral(&png, None, None).unwrap();
/// assert_eq!(all.original().hex(), vigil_wasm::hash_image(&png, None, None).unwrap().hex());
/// ```
///
/// (Errors are `JsError`s, which exist only in wasm: the error cases are tested from Node, in
/// `wasm/tests/node.test.mjs`.)
#[wasm_bindgen(js_name = hashImageDihedral)]
pub fn hash_image_dihedral(
    bytes: &[u8],
    name: Option<String>,
    apply_exif: Option<bool>,
) -> Result<DihedralResult, JsError> {
    let name = name.as_deref().unwrap_or(DEFAULT_IMAGE_NAME);
    let image = decode_bytes(bytes, name, &decode_options(apply_exif)).map_err(js_error)?;
    let frame = image.frame().map_err(js_error)?;
    Ok(DihedralResult {
        inner: vigil::hash_dihedral(&frame),
    })
}

/// What [`Matcher::add_list`] read (`ListInfo`).
///
/// ```
/// let mut matcher = vigil_wasm::Matcher::new(None);
/// let text = format!("{},100,a\n{},100,b\n", "ab".repeat(32), "0".repeat(64));
/// let info = matcher.add_list("l.csv".into(), text.as_bytes(), None).unwrap();
/// assert_eq!((info.entries(), info.degenerate()), (2, 1)); // the all-zero hash is left out
/// ```
#[wasm_bindgen]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListInfo {
    list: u32,
    entries: u32,
    degenerate: u32,
    format: String,
    kind: String,
}

#[wasm_bindgen]
impl ListInfo {
    /// The list's number in the matcher (0 for the first added), as in [`MatchResult::list`].
    #[wasm_bindgen(getter)]
    pub fn list(&self) -> u32 {
        self.list
    }

    /// Entries in the list.
    #[wasm_bindgen(getter)]
    pub fn entries(&self) -> u32 {
        self.entries
    }

    /// Entries left out of matching (all-zero or all-one hashes, quality 0).
    #[wasm_bindgen(getter)]
    pub fn degenerate(&self) -> u32 {
        self.degenerate
    }

    /// The format the list was read in (`binary`, `text`, `csv`, ...).
    #[wasm_bindgen(getter)]
    pub fn format(&self) -> String {
        self.format.clone()
    }

    /// `images`, or `video` for a vPDQ file (whose frames are then matched one by one).
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        self.kind.clone()
    }
}

/// A list entry within its list's threshold of a query (`MatchResult`).
#[wasm_bindgen]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchResult {
    list: u32,
    list_name: String,
    entry: u32,
    id: String,
    hash: String,
    distance: u32,
    orientation: String,
}

#[wasm_bindgen]
impl MatchResult {
    /// Bits between the entry and the query's nearest orientation (at most the threshold).
    #[wasm_bindgen(getter)]
    pub fn distance(&self) -> u32 {
        self.distance
    }

    /// The query's orientation that matched (`original`, `rotate90`, ...; see
    /// [`orientation_names`]): the query image turned or flipped this way is (near) the listed
    /// one. An upload turned 90° clockwise matches as `rotate90`.
    #[wasm_bindgen(getter)]
    pub fn orientation(&self) -> String {
        self.orientation.clone()
    }

    /// The entry's id in its list (its `id` column or text, else its line number).
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    /// The entry's position in its list, from 0.
    #[wasm_bindgen(getter)]
    pub fn entry(&self) -> u32 {
        self.entry
    }

    /// The entry's hash, 64 hex digits.
    #[wasm_bindgen(getter)]
    pub fn hash(&self) -> String {
        self.hash.clone()
    }

    /// The list's number in the matcher (the order lists were added, from 0).
    #[wasm_bindgen(getter)]
    pub fn list(&self) -> u32 {
        self.list
    }

    /// The list's name, as given to [`Matcher::add_list`].
    #[wasm_bindgen(getter, js_name = listName)]
    pub fn list_name(&self) -> String {
        self.list_name.clone()
    }
}

/// What became of one query (`MatchOutcome`): its matches, nearest first, or that its quality was
/// too low to match.
#[wasm_bindgen]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchOutcome {
    matches: Vec<MatchResult>,
    low_quality: Option<u8>,
}

#[wasm_bindgen]
impl MatchOutcome {
    /// Whether any list entry is within its threshold.
    #[wasm_bindgen(getter)]
    pub fn matched(&self) -> bool {
        !self.matches.is_empty()
    }

    /// Whether the query was not matched because its quality is under 50 (a near-flat image).
    #[wasm_bindgen(getter, js_name = lowQuality)]
    pub fn low_quality(&self) -> bool {
        self.low_quality.is_some()
    }

    /// The nearest match, or `undefined`.
    #[wasm_bindgen(getter)]
    pub fn best(&self) -> Option<MatchResult> {
        self.matches.first().cloned()
    }

    /// Every match, nearest first (then by list and entry): one per list entry.
    #[wasm_bindgen(getter)]
    pub fn matches(&self) -> Vec<MatchResult> {
        self.matches.clone()
    }
}

/// Hash lists, each with its threshold, and the matching of hashes against them (`Matcher`).
///
/// A list is read from the bytes the page fetched, in any format the library reads (binary,
/// text, CSV, JSON Lines, vPDQ).
///
/// ```
/// let mut matcher = vigil_wasm::Matcher::new(None);
/// let known = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,bridge\n";
/// matcher.add_list("known.csv".into(), known.as_bytes(), Some(31)).unwrap();
/// let near = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b2d";
/// let outcome = matcher.match_hex(near, Some(90)).unwrap();
/// assert_eq!(outcome.best().unwrap().distance(), 4);
/// assert_eq!(outcome.best().unwrap().orientation(), "original");
/// ```
#[wasm_bindgen]
pub struct Matcher {
    inner: matcher::Matcher,
}

#[wasm_bindgen]
impl Matcher {
    /// A matcher with no lists. Queries of quality under 50 are reported as low quality and not
    /// matched, unless `include_low_quality` is true.
    #[wasm_bindgen(constructor)]
    pub fn new(include_low_quality: Option<bool>) -> Matcher {
        Matcher {
            inner: matcher::Matcher::new(
                MatchOptions::default().include_low_quality(include_low_quality.unwrap_or(false)),
            ),
        }
    }

    /// Reads a list from `bytes` (a `Uint8Array` of a binary or text list; `name` names it in
    /// errors and results) and adds it, matched at distances up to `threshold` inclusive (31 when
    /// omitted). Throws when the list is malformed or empty.
    #[wasm_bindgen(js_name = addList)]
    pub fn add_list(
        &mut self,
        name: String,
        bytes: &[u8],
        threshold: Option<u32>,
    ) -> Result<ListInfo, JsError> {
        let list = HashList::parse(&name, bytes).map_err(js_error)?;
        let (format, kind) = (list.format().name().to_owned(), list.kind().name());
        let summary = self
            .inner
            .add_list(list, threshold.unwrap_or(DEFAULT_THRESHOLD))
            .map_err(js_error)?;
        Ok(ListInfo {
            list: (self.inner.list_count() - 1) as u32,
            entries: summary.entries as u32,
            degenerate: summary.degenerate.len() as u32,
            format,
            kind: kind.to_owned(),
        })
    }

    /// Number of lists added.
    #[wasm_bindgen(getter, js_name = listCount)]
    pub fn list_count(&self) -> u32 {
        self.inner.list_count() as u32
    }

    /// Matches one hash (as it is) against every list.
    #[wasm_bindgen(js_name = matchPdq)]
    pub fn match_pdq(&self, pdq: &PdqResult) -> MatchOutcome {
        self.outcome(Query::original(pdq.inner))
    }

    /// Matches the eight orientations of an image against every list: a rotated or mirrored copy
    /// of a listed image matches, and the result names the orientation.
    #[wasm_bindgen(js_name = matchDihedral)]
    pub fn match_dihedral(&self, hashes: &DihedralResult) -> MatchOutcome {
        self.outcome(Query::dihedral(&hashes.inner))
    }

    /// Matches a hash given as 64 hex digits, with its quality if known (a hash of unknown
    /// quality is always matched). Throws when `hex` is not a hash.
    #[wasm_bindgen(js_name = matchHex)]
    pub fn match_hex(&self, hex: &str, quality: Option<u8>) -> Result<MatchOutcome, JsError> {
        let hash: Hash256 = hex.parse().map_err(js_error)?;
        Ok(self.outcome(Query {
            hashes: QueryHashes::Original(hash),
            quality,
        }))
    }

    /// Matches a hash given as 32 bytes (a `Uint8Array`, in the order of the hex form), with its
    /// quality if known. Throws when `bytes` is not 32 bytes long.
    #[wasm_bindgen(js_name = matchBytes)]
    pub fn match_bytes(&self, bytes: &[u8], quality: Option<u8>) -> Result<MatchOutcome, JsError> {
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| js_error(format!("a PDQ hash is 32 bytes; got {}", bytes.len())))?;
        Ok(self.outcome(Query {
            hashes: QueryHashes::Original(Hash256::from_bytes(bytes)),
            quality,
        }))
    }

    /// Matches the eight orientations of an image given as 256 bytes (a `Uint8Array`: the
    /// [`DihedralResult::bytes`] of an image, perhaps hashed elsewhere), with its quality if
    /// known. Throws when `bytes` is not 8 × 32 bytes long.
    ///
    /// ```
    /// let rgba: Vec<u8> = (0..40u32 * 30 * 4).map(|i| (i * 13 % 256) as u8).collect();
    /// let all = vigil_wasm::hash_pixels_dihedral(40, 30, &rgba, None).unwrap();
    /// let mut matcher = vigil_wasm::Matcher::new(Some(true));
    /// let list = format!("{}\n", all.hexes()[3]); // the image turned 270 degrees is listed
    /// matcher.add_list("l.txt".into(), list.as_bytes(), None).unwrap();
    /// let outcome = matcher.match_dihedral_bytes(&all.bytes(), Some(all.quality())).unwrap();
    /// assert_eq!(outcome.best().unwrap().orientation(), "rotate270");
    /// ```
    #[wasm_bindgen(js_name = matchDihedralBytes)]
    pub fn match_dihedral_bytes(
        &self,
        bytes: &[u8],
        quality: Option<u8>,
    ) -> Result<MatchOutcome, JsError> {
        if bytes.len() != 8 * 32 {
            return Err(js_error(format!(
                "8 dihedral PDQ hashes are 256 bytes; got {}",
                bytes.len()
            )));
        }
        let mut hashes = [Hash256::ZERO; 8];
        for (hash, chunk) in hashes.iter_mut().zip(bytes.chunks_exact(32)) {
            let mut one = [0u8; 32];
            one.copy_from_slice(chunk);
            *hash = Hash256::from_bytes(one);
        }
        Ok(self.outcome(Query {
            hashes: QueryHashes::Dihedral(hashes),
            quality,
        }))
    }

    fn outcome(&self, query: Query) -> MatchOutcome {
        let outcome = self.inner.match_queries(&[query]).pop();
        match outcome {
            Some(QueryOutcome::LowQuality(quality)) => MatchOutcome {
                matches: Vec::new(),
                low_quality: Some(quality),
            },
            Some(QueryOutcome::Matched(matches)) => MatchOutcome {
                matches: matches.iter().map(|m| self.result(m)).collect(),
                low_quality: None,
            },
            None => MatchOutcome {
                matches: Vec::new(),
                low_quality: None,
            },
        }
    }

    fn result(&self, found: &matcher::Match) -> MatchResult {
        let list = self.inner.list(found.list);
        let entry = list.and_then(|l| l.entry(found.entry));
        MatchResult {
            list: found.list as u32,
            list_name: list.map(|l| l.name().to_owned()).unwrap_or_default(),
            entry: found.entry as u32,
            id: entry.map(|e| e.id.to_string()).unwrap_or_default(),
            hash: entry.map(|e| e.hash.to_string()).unwrap_or_default(),
            distance: found.distance,
            orientation: found.orientation.name().to_owned(),
        }
    }
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher::new(None)
    }
}

/// This package's version (the workspace's).
///
/// ```
/// assert!(!vigil_wasm::version().is_empty());
/// ```
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
