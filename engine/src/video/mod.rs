//! Video: a streaming frame checker, and vPDQ-compatible video hashing and matching.
//!
//! * [`FrameChecker`] ([`checker`]): frames of any [`PixelFormat`](crate::PixelFormat) in, from
//!   any number of threads, one at a time or in slices; hashes (and matches, with a
//!   [`Matcher`](crate::matcher::Matcher) attached) out in submission order, batched for the
//!   [`BatchHasher`](crate::BatchHasher)'s backend, with bounded memory (`submit` blocks and `try_submit`
//!   says "full" when the consumer falls behind).
//! * vPDQ (Meta's video PDQ, `vpdq/` in ThreatExchange): which frames are hashed
//!   ([`FrameSampler`]), downscaling before hashing ([`downsample()`]), pruning near-repeats
//!   ([`Pruner`]), the `FRAME,QUALITY,HASH,TIMESTAMP` format ([`VpdqFeature`]), and comparing two
//!   videos ([`compare_videos`], with the [`Gate`] the decision uses).
//! * Input: any [`FrameSource`]: files through ffmpeg ([`ffmpeg`]), converted to RGB exactly as
//!   vPDQ's libswscale converts them, and YUV4MPEG2 streams read in Rust ([`y4m`]), converted to
//!   RGB in the same arithmetic. [`VideoInput`] opens either (or takes the caller's frames) and
//!   runs the whole pipeline ([`VideoInput::hash`]) with ffmpeg's verdict; [`hash_video_file`]
//!   is the one-call form (what `vpdq.computeHash` does). Every failure is a [`VideoError`].
//! * Decisions: [`VideoLists`] and [`DecisionTally`] decide per list whether a video matches
//!   (vPDQ's comparison for a known video, any frame for a list of images, frames under the
//!   quality threshold left out).
//!
//! ```
//! use std::sync::Arc;
//! use vigil::video::{CompareOptions, FrameChecker, VideoInput, VpdqOptions, compare_videos};
//! use vigil::video::y4m::Y4mReader;
//! use vigil::{Backend, BatchHasher, PdqHash};
//!
//! // A 2-second 64×64 grey video at 5 frames/s whose picture changes every second.
//! let mut stream = b"YUV4MPEG2 W64 H64 F5:1 Cmono\n".to_vec();
//! for frame in 0..10u32 {
//!     stream.extend_from_slice(b"FRAME\n");
//!     stream.extend((0..64 * 64u32).map(|i| ((i % 64) * (i / 64 + 1 + frame / 5 * 7) % 251) as u8));
//! }
//! let hasher = Arc::new(BatchHasher::new(Backend::Cpu)?);
//! let mut frames: Vec<PdqHash> = Vec::new();
//! let input = VideoInput::from_source("clip.y4m", Y4mReader::new(std::io::Cursor::new(stream))?, None);
//! input.hash(FrameChecker::builder(hasher), &VpdqOptions::default(), |hashed| {
//!     let feature = hashed.feature;
//!     println!("{feature}"); // 0,100,9c8e...,0.000 as vpdq-hash-video writes it
//!     frames.push(PdqHash { hash: feature.hash, quality: feature.quality });
//!     std::ops::ControlFlow::Continue(())
//! })?;
//! assert_eq!(frames.len(), 10);
//!
//! // The video against its own first second: all of that is found in it.
//! let first_second = &frames[..5];
//! let result = compare_videos(&frames, first_second, &CompareOptions::default());
//! assert_eq!(result.compared_percent, 100.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod checker;
pub mod compare;
mod decision;
mod downsample;
pub mod ffmpeg;
mod input;
pub mod luma_range;
mod prune;
mod sampling;
mod source;
mod vpdq_format;
mod vpdq_stream;
pub mod y4m;
mod yuv_to_rgb;

pub use checker::{
    CheckedFrame, CheckedFrames, CheckerBuilder, Closed, FrameChecker, FramePosition,
    TrySubmitError,
};
pub use compare::{CompareOptions, Gate, VideoComparison, compare_videos, list_frames};
pub use decision::{DecisionTally, FrameMatches, ListDecision, VideoLists};
pub use downsample::downsample;
pub use input::{OpenError, VideoError, VideoInput, VideoRun, hash_video_file};
pub use luma_range::{LumaRange, expand_limited_range};
pub use prune::Pruner;
pub use sampling::{BadSecondsPerHash, FrameRate, FrameSampler};
pub use source::{FrameSource, SourceError, SourceFrame};
pub use vpdq_format::{Seconds3, VpdqFeature};
pub use vpdq_stream::{HashedFrame, StreamSummary, VpdqOptions};

#[cfg(test)]
mod tests {
    use crate::Hash256;

    /// A hash with exactly `bits` set.
    pub(crate) fn hash_with_bits(bits: &[usize]) -> Hash256 {
        let mut hash = Hash256::ZERO;
        for &bit in bits {
            hash.set_bit(bit);
        }
        hash
    }
}
