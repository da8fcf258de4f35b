//! The wrappers called as C calls them: results equal the engine's, and every bad call is a
//! status with a message.

use std::ffi::{CStr, CString};
use std::path::PathBuf;
use std::ptr;

use engine::synthetic::synthetic_frame;
use engine::{Frame, PixelFormat};

use super::*;

fn golden(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../golden")
        .join(path)
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(vigil_last_error()) }
        .to_str()
        .unwrap()
        .to_owned()
}

fn hex(hash: &VigilHash) -> String {
    engine::Hash256::from(*hash).to_string()
}

/// The golden manifest's hash and quality of `name`.
fn manifest(name: &str) -> (String, u8) {
    let manifest = std::fs::read_to_string(golden("manifest.csv")).unwrap();
    let line = manifest
        .lines()
        .find(|line| line.starts_with(&format!("{name},")))
        .unwrap();
    let fields: Vec<&str> = line.split(',').collect();
    (fields[9].to_owned(), fields[8].parse().unwrap())
}

/// `vigil_hash_frame` on a packed buffer.
fn hash_frame(
    data: &[u8],
    width: u32,
    height: u32,
    stride: usize,
    format: u32,
) -> (VigilStatus, VigilPdqHash) {
    let mut out = VigilPdqHash::default();
    let status = unsafe {
        vigil_hash_frame(
            data.as_ptr(),
            data.len(),
            width,
            height,
            stride,
            format,
            &mut out,
        )
    };
    (status, out)
}

/// The synthetic frame the C test builds too (engine/src/synthetic.rs, ported to C there) and
/// its hash, pinned in both tests.
const SYNTHETIC_64X48_RGB8_0: &str =
    "91f703a5b687e99256078eb85ed68182d607eef00807aaadbeb8633c66f9c463";

#[test]
fn frames_hash_as_the_engine_hashes_them() {
    let pixels = synthetic_frame(64, 48, PixelFormat::Rgb8, 0);
    let expected = engine::hash(&Frame::packed(&pixels, 64, 48, PixelFormat::Rgb8).unwrap());
    let (status, pdq) = hash_frame(&pixels, 64, 48, 64 * 3, VIGIL_PIXEL_FORMAT_RGB8);
    assert_eq!(status, VigilStatus::Ok);
    assert_eq!(engine::PdqHash::from(pdq), expected);
    assert_eq!(hex(&pdq.hash), SYNTHETIC_64X48_RGB8_0);

    // The same pixels in padded rows.
    let stride = 64 * 3 + 13;
    let mut padded = vec![0xA5u8; stride * 48];
    for (row, src) in padded.chunks_mut(stride).zip(pixels.chunks(64 * 3)) {
        row[..64 * 3].copy_from_slice(src);
    }
    let (status, again) = hash_frame(&padded, 64, 48, stride, VIGIL_PIXEL_FORMAT_RGB8);
    assert_eq!(status, VigilStatus::Ok);
    assert_eq!(again, pdq);

    let mut all = VigilDihedralHashes::default();
    let status = unsafe {
        vigil_hash_frame_dihedral(
            pixels.as_ptr(),
            pixels.len(),
            64,
            48,
            64 * 3,
            VIGIL_PIXEL_FORMAT_RGB8,
            &mut all,
        )
    };
    assert_eq!(status, VigilStatus::Ok);
    let expected =
        engine::hash_dihedral(&Frame::packed(&pixels, 64, 48, PixelFormat::Rgb8).unwrap());
    assert_eq!(engine::DihedralHashes::from(all), expected);
    assert_eq!(all.hashes[VigilDihedral::Original as usize], pdq.hash);
}

#[test]
fn every_pixel_format_is_accepted() {
    for (code, format) in [
        (VIGIL_PIXEL_FORMAT_RGB8, PixelFormat::Rgb8),
        (VIGIL_PIXEL_FORMAT_RGBA8, PixelFormat::Rgba8),
        (VIGIL_PIXEL_FORMAT_BGRA8, PixelFormat::Bgra8),
        (VIGIL_PIXEL_FORMAT_LUMA8, PixelFormat::Luma8),
        (VIGIL_PIXEL_FORMAT_I420, PixelFormat::I420),
        (VIGIL_PIXEL_FORMAT_NV12, PixelFormat::Nv12),
    ] {
        assert_eq!(pixel_format(code).unwrap(), format);
        let pixels = synthetic_frame(33, 17, format, 1);
        let expected = engine::hash(&Frame::packed(&pixels, 33, 17, format).unwrap());
        let (status, pdq) = hash_frame(&pixels, 33, 17, 33 * format.bytes_per_pixel(), code);
        assert_eq!(status, VigilStatus::Ok, "{format:?}");
        assert_eq!(engine::PdqHash::from(pdq), expected, "{format:?}");
    }
}

