//! What decoding takes in memory, measured by a counting global allocator (in this test binary
//! only, which holds a single test so that nothing else allocates meanwhile).
//!
//! The case: a 5×5 PNG whose `iCCP` chunk (an ICC profile, which vigil never reads) is about
//! 5 MB of zlib that inflates to 1000 MiB. The PNG decoder inflates a profile as it reads the
//! header; bounded only by the 1 GiB pixel budget it took 1.04 GB to hash this file (and four
//! copies with `-j 4` over 4 GB). Bounded by `MAX_METADATA_BYTES`, the profile is given up and
//! the pixels decode.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Cursor, Write};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use vigil::decode::{DecodeOptions, MAX_METADATA_BYTES, decode_bytes, decode_file};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, size) };
        if !q.is_null() {
            if size > layout.size() {
                grew(size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - size, Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes allocated at once while `step` ran, above what was live before it.
fn peak_during<T>(step: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let out = step();
    (out, PEAK.load(Relaxed) - base)
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    png.extend_from_slice(&crc.sum().to_be_bytes());
}

/// A 5×5 RGB PNG (pixels `pixels`) with an `iCCP` chunk that inflates to `inflated` zero bytes.
fn iccp_bomb(pixels: &image::RgbImage, inflated: usize) -> Vec<u8> {
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..inflated >> 20 {
        zlib.write_all(&zeros).unwrap();
    }
    let profile = [&b"icc\0\0"[..], &zlib.finish().unwrap()].concat();
    let mut plain = Vec::new();
    pixels
        .write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Png)
        .unwrap();
    // The signature and IHDR take the first 33 bytes; iCCP must come before IDAT.
    let mut bomb = plain[..33].to_vec();
    chunk(&mut bomb, b"iCCP", &profile);
    bomb.extend_from_slice(&plain[33..]);
    bomb
}

#[test]
fn a_png_icc_profile_bomb_decodes_within_the_metadata_limit() {
    let pixels = image::RgbImage::from_fn(5, 5, |x, y| image::Rgb([x as u8 * 50, y as u8 * 50, 7]));
    let bomb = iccp_bomb(&pixels, 1000 << 20);
    let bound = 2 * MAX_METADATA_BYTES as usize + (1 << 20);
    let options = DecodeOptions::default();

    let (decoded, peak) = peak_during(|| decode_bytes(&bomb, "bomb.png", &options));
    let decoded = decoded.expect("the pixels decode; the profile is given up");
    assert_eq!(decoded.pixels, pixels.as_raw()[..]);
    eprintln!(
        "iCCP bomb of {} bytes: decode_bytes peaked at {peak} bytes",
        bomb.len()
    );
    assert!(peak < bound, "decode_bytes peaked at {peak} bytes");

    let dir = std::env::temp_dir().join(format!("vigil-decode-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bomb.png");
    std::fs::write(&path, &bomb).unwrap();
    drop(bomb);
    let (estimate, peak) = peak_during(|| vigil::decode::decoded_bytes_estimate(&path));
    eprintln!("decoded_bytes_estimate peaked at {peak} bytes");
    // RGB8 pixels are hashed as decoded: no 8-bit copy; the inflated rows (a filter byte a row)
    // that decode/png.rs may hold beside them.
    assert_eq!(estimate, Some(5 * 5 * 3 + (5 * 5 * 3 + 5)));
    assert!(
        peak < bound,
        "decoded_bytes_estimate peaked at {peak} bytes"
    );
    let (decoded, peak) = peak_during(|| decode_file(&path, &options));
    eprintln!("decode_file peaked at {peak} bytes");
    assert_eq!(decoded.unwrap().pixels, pixels.as_raw()[..]);
    assert!(peak < bound, "decode_file peaked at {peak} bytes");
    std::fs::remove_dir_all(&dir).unwrap();
}
