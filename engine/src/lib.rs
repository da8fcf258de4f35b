//! # vigil
//!
//! PDQ perceptual hashes (Meta's 256-bit DCT hash) computed in integer arithmetic, so that every
//! backend gives the same bits, and equal to the reference's on the same pixels.
//!
//! The layers, each using only those below it (`ARCHITECTURE.md` in the repository has the rules):
//!
//! | layer | what | start at |
//! |---|---|---|
//! | front ends | the `vigil` CLI; Python, C and WebAssembly bindings | (other crates) |
//! | pipelines | files, folders, bytes and readers; videos and their per-list decisions | [`files::hash_files`], [`files::hash_sources`], [`video::VideoInput`], [`video::VideoLists`] |
//! | backends | CPU (rayon) and GPU (WGSL through wgpu), bit-identical | [`BatchHasher`] |
//! | stages | the integer arithmetic of each PDQ step, written once | [`stages`] |
//! | frames | decoded pixels of any layout | [`Frame`], [`decode`] |
//! | beside | hashes, hash lists, the Hamming matcher | [`Hash256`], [`lists`], [`matcher`] |
//!
//! Frames to hashes:
//!
//! ```
//! use vigil::{Frame, PixelFormat};
//!
//! // Any decoded frame: RGB, RGBA, BGRA, grey, or the Y plane of I420/NV12, with a row stride.
//! let (width, height) = (320, 240);
//! let rgb: Vec<u8> = (0..width * height * 3).map(|i| (i * 7 % 256) as u8).collect();
//! let frame = Frame::packed(&rgb, width as u32, height as u32, PixelFormat::Rgb8)?;
//!
//! let pdq = vigil::hash(&frame);
//! assert_eq!(pdq.hash.to_string().len(), 64);
//!
//! // All eight rotations and flips from the same pass over the pixels.
//! let all = vigil::hash_dihedral(&frame);
//! assert_eq!(all.original(), pdq);
//! # Ok::<(), vigil::Error>(())
//! ```
//!
//! Backends: batches on a GPU when there is one, the same bits as the CPU.
//!
//! ```
//! use vigil::{Backend, BatchHasher, Frame, PixelFormat};
//! let hasher = BatchHasher::new(Backend::Auto)?;
//! let pixels = vec![7u8; 64 * 64];
//! let frame = Frame::packed(&pixels, 64, 64, PixelFormat::Luma8)?;
//! assert_eq!(hasher.hash_batch(&[frame])[0], vigil::hash(&frame));
//! # Ok::<(), vigil::Error>(())
//! ```
//!
//! Pipelines: image files through [`decode`] one at a time, [`files::hash_files`] for folders
//! and [`files::hash_sources`] for images in memory or on readers, decoded in parallel within a
//! memory budget, one result per image in input order, a bad image failing alone:
//!
//! ```
//! use std::ops::ControlFlow;
//! use vigil::files::{FileHashOptions, ImageSource, hash_sources};
//! use vigil::{Backend, BatchHasher};
//!
//! let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
//! let hasher = BatchHasher::new(Backend::Cpu)?;
//! let mut pgm = b"P5\n64 64\n255\n".to_vec();
//! pgm.extend((0..64 * 64u32).map(|i| (i % 64 * (i / 64) % 251) as u8));
//! let uploads = [ImageSource::bytes("upload.pgm", pgm), ImageSource::bytes("bad", vec![1, 2])];
//! let mut results = Vec::new();
//! let _: ControlFlow<()> = hash_sources(&pool, &hasher, uploads, &FileHashOptions::default(), |chunk| {
//!     results.extend(chunk);
//!     ControlFlow::Continue(())
//! });
//! assert!(results[0].result.is_ok() && results[1].result.is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Videos through [`video::hash_video_file`] or [`video::VideoInput`] (a file through ffmpeg, a
//! YUV4MPEG2 stream, or the caller's frames) to vPDQ features, decided per list by
//! [`video::VideoLists`]:
//!
//! ```
//! use std::io::Cursor;
//! use std::ops::ControlFlow;
//! use std::sync::Arc;
//! use vigil::lists::HashList;
//! use vigil::video::{CompareOptions, FrameChecker, VideoInput, VideoLists, VpdqOptions, y4m::Y4mReader};
//! use vigil::{Backend, BatchHasher};
//!
//! let mut y4m = b"YUV4MPEG2 W64 H64 F2:1 Cmono\n".to_vec();
//! for _ in 0..4 {
//!     y4m.extend_from_slice(b"FRAME\n");
//!     y4m.extend((0..64 * 64u32).map(|i| (i % 64 * (i / 64) % 251) as u8));
//! }
//! let hasher = Arc::new(BatchHasher::new(Backend::Cpu)?);
//! // The known video: this one, as a vPDQ list.
//! let mut known = String::new();
//! VideoInput::from_source("known.y4m", Y4mReader::new(Cursor::new(y4m.clone()))?, None)
//!     .hash(FrameChecker::builder(Arc::clone(&hasher)), &VpdqOptions::default(), |frame| {
//!         known.push_str(&format!("{}\n", frame.feature));
//!         ControlFlow::Continue(())
//!     })?;
//! let known = vec![HashList::parse("known.vpdq", known.as_bytes())?];
//! let lists = VideoLists::new(known, &CompareOptions::default(), false)?;
//! // The upload, checked against it.
//! let mut tally = lists.tally();
//! let checker = FrameChecker::builder(hasher).matcher(Arc::clone(lists.matcher()));
//! VideoInput::from_source("upload.y4m", Y4mReader::new(Cursor::new(y4m))?, None)
//!     .hash(checker, &VpdqOptions::default(), |frame| {
//!         if frame.kept {
//!             tally.record(&frame.feature, frame.checked.matches.as_ref());
//!         }
//!         ControlFlow::Continue(())
//!     })?;
//! assert!(tally.decide()[0].is_match);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Beside them, lists and the matcher:
//!
//! ```
//! use vigil::lists::HashList;
//! use vigil::matcher::{MatchOptions, Matcher, Query, QueryOutcome};
//! let list = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,case-17\n";
//! let mut matcher = Matcher::new(MatchOptions::default());
//! matcher.add_list(HashList::parse("known.csv", list.as_bytes())?, 31)?;
//! let known = matcher.list(0).unwrap().hashes()[0];
//! let outcome = &matcher.match_queries(&[Query::original(vigil::PdqHash { hash: known, quality: 90 })])[0];
//! assert!(matches!(outcome, QueryOutcome::Matched(m) if m[0].distance == 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Stages: each PDQ step's integer arithmetic, written once and mirrored by a WGSL file of the
//! same name; how each computes, with its scales and bounds, is written down in [`stages`]. The
//! last two, on a 64×64 image in stage 2's fixed point:
//!
//! ```
//! use vigil::stages::{self, DOWNSAMPLED};
//! let image: Vec<u32> = (0..DOWNSAMPLED * DOWNSAMPLED)
//!     .map(|i| (i % DOWNSAMPLED * 1000 + i / DOWNSAMPLED * 37) as u32)
//!     .collect();
//! let block = stages::dct(image.as_slice().try_into()?); // the 16×16 DCT, in integers
//! let hash = stages::hash_from_dct(&block); // bit k: coefficient k above the median
//! assert_eq!(stages::dihedral_hashes_from_dct(&block)[0], hash);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

