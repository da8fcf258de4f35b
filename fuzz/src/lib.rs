//! The bodies of vigil's fuzz targets, one function each, taking the fuzzer's bytes.
//!
//! Each libFuzzer binary in `fuzz_targets/` calls one of these; the regression test below replays
//! every file of `fuzz/regressions/<target>/` through the same function on stable Rust, so a
//! crash once found stays fixed without nightly. An `Err` from vigil is always fine; a panic, an
//! abort, running out of memory or time, or a failed assertion here is a bug.
//!
//! The structure-aware targets ([`frame_hash`], [`matcher_indices`]) read their input type from
//! the bytes with `arbitrary`, as libFuzzer's typed targets do.

use std::cell::Cell;
use std::ffi::CStr;
use std::sync::Once;

use arbitrary::{Arbitrary, Unstructured};
use vigil::decode::{DecodeOptions, decode_bytes};
use vigil::lists::{HashList, ListKind};
use vigil::matcher::{IndexChoice, Match, MatchOptions, Matcher, Query, QueryHashes, QueryOutcome};
use vigil::video::y4m::{Y4mPixels, Y4mReader};
use vigil::video::{CompareOptions, Gate, compare_videos, list_frames};
use vigil::{Dihedral, Frame, Hash256, PixelFormat};

/// Most bytes one image decode may allocate: small, so that the fuzzer is not slowed by big
/// allocations (the engine's limit is what is fuzzed, not the machine's memory).
pub const MAX_ALLOC: u64 = 64 << 20;

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name: what `scripts/fuzz` runs and `fuzz/regressions/` is sorted by.
pub const TARGETS: [(&str, Target); 8] = [
    ("decode_image", decode_image),
    ("y4m_stream", y4m_stream),
    ("hash_list", hash_list),
    ("vpdq_compare", vpdq_compare),
    ("frame_hash", frame_hash),
    ("matcher_indices", matcher_indices),
    ("capi_list", capi_list),
    ("capi_image", capi_image),
];

thread_local! {
    /// Where a panic inside vigil's own code happened, when one did on this thread.
    static OWN_PANIC: Cell<Option<String>> = const { Cell::new(None) };
}

/// vigil turns a panic inside the `image` crate's decoders into an error for that file
/// (`decode::guarded`): that is the design, not a bug of vigil's. libFuzzer's panic hook would
/// abort on it all the same, so the image targets install this hook instead: a panic in a
/// dependency is left to vigil's `catch_unwind`; a panic in vigil's own code (engine or C ABI)
/// is recorded, and [`check_own_panic`] fails the input even though vigil caught it.
fn tolerate_dependency_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map_or("", |l| l.file());
            let own = ["engine/src/", "capi/src/", "fuzz/src/"]
                .iter()
                .any(|dir| file.contains(dir));
            if own {
                OWN_PANIC.set(Some(info.to_string()));
                previous(info); // libFuzzer's hook: aborts, naming the input.
            }
        }));
    });
}

/// Panics (uncaught) when vigil's own code panicked during the input, even if vigil caught it.
fn check_own_panic() {
    if let Some(panic) = OWN_PANIC.take() {
        panic!("vigil's own code panicked (caught inside vigil): {panic}");
    }
}

/// Image decoding from memory with the decoder limits, then hashing what decodes. A PNG that
/// decodes must give the `png` crate's pixels (as Pillow's `convert("RGB")` keeps them: grey
/// stays grey, alpha is dropped), whichever of vigil's two PNG paths decoded it.
pub fn decode_image(data: &[u8]) {
    tolerate_dependency_panics();
    // The `.tga` name lets TGA (which has no signature) be tried; formats with a signature are
    // read from the content whatever the name says.
    let options = DecodeOptions::default().max_alloc(MAX_ALLOC);
    if let Ok(image) = decode_bytes(data, "fuzz.tga", &options) {
        assert!(
            image.pixels.len() as u64 <= MAX_ALLOC,
            "decoded past max_alloc"
        );
        if data.starts_with(b"\x89PNG") {
            assert_eq!(image.pixels, png_crate_pixels(data), "not the png crate's pixels");
        }
        if let Ok(frame) = image.frame() {
            let pdq = vigil::hash(&frame);
            assert!(pdq.quality <= 100);
        }
    }
    check_own_panic();
}