#[test]
fn bad_frames_are_errors_with_messages() {
    let pixels = vec![0u8; 300];
    let mut out = VigilPdqHash::default();
    let rgb = VIGIL_PIXEL_FORMAT_RGB8;
    let check = |status: VigilStatus, expected: VigilStatus, message: &str| {
        assert_eq!(status, expected, "{message}");
        let error = last_error();
        assert!(error.contains(message), "{error:?} should say {message:?}");
    };
    let status = unsafe { vigil_hash_frame(ptr::null(), 300, 10, 10, 30, rgb, &mut out) };
    check(status, VigilStatus::NullPointer, "`data` is NULL");
    let status =
        unsafe { vigil_hash_frame(pixels.as_ptr(), 300, 10, 10, 30, rgb, ptr::null_mut()) };
    check(status, VigilStatus::NullPointer, "`out` is NULL");
    let bad = VigilStatus::InvalidArgument;
    check(hash_frame(&pixels, 0, 10, 30, rgb).0, bad, "empty");
    check(hash_frame(&pixels, 10, 10, 29, rgb).0, bad, "stride 29");
    check(
        hash_frame(&pixels, 10, 11, 30, rgb).0,
        bad,
        "holds 300 bytes",
    );
    check(
        hash_frame(&pixels, 10, 10, 30, 6).0,
        bad,
        "unknown pixel format 6",
    );
    check(
        hash_frame(&pixels, 10, 10, usize::MAX / 2, rgb).0,
        bad,
        "the frame needs",
    );
    let status =
        unsafe { vigil_hash_frame(pixels.as_ptr(), usize::MAX, 10, 10, 30, rgb, &mut out) };
    check(status, bad, "larger than any buffer");
    assert_eq!(
        out,
        VigilPdqHash::default(),
        "a failed call leaves *out alone"
    );
    let (status, _) = hash_frame(&pixels, VIGIL_MAX_SIDE + 1, 1, 30, VIGIL_PIXEL_FORMAT_LUMA8);
    assert_eq!(status, VigilStatus::InvalidArgument);
}

#[test]
fn a_batch_fails_only_its_bad_frames() {
    let mut hasher = ptr::null_mut();
    assert_eq!(
        unsafe { vigil_hasher_new(VIGIL_BACKEND_CPU, &mut hasher) },
        VigilStatus::Ok
    );
    assert_eq!(unsafe { vigil_hasher_is_gpu(hasher) }, 0);
    let frames: Vec<Vec<u8>> = (0..3)
        .map(|i| synthetic_frame(40, 30, PixelFormat::Bgra8, i))
        .collect();
    let mut descriptors: Vec<VigilFrame> = frames
        .iter()
        .map(|pixels| VigilFrame {
            data: pixels.as_ptr(),
            len: pixels.len(),
            width: 40,
            height: 30,
            stride: 160,
            format: VIGIL_PIXEL_FORMAT_BGRA8,
        })
        .collect();
    descriptors[1].stride = 100; // shorter than a row of 160 bytes
    let mut results = [VigilPdqHash::default(); 3];
    let mut statuses = [VigilStatus::Panic; 3];
    let status = unsafe {
        vigil_hasher_hash_batch(
            hasher,
            descriptors.as_ptr(),
            3,
            results.as_mut_ptr(),
            statuses.as_mut_ptr(),
        )
    };
    assert_eq!(status, VigilStatus::Ok);
    assert_eq!(
        statuses,
        [
            VigilStatus::Ok,
            VigilStatus::InvalidArgument,
            VigilStatus::Ok
        ]
    );
    assert!(
        last_error().starts_with("frame 1: row stride 100"),
        "{}",
        last_error()
    );
    for i in [0, 2] {
        let expected =
            engine::hash(&Frame::packed(&frames[i], 40, 30, PixelFormat::Bgra8).unwrap());
        assert_eq!(engine::PdqHash::from(results[i]), expected);
    }
    assert_eq!(results[1], VigilPdqHash::default());

    let mut all = [VigilDihedralHashes::default(); 3];
    let status = unsafe {
        vigil_hasher_hash_dihedral_batch(
            hasher,
            descriptors.as_ptr(),
            3,
            all.as_mut_ptr(),
            statuses.as_mut_ptr(),
        )
    };
    assert_eq!(status, VigilStatus::Ok);
    assert_eq!(statuses[1], VigilStatus::InvalidArgument);
    assert_eq!(all[2].hashes[0], results[2].hash);

    let status = unsafe {
        vigil_hasher_hash_batch(
            hasher,
            ptr::null(),
            3,
            results.as_mut_ptr(),
            statuses.as_mut_ptr(),
        )
    };
    assert_eq!(status, VigilStatus::NullPointer);
    let status = unsafe {
        vigil_hasher_hash_batch(
            ptr::null(),
            descriptors.as_ptr(),
            3,
            results.as_mut_ptr(),
            statuses.as_mut_ptr(),
        )
    };
    assert_eq!(status, VigilStatus::NullPointer);
    unsafe { vigil_hasher_free(hasher) };
    unsafe { vigil_hasher_free(ptr::null_mut()) };

    assert_eq!(
        unsafe { vigil_hasher_new(9, &mut hasher) },
        VigilStatus::InvalidArgument
    );
    assert!(last_error().contains("unknown backend 9"));
}

