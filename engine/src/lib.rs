//! # vigil
//!
//! PDQ perceptual hashes (Meta's 256-bit DCT hash) computed in integer arithmetic, so that every
//! backend gives the same bits, and equal to the reference's on the same pixels.
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
//! Image files go through [`decode`]: `vigil::decode::decode_file(path, &Default::default())`.
//! How each stage computes, with its scales and bounds, is written down in [`stages`].

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
pub mod plan;
pub mod stages;
pub mod synthetic;
pub mod video;

pub use backend::{ActiveBackend, Backend, BatchHasher};
pub use cpu::{hash, hash_batch, hash_dihedral, hash_dihedral_batch};
pub use error::{Error, Result};
pub use frame::{Frame, MAX_SIDE, PixelFormat};
pub use hash::{Dihedral, DihedralHashes, Hash256, ParseHashError, PdqHash};

/// The README's library example, compiled with the doc tests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
