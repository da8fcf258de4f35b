//! The deterministic generator of golden inputs and the manifest format.
//!
//! Every golden input is made here from a [`Case`]: a kind of picture, a seed, a size, a pixel
//! format and a row stride. The pictures come from integer arithmetic and a [`SplitMix64`]
//! generator only, so they are the same bytes on every machine and every Rust version; the
//! manifest records the blake3 of each buffer so that a change of generator is told apart from a
//! change of engine.
//!
//! A few cases are also written as PNG files under `golden/inputs/` ([`png_inputs`]), so the
//! command-line tool has real files to hash. Their manifest rows have kind `file` and record the
//! blake3 of the PNG bytes.
//!
//! Bytes that the engine must not read (row padding, the alpha channel, the chroma planes of
//! I420 and NV12) are filled with junk from a second generator ([`Case::generate_with_junk`]), so a
//! test can change the junk and require the same hashes.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use vigil::{DihedralHashes, Frame, Hash256, PixelFormat};

/// The command that rewrites `golden/` from the generator and the current engine.
pub const REGENERATE: &str = "cargo run -p vigil-tests --release --bin vigil-golden -- --write";

/// The first line of `golden/manifest.csv`.
pub const HEADER: &str =
    "name,kind,seed,width,height,format,stride,input_blake3,quality,hash,dihedral";

/// The kind recorded in the manifest for a PNG file under `golden/inputs/`.
pub const FILE_KIND: &str = "file";

/// The `golden/` directory at the root of the workspace.
pub fn golden_dir() -> PathBuf {
    let tests_crate = Path::new(env!("CARGO_MANIFEST_DIR"));
    tests_crate.parent().unwrap_or(tests_crate).join("golden")
}

/// `golden/manifest.csv`.
pub fn manifest_path() -> PathBuf {
    golden_dir().join("manifest.csv")
}

/// `golden/inputs/`, where the PNG inputs live.
pub fn inputs_dir() -> PathBuf {
    golden_dir().join("inputs")
}

mod cases;
mod manifest;
mod pictures;
mod rng;

pub use cases::*;
pub use manifest::*;
pub use pictures::*;
pub use rng::*;