/// The pixels the `png` crate decodes from `data`, reduced as vigil reduces them.
fn png_crate_pixels(data: &[u8]) -> Vec<u8> {
    let decoded = image::load_from_memory_with_format(data, image::ImageFormat::Png)
        .expect("vigil decoded a PNG that the png crate refuses");
    match decoded.color().has_color() {
        true => decoded.into_rgb8().into_raw(),
        false => decoded.into_luma8().into_raw(),
    }
}

/// The YUV4MPEG2 reader, reading every frame (as RGB, luma or stored luma by the input's length,
/// so that all three paths are fuzzed) and hashing the first.
pub fn y4m_stream(data: &[u8]) {
    let pixels = match data.len() % 3 {
        0 => Y4mPixels::Rgb,
        1 => Y4mPixels::Luma,
        _ => Y4mPixels::StoredLuma,
    };
    let Ok(reader) = Y4mReader::new(data) else {
        return;
    };
    let mut reader = reader.with_pixels(pixels);
    let (width, height) = (reader.header().width, reader.header().height);
    let mut expected = 0;
    while let Ok(Some(frame)) = reader.next_frame() {
        assert_eq!(frame.index, expected);
        assert_eq!((frame.frame.width(), frame.frame.height()), (width, height));
        if expected == 0 {
            vigil::hash(&frame.frame);
        }
        expected += 1;
    }
}

/// Every hash-list reader (hex, hash+quality, CSV, vPDQ, dihedral, JSON Lines, binary); a list
/// that parses is written in the binary format and as text, and each reads back to the same
/// entries.
pub fn hash_list(data: &[u8]) {
    let Ok(list) = HashList::parse("fuzz", data) else {
        return;
    };
    let mut binary = Vec::new();
    list.write_binary(&mut binary)
        .expect("writing to memory cannot fail");
    let again = HashList::parse("fuzz.bin", &binary).expect("a written binary list reads back");
    assert_same_entries(&list, &again, "binary");
    let mut text = Vec::new();
    // Refused (InvalidData) only for an id holding a line break, which no text line can hold.
    if list.write_text(&mut text).is_ok() {
        let again = HashList::parse("fuzz.txt", &text).unwrap_or_else(|e| {
            panic!(
                "written text list does not read back: {e}\n{}",
                String::from_utf8_lossy(&text)
            )
        });
        assert_same_entries(&list, &again, "text");
    }
}

/// The same entries: exactly, for the binary format. For text, ids are compared as text (a line
/// number that is not the entry's position is written to an `id` column and reads back as the
/// text `"5"`, not the number 5), and a video's unknown quality as 100: vPDQ lines must give
/// one, and a video's frames without one count as quality 100 (`video::list_frames`).
fn assert_same_entries(list: &HashList, again: &HashList, how: &str) {
    assert_eq!(list.len(), again.len(), "{how}: entry count");
    assert_eq!(list.kind(), again.kind(), "{how}: list kind");
    for i in 0..list.len() {
        let (a, b) = (list.entry(i).unwrap(), again.entry(i).unwrap());
        if how == "binary" {
            assert_eq!(a, b, "{how}: entry {i}");
        } else {
            let quality = match list.kind() {
                ListKind::Video => Some(a.quality.unwrap_or(100)),
                _ => a.quality,
            };
            assert_eq!((a.hash, quality), (b.hash, b.quality), "{how}: entry {i}");
            assert_eq!(a.id.to_string(), b.id.to_string(), "{how}: id of entry {i}");
        }
        assert_eq!(
            list.timestamp(i),
            again.timestamp(i),
            "{how}: timestamp {i}"
        );
    }
}

/// vPDQ files and video comparison. The input: a big-endian `u16` length of the first list, a
/// gate byte, a distance byte, then the two lists' bytes (split at that length).
pub fn vpdq_compare(data: &[u8]) {
    let [hi, lo, gate, distance, rest @ ..] = data else {
        return;
    };
    let split = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
    let (query, compared) = rest.split_at(split);
    let (Ok(query), Ok(compared)) = (
        HashList::parse("query", query),
        HashList::parse("compared", compared),
    ) else {
        return;
    };
    let gate = Gate::ALL[usize::from(*gate) % Gate::ALL.len()];
    let options = CompareOptions::with_gate(gate).distance(u32::from(*distance) % 257);
    let (query, compared) = (list_frames(&query), list_frames(&compared));
    let result = compare_videos(&query, &compared, &options);
    assert!(result.query_matched <= result.query_hashes);
    assert!(result.compared_matched <= result.compared_hashes);
    assert!((0.0..=100.0).contains(&result.query_percent));
    assert!((0.0..=100.0).contains(&result.compared_percent));
    assert!(result.query_hashes <= query.len() && result.compared_hashes <= compared.len());
    // Swapping the videos swaps the counts (the distance is symmetric).
    let swapped = compare_videos(&compared, &query, &options);
    assert_eq!(
        (swapped.query_hashes, swapped.query_matched),
        (result.compared_hashes, result.compared_matched)
    );
    assert_eq!(
        (swapped.compared_hashes, swapped.compared_matched),
        (result.query_hashes, result.query_matched)
    );
}