#[cfg(not(feature = "gpu"))]
#[test]
fn a_cpu_only_build_refuses_the_gpu() {
    let mut hasher = ptr::null_mut();
    assert_eq!(
        unsafe { vigil_hasher_new(VIGIL_BACKEND_GPU, &mut hasher) },
        VigilStatus::GpuUnavailable
    );
    assert!(last_error().contains("without the `gpu` feature"));
    assert_eq!(
        unsafe { vigil_hasher_new(VIGIL_BACKEND_AUTO, &mut hasher) },
        VigilStatus::Ok
    );
    assert_eq!(unsafe { vigil_hasher_is_gpu(hasher) }, 0);
    unsafe { vigil_hasher_free(hasher) };
}

fn hash_image(bytes: &[u8], options: Option<&VigilDecodeOptions>) -> (VigilStatus, VigilPdqHash) {
    let mut out = VigilPdqHash::default();
    let options = options.map_or(ptr::null(), ptr::from_ref);
    let status = unsafe { vigil_hash_image(bytes.as_ptr(), bytes.len(), options, &mut out) };
    (status, out)
}

#[test]
fn encoded_images_hash_to_their_golden_hashes() {
    for name in [
        "inputs/photo-320x240-rgb8.png",
        "inputs/text-400x300-luma8.png",
    ] {
        let bytes = std::fs::read(golden(name)).unwrap();
        let (status, pdq) = hash_image(&bytes, None);
        assert_eq!(status, VigilStatus::Ok, "{name}: {}", last_error());
        assert_eq!((hex(&pdq.hash), pdq.quality), manifest(name), "{name}");
    }
}

#[test]
fn bad_images_and_bombs_are_refused() {
    let bytes = std::fs::read(golden("inputs/photo-320x240-rgb8.png")).unwrap();
    let (status, _) = hash_image(&bytes[..bytes.len() / 2], None);
    assert_eq!(status, VigilStatus::DecodeError, "a truncated PNG");
    let (status, _) = hash_image(b"not an image at all", None);
    assert_eq!(status, VigilStatus::DecodeError);
    assert!(!last_error().is_empty());
    let (status, _) = hash_image(&[], None);
    assert_eq!(status, VigilStatus::InvalidArgument);

    let mut options = VigilDecodeOptions {
        max_alloc_bytes: 0,
        apply_exif: 1,
        cpp_cli_resize: 1,
    };
    assert_eq!(
        unsafe { vigil_decode_options_default(&mut options) },
        VigilStatus::Ok
    );
    assert_eq!(options.max_alloc_bytes, 1 << 30);
    assert_eq!((options.apply_exif, options.cpp_cli_resize), (0, 0));
    options.max_alloc_bytes = 320 * 240 * 3 - 1;
    let (status, _) = hash_image(&bytes, Some(&options));
    assert_eq!(status, VigilStatus::DecodeError);
    assert!(
        last_error().contains("decompression bomb"),
        "{}",
        last_error()
    );
    options.max_alloc_bytes = 320 * 240 * 3;
    assert_eq!(hash_image(&bytes, Some(&options)).0, VigilStatus::Ok);
}

fn matcher_with(list: &[u8], threshold: u32) -> *mut VigilMatcher {
    let mut matcher = ptr::null_mut();
    assert_eq!(
        unsafe { vigil_matcher_new(ptr::null(), &mut matcher) },
        VigilStatus::Ok
    );
    let mut index = usize::MAX;
    let status = unsafe {
        vigil_matcher_add_list(
            matcher,
            c"known".as_ptr(),
            list.as_ptr(),
            list.len(),
            threshold,
            &mut index,
        )
    };
    assert_eq!(status, VigilStatus::Ok, "{}", last_error());
    assert_eq!(index, 0);
    matcher
}