/// Builder-style setters for an options struct's public fields: `self.field(value)` sets
/// `field` and returns the options, so options can grow (`#[non_exhaustive]`) without breaking
/// callers.
macro_rules! option_setters {
    ($options:ty { $($field:ident: $type:ty),* $(,)? }) => {
        impl $options {
            $(
                #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
                pub fn $field(mut self, $field: $type) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}

mod backend;
pub mod cpu;
pub mod decode;
mod error;
pub mod files;
mod frame;
#[cfg(feature = "gpu")]
pub mod gpu;
mod hash;
pub mod lists;
pub mod matcher;
pub mod output_file;
/// Integer tables for one frame size (stage 1's weights). Not part of the stable API: for vigil's own tests, benchmarks and `vigil bench`; it may change in any release.
#[doc(hidden)]
pub mod plan;
pub mod robust;
#[cfg(feature = "serde")]
mod serde_impls;
pub mod stages;
/// Photo-like synthetic frames. Not part of the stable API: for vigil's own tests, benchmarks and `vigil bench`; it may change in any release.
#[doc(hidden)]
pub mod synthetic;
mod system_memory;
pub mod video;

pub use backend::{ActiveBackend, Backend, BatchHasher};
pub use cpu::{hash, hash_batch, hash_dihedral, hash_dihedral_batch};
pub use error::{Error, Result};
pub use frame::{Frame, MAX_SIDE, PixelFormat};
pub use hash::{
    DEFAULT_THRESHOLD, Dihedral, DihedralHashes, Hash256, MIN_QUALITY, ParseHashError, PdqHash,
};

/// The README's library example, compiled with the doc tests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