/// An arbitrary frame: any width and height up to 300 (0 included), stride, pixel format and
/// buffer length.
#[derive(Arbitrary, Debug)]
pub struct FrameHashInput {
    width: u16,
    height: u16,
    format: u8,
    stride: Stride,
    /// Bytes added to (or, negative, taken from) the length the frame needs.
    len_delta: i8,
    /// Repeated to fill the buffer (zeros when empty).
    pattern: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
enum Stride {
    /// Rows follow each other.
    Packed,
    /// Rows padded by this many bytes.
    Padded(u8),
    /// Any stride at all (short, or overflowing).
    Any(usize),
}

/// Structure-aware: arbitrary frames never panic, and the dihedral pass's original orientation
/// is the plain hash.
pub fn frame_hash(data: &[u8]) {
    let Ok(input) = FrameHashInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let width = u32::from(input.width % 301);
    let height = u32::from(input.height % 301);
    let format = PixelFormat::ALL[usize::from(input.format) % PixelFormat::ALL.len()];
    let row_bytes = width as usize * format.bytes_per_pixel();
    let stride = match input.stride {
        Stride::Packed => row_bytes,
        Stride::Padded(pad) => row_bytes + usize::from(pad),
        Stride::Any(stride) => stride,
    };
    // What the frame needs, when that is a sensible length (the constructor refuses the rest).
    let needed = stride
        .checked_mul((height as usize).saturating_sub(1))
        .and_then(|n| n.checked_add(row_bytes))
        .filter(|&n| n <= 1 << 22)
        .unwrap_or(0);
    let len = needed.saturating_add_signed(isize::from(input.len_delta));
    let pixels: Vec<u8> = if input.pattern.is_empty() {
        vec![0; len]
    } else {
        input.pattern.iter().copied().cycle().take(len).collect()
    };
    let Ok(frame) = Frame::new(&pixels, width, height, stride, format) else {
        return;
    };
    let pdq = vigil::hash(&frame);
    assert!(pdq.quality <= 100);
    let all = vigil::hash_dihedral(&frame);
    assert_eq!(
        all.original(),
        pdq,
        "{width}x{height} {format:?} stride {stride}"
    );
}

/// Lists and queries for the matcher: a few lists of hashes (random, or near a query: a few bits
/// flipped), each with a threshold 0..=64, and queries of any quality, original or dihedral.
#[derive(Arbitrary, Debug)]
pub struct MatcherIndicesInput {
    queries: Vec<QueryInput>,
    lists: Vec<ListInput>,
    /// The matcher's quality floor (`MatchOptions::min_quality`): any value, 0 to match every query.
    min_quality: u8,
}

#[derive(Arbitrary, Debug)]
struct QueryInput {
    hashes: [[u8; 32]; 8],
    dihedral: bool,
    quality: Option<u8>,
}

#[derive(Arbitrary, Debug)]
struct ListInput {
    threshold: u8,
    entries: Vec<EntryInput>,
}

#[derive(Arbitrary, Debug)]
struct EntryInput {
    hash: EntryHash,
    /// Over 100: no quality given.
    quality: u8,
}

#[derive(Arbitrary, Debug)]
enum EntryHash {
    Random([u8; 32]),
    /// A query's orientation with these bits flipped.
    Near {
        query: u8,
        orientation: u8,
        flips: Vec<u8>,
    },
    Zero,
    Ones,
}

/// Structure-aware: the flat index and multi-index hashing (where the threshold allows) give
/// exactly the matches of a brute-force Hamming loop.
pub fn matcher_indices(data: &[u8]) {
    let Ok(input) = MatcherIndicesInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let queries: Vec<Query> = input
        .queries
        .iter()
        .take(8)
        .map(|q| Query {
            hashes: if q.dihedral {
                QueryHashes::Dihedral(q.hashes.map(Hash256::from_bytes))
            } else {
                QueryHashes::Original(Hash256::from_bytes(q.hashes[0]))
            },
            quality: q.quality.map(|quality| quality % 101),
        })
        .collect();
    let lists: Vec<(HashList, u32)> = input
        .lists
        .iter()
        .take(2)
        .enumerate()
        .map(|(n, spec)| {
            let entries = &spec.entries[..spec.entries.len().min(64)];
            let hashes = entries
                .iter()
                .map(|e| entry_hash(&e.hash, &queries))
                .collect();
            let qualities = entries
                .iter()
                .map(|e| (e.quality <= 100).then_some(e.quality))
                .collect();
            let list = HashList::from_hashes(&format!("list{n}"), hashes, qualities)
                .expect("valid qualities");
            (list, u32::from(spec.threshold % 65))
        })
        .collect();
    let expected = brute_force(&lists, &queries, input.min_quality);
    // (`IndexChoice::Auto` is the flat index for lists this small.)
    for index in [IndexChoice::Flat, IndexChoice::Mih] {
        let options = MatchOptions::default()
            .index(index)
            .min_quality(input.min_quality);
        let mut matcher = Matcher::new(options);
        let mut refused = false;
        for (list, threshold) in &lists {
            let added = matcher.add_list(list.clone(), *threshold);
            let beyond_mih =
                index == IndexChoice::Mih && *threshold > vigil::matcher::MIH_MAX_RADIUS;
            assert_eq!(
                added.is_err(),
                beyond_mih,
                "{index:?} threshold {threshold}: {added:?}"
            );
            refused |= beyond_mih;
        }
        if !refused {
            assert_eq!(matcher.match_queries(&queries), expected, "{index:?}");
        }
    }
}

fn entry_hash(hash: &EntryHash, queries: &[Query]) -> Hash256 {
    match hash {
        EntryHash::Random(bytes) => Hash256::from_bytes(*bytes),
        EntryHash::Zero => Hash256::ZERO,
        EntryHash::Ones => Hash256::from_bytes([0xff; 32]),
        EntryHash::Near {
            query,
            orientation,
            flips,
        } => {
            let Some(q) = queries.get(usize::from(*query) % queries.len().max(1)) else {
                return Hash256::ZERO;
            };
            let hashes = orientations(q);
            let mut bytes = *hashes[usize::from(*orientation) % hashes.len()].as_bytes();
            for &bit in flips.iter().take(40) {
                bytes[usize::from(bit / 8)] ^= 1 << (bit % 8);
            }
            Hash256::from_bytes(bytes)
        }
    }
}

fn orientations(query: &Query) -> &[Hash256] {
    match &query.hashes {
        QueryHashes::Original(hash) => std::slice::from_ref(hash),
        QueryHashes::Dihedral(all) => all,
    }
}

/// The matcher's promise, one pair at a time: per query of quality ≥ 50 (or any, or unknown),
/// every non-degenerate entry within its list's threshold of some orientation, with its nearest
/// orientation (the first among equals), nearest first, then by list and entry.
fn brute_force(lists: &[(HashList, u32)], queries: &[Query], min_quality: u8) -> Vec<QueryOutcome> {
    queries
        .iter()
        .map(|query| match query.quality {
            Some(quality) if quality < min_quality => QueryOutcome::LowQuality(quality),
            _ => {
                let mut matches = Vec::new();
                for (l, (list, threshold)) in lists.iter().enumerate() {
                    for (entry, hash) in list.hashes().iter().enumerate() {
                        if list.degeneracy(entry).is_some() {
                            continue;
                        }
                        let mut best: Option<(u32, Dihedral)> = None;
                        for (orientation, probe) in
                            Dihedral::ALL.into_iter().zip(orientations(query))
                        {
                            let distance = hash.distance(probe);
                            if best.is_none_or(|(d, _)| distance < d) {
                                best = Some((distance, orientation));
                            }
                        }
                        if let Some((distance, orientation)) = best
                            && distance <= *threshold
                        {
                            matches.push(Match {
                                list: l,
                                entry,
                                distance,
                                orientation,
                            });
                        }
                    }
                }
                matches.sort_by_key(|m| (m.distance, m.list, m.entry));
                QueryOutcome::Matched(matches)
            }
        })
        .collect()
}

/// A hash list through the C ABI: parsed from memory into a matcher, matched, every handle freed.
pub fn capi_list(data: &[u8]) {
    use capi::*;
    let threshold = data.last().map_or(31, |&b| u32::from(b) % 64);
    // SAFETY: every pointer is to live memory of the stated length; handles are freed once.
    unsafe {
        let mut matcher = std::ptr::null_mut();
        let status = vigil_matcher_new(std::ptr::null(), &mut matcher);
        assert_eq!(status, VigilStatus::Ok);
        let mut index = usize::MAX;
        let status = vigil_matcher_add_list(
            matcher,
            c"fuzz".as_ptr(),
            data.as_ptr(),
            data.len(),
            threshold,
            &mut index,
        );
        assert_ne!(status, VigilStatus::Panic, "{}", last_error());
        if status == VigilStatus::Ok {
            assert_eq!(index, 0);
            assert_eq!(vigil_matcher_list_count(matcher), 1);
            // A query near nothing in particular, and one that is the list's first hash when
            // the list is a hex list (the first 64 bytes).
            let mut first = [0u8; 32];
            for (i, byte) in first.iter_mut().enumerate() {
                let digits = data
                    .get(2 * i..2 * i + 2)
                    .and_then(|d| std::str::from_utf8(d).ok());
                *byte = digits
                    .and_then(|d| u8::from_str_radix(d, 16).ok())
                    .unwrap_or(0);
            }
            for bytes in [[0x55; 32], first] {
                let query = VigilPdqHash {
                    hash: VigilHash { bytes },
                    quality: 100,
                };
                let mut matches = std::ptr::null_mut();
                let status = vigil_matcher_match(matcher, &query, &mut matches);
                assert_eq!(status, VigilStatus::Ok, "{}", last_error());
                for i in 0..vigil_matches_count(matches) {
                    let m = &*vigil_matches_get(matches, i);
                    assert!(m.distance <= threshold);
                    assert!(!CStr::from_ptr(m.list_name).to_bytes().is_empty());
                    let _ = CStr::from_ptr(m.entry_id).to_bytes().len();
                }
                vigil_matches_free(matches);
            }
        }
        vigil_matcher_free(matcher);
    }
}

/// An encoded image through the C ABI: hashed from memory (plain and dihedral).
pub fn capi_image(data: &[u8]) {
    use capi::*;
    tolerate_dependency_panics();
    // SAFETY: every pointer is to live memory of the stated length.
    unsafe {
        let mut options = std::mem::zeroed();
        assert_eq!(vigil_decode_options_default(&mut options), VigilStatus::Ok);
        options.max_alloc_bytes = MAX_ALLOC;
        let mut pdq = std::mem::zeroed();
        let status = vigil_hash_image(data.as_ptr(), data.len(), &options, &mut pdq);
        assert_ne!(status, VigilStatus::Panic, "{}", last_error());
        if status == VigilStatus::Ok {
            let mut all: VigilDihedralHashes = std::mem::zeroed();
            let status = vigil_hash_image_dihedral(data.as_ptr(), data.len(), &options, &mut all);
            assert_eq!(status, VigilStatus::Ok, "{}", last_error());
            assert_eq!((all.hashes[0], all.quality), (pdq.hash, pdq.quality));
        }
    }
    check_own_panic();
}

fn last_error() -> String {
    // SAFETY: vigil_last_error returns NULL or a NUL-terminated string valid until the thread's
    // next call.
    unsafe {
        let message = capi::vigil_last_error();
        if message.is_null() {
            String::new()
        } else {
            CStr::from_ptr(message).to_string_lossy().into_owned()
        }
    }
}

#[cfg(test)]
mod regressions {
    use std::path::Path;

    /// Replays every file of `fuzz/regressions/<target>/` (crash inputs once found, kept fixed)
    /// through its target's function.
    #[test]
    fn regressions_stay_fixed() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
        let mut replayed = 0;
        for (name, target) in super::TARGETS {
            let Ok(dir) = std::fs::read_dir(root.join(name)) else {
                continue;
            };
            let mut files: Vec<_> = dir.map(|entry| entry.unwrap().path()).collect();
            files.sort();
            for file in files {
                eprintln!("replaying {}", file.display());
                target(&std::fs::read(&file).unwrap());
                replayed += 1;
            }
        }
        eprintln!("{replayed} regression inputs replayed");
    }

    /// Each target on a few trivial inputs, so the stable harness runs every body at least once.
    #[test]
    fn every_target_takes_trivial_inputs() {
        for (_, target) in super::TARGETS {
            for input in [&b""[..], b"\0", b"YUV4MPEG2 W2 H2\n", &[0xff; 300]] {
                target(input);
            }
        }
    }
}