/// The matches of `results` as (list name, entry id, distance, orientation), freeing them.
fn read(results: *mut VigilMatches) -> Vec<(String, String, u32, VigilDihedral)> {
    let count = unsafe { vigil_matches_count(results) };
    let read = (0..count)
        .map(|i| {
            let m = unsafe { &*vigil_matches_get(results, i) };
            let text = |p| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
            (
                text(m.list_name),
                text(m.entry_id),
                m.distance,
                m.orientation,
            )
        })
        .collect();
    assert!(unsafe { vigil_matches_get(results, count) }.is_null());
    unsafe { vigil_matches_free(results) };
    read
}

#[test]
fn lists_match_originals_and_rotations() {
    let matcher = matcher_with(&std::fs::read(golden("demo-list.csv")).unwrap(), 31);
    let photo = std::fs::read(golden("inputs/photo-320x240-rgb8.png")).unwrap();
    let (_, pdq) = hash_image(&photo, None);
    let mut results = ptr::null_mut();
    assert_eq!(
        unsafe { vigil_matcher_match(matcher, &pdq, &mut results) },
        VigilStatus::Ok
    );
    assert_eq!(unsafe { vigil_matches_low_quality(results) }, 0);
    assert_eq!(
        read(results),
        [(
            "known".to_owned(),
            "demo-0001".to_owned(),
            3,
            VigilDihedral::Original
        )]
    );

    // demo-0002 is text-400x300-luma8 rotated 90 degrees: only a dihedral query finds it.
    let text = std::fs::read(golden("inputs/text-400x300-luma8.png")).unwrap();
    let (_, pdq) = hash_image(&text, None);
    assert_eq!(
        unsafe { vigil_matcher_match(matcher, &pdq, &mut results) },
        VigilStatus::Ok
    );
    assert!(read(results).is_empty());
    let mut all = VigilDihedralHashes::default();
    assert_eq!(
        unsafe { vigil_hash_image_dihedral(text.as_ptr(), text.len(), ptr::null(), &mut all) },
        VigilStatus::Ok
    );
    assert_eq!(
        unsafe { vigil_matcher_match_dihedral(matcher, &all, &mut results) },
        VigilStatus::Ok
    );
    let found = read(results);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].1.as_str(), found[0].2), ("demo-0002", 0));
    assert_ne!(found[0].3, VigilDihedral::Original);

    // A query too featureless to match.
    let low = VigilPdqHash { quality: 10, ..pdq };
    assert_eq!(
        unsafe { vigil_matcher_match(matcher, &low, &mut results) },
        VigilStatus::Ok
    );
    assert_eq!(unsafe { vigil_matches_low_quality(results) }, 1);
    assert!(read(results).is_empty());
    unsafe { vigil_matcher_free(matcher) };
}

#[test]
fn lists_from_files_and_binary_lists_load() {
    let mut matcher = ptr::null_mut();
    let options = VigilMatcherOptions {
        include_low_quality: 1,
    };
    assert_eq!(
        unsafe { vigil_matcher_new(&options, &mut matcher) },
        VigilStatus::Ok
    );
    let path = CString::new(golden("demo-list.csv").to_str().unwrap()).unwrap();
    let status =
        unsafe { vigil_matcher_add_list_file(matcher, path.as_ptr(), 31, ptr::null_mut()) };
    assert_eq!(status, VigilStatus::Ok);

    let list = engine::lists::HashList::load(&golden("demo-list.csv")).unwrap();
    let mut binary = Vec::new();
    list.write_binary(&mut binary).unwrap();
    let mut index = 0;
    let status = unsafe {
        vigil_matcher_add_list(
            matcher,
            ptr::null(),
            binary.as_ptr(),
            binary.len(),
            0,
            &mut index,
        )
    };
    assert_eq!(status, VigilStatus::Ok);
    assert_eq!(index, 1);
    assert_eq!(unsafe { vigil_matcher_list_count(matcher) }, 2);

    // An exact hit in both lists, the second named by default; quality 10 is matched too here.
    let mut query = VigilPdqHash {
        quality: 10,
        ..Default::default()
    };
    let hex = c"2d031bf7d91aceac95d8610fd8652061dd46cd99caf058297a317cd91db5c7e2";
    assert_eq!(
        unsafe { vigil_hash_from_hex(hex.as_ptr(), &mut query.hash) },
        VigilStatus::Ok
    );
    let mut results = ptr::null_mut();
    assert_eq!(
        unsafe { vigil_matcher_match(matcher, &query, &mut results) },
        VigilStatus::Ok
    );
    let found = read(results);
    let names: Vec<&str> = found.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(names, [path.to_str().unwrap(), "list"]);
    unsafe { vigil_matcher_free(matcher) };
}

#[test]
fn bad_lists_are_refused() {
    let matcher = matcher_with(
        b"2d031bf7d91aceac95d8610fd8652061dd46cd99caf058297a317cd91db5c7e2\n",
        31,
    );
    let add = |bytes: &[u8], threshold| unsafe {
        vigil_matcher_add_list(
            matcher,
            c"bad".as_ptr(),
            bytes.as_ptr(),
            bytes.len(),
            threshold,
            ptr::null_mut(),
        )
    };
    assert_eq!(add(b"not a hash\n", 31), VigilStatus::ListError);
    assert!(last_error().starts_with("bad:1:"), "{}", last_error());
    assert_eq!(add(b"# only a comment\n", 31), VigilStatus::ListError);
    assert!(last_error().contains("no hashes"));

    let list = engine::lists::HashList::load(&golden("demo-list.csv")).unwrap();
    let mut binary = Vec::new();
    list.write_binary(&mut binary).unwrap();
    let last = binary.len() - 1;
    binary[last] ^= 1;
    assert_eq!(add(&binary, 31), VigilStatus::ListError);
    assert!(
        last_error().contains("damaged binary hash list"),
        "{}",
        last_error()
    );
    binary[last] ^= 1;
    assert_eq!(add(&binary, 257), VigilStatus::InvalidArgument);
    assert!(last_error().contains("threshold 257"));
    assert_eq!(
        unsafe { vigil_matcher_list_count(matcher) },
        1,
        "failed adds add nothing"
    );

    let missing = c"/nonexistent/list.csv";
    let status =
        unsafe { vigil_matcher_add_list_file(matcher, missing.as_ptr(), 31, ptr::null_mut()) };
    assert_eq!(status, VigilStatus::IoError);
    let status = unsafe {
        vigil_matcher_add_list(matcher, ptr::null(), ptr::null(), 0, 31, ptr::null_mut())
    };
    assert_eq!(status, VigilStatus::NullPointer);
    let mut results = ptr::null_mut();
    let status = unsafe { vigil_matcher_match(matcher, ptr::null(), &mut results) };
    assert_eq!(status, VigilStatus::NullPointer);
    assert!(results.is_null());
    unsafe { vigil_matcher_free(matcher) };
}

#[test]
fn small_helpers() {
    let version = unsafe { CStr::from_ptr(vigil_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    for status in [
        VigilStatus::Ok,
        VigilStatus::NullPointer,
        VigilStatus::InvalidArgument,
        VigilStatus::DecodeError,
        VigilStatus::ListError,
        VigilStatus::IoError,
        VigilStatus::GpuUnavailable,
        VigilStatus::Panic,
    ] {
        let name = unsafe { CStr::from_ptr(vigil_status_name(status as u32)) };
        assert_eq!(name.to_str().unwrap(), status.name());
    }
    assert_eq!(unsafe { CStr::from_ptr(vigil_status_name(99)) }, c"UNKNOWN");
    for orientation in engine::Dihedral::ALL {
        let name = unsafe { CStr::from_ptr(vigil_dihedral_name(orientation as u32)) };
        assert_eq!(name.to_str().unwrap(), orientation.name());
        assert_eq!(VigilDihedral::from(orientation) as u32, orientation as u32);
    }
    assert!(vigil_dihedral_name(8).is_null());

    let text = c"F8F8F0CEE0F4A84F06370A22038F63F0B36E2ED596621E1D33E6B39C4E9C9B22";
    let mut hash = VigilHash::default();
    assert_eq!(
        unsafe { vigil_hash_from_hex(text.as_ptr(), &mut hash) },
        VigilStatus::Ok
    );
    let mut out = [0 as std::ffi::c_char; 65];
    assert_eq!(
        unsafe { vigil_hash_to_hex(&hash, out.as_mut_ptr()) },
        VigilStatus::Ok
    );
    let round = unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().unwrap();
    assert_eq!(round, text.to_str().unwrap().to_lowercase());
    assert_eq!(unsafe { vigil_hash_distance(&hash, &hash) }, 0);
    assert_eq!(unsafe { vigil_hash_distance(&hash, ptr::null()) }, 256);
    assert_eq!(
        unsafe { vigil_hash_from_hex(c"abc".as_ptr(), &mut hash) },
        VigilStatus::InvalidArgument
    );
}
