//! A whole vPDQ run over a [`FrameSource`]: frames read on one thread, sampled
//! ([`FrameSampler`]), hashed by a [`FrameChecker`], pruned ([`Pruner`]), and handed to the
//! caller as [`VpdqFeature`]s in frame order on the calling thread.

use std::ops::ControlFlow;
use std::path::Path;

use super::checker::{CheckedFrame, FrameChecker, FramePosition};
use super::input::VideoError;
use super::prune::Pruner;
use super::sampling::FrameSampler;
use super::source::FrameSource;
use super::vpdq_format::VpdqFeature;

/// Which frames become features.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct VpdqOptions {
    /// Hash one frame every this many seconds (vPDQ's rule, see [`FrameSampler`]); 0 hashes
    /// every frame, as the reference's sample hashes.
    pub seconds_per_hash: f64,
    /// Leave out frames within this many bits of the last kept one ([`Pruner`]).
    pub prune_distance: Option<u32>,
}

option_setters!(VpdqOptions { seconds_per_hash: f64, prune_distance: Option<u32> });

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamSummary {
    /// Frames read from the stream.
    pub frames_read: u64,
    /// Frames hashed (taken by the sampler).
    pub frames_hashed: u64,
    /// Frames kept (not pruned).
    pub features: u64,
}

/// One hashed frame, as [`VideoInput::hash`](super::VideoInput::hash) hands it over.
#[derive(Clone, Copy, Debug)]
pub struct HashedFrame<'a> {
    /// The frame as a vPDQ feature.
    pub feature: VpdqFeature,
    /// Whether it is kept (false: pruned, within `prune_distance` of the last kept frame).
    pub kept: bool,
    /// The checker's full result (matches included).
    pub checked: &'a CheckedFrame,
}

/// Reads every frame of `source`, hashes the frames `options` selects on `checker`, and calls
/// `each` with every hashed frame, kept or pruned, in frame order, on the calling thread; `each`
/// stops the run early by returning [`ControlFlow::Break`]. The checker should be fresh (nothing
/// submitted yet); it is closed at the end. A stream that fails midway still hands over every
/// frame before the fault, then returns [`VideoError::Stream`] naming `name`.
///
/// The public way in is [`VideoInput::hash`](super::VideoInput::hash), which adds ffmpeg's
/// verdict.
pub(crate) fn hash_video<S: FrameSource + Send>(
    name: &Path,
    mut source: S,
    checker: FrameChecker,
    options: &VpdqOptions,
    mut each: impl FnMut(&HashedFrame<'_>) -> ControlFlow<()>,
) -> Result<StreamSummary, VideoError> {
    let sampler = FrameSampler::new(source.frame_rate(), options.seconds_per_hash)?;
    let results = checker.results();
    let mut pruner = options.prune_distance.map(Pruner::new);
    let mut summary = StreamSummary::default();
    let read = std::thread::scope(|scope| {
        let checker = &checker;
        let producer = scope.spawn(move || {
            let mut read = (0u64, 0u64, None);
            loop {
                match source.next_frame() {
                    Ok(Some(frame)) => {
                        read.0 += 1;
                        if sampler.takes(frame.index) {
                            let position = FramePosition {
                                index: frame.index,
                                timestamp: frame.timestamp,
                            };
                            // A closed checker means the consumer stopped the run.
                            if checker.submit(&frame.frame, position).is_err() {
                                break;
                            }
                            read.1 += 1;
                        }
                    }
                    Ok(None) => break,
                    Err(error) => {
                        read.2 = Some(error);
                        break;
                    }
                }
            }
            // The frames submitted are still hashed and delivered below.
            checker.close();
            read
        });
        for checked in results {
            let kept = pruner.as_mut().is_none_or(|p| p.keep(&checked.hash.hash));
            let feature = VpdqFeature {
                frame: checked.position.index,
                quality: checked.hash.quality,
                hash: checked.hash.hash,
                timestamp: checked.position.timestamp,
            };
            summary.features += u64::from(kept);
            let hashed = HashedFrame {
                feature,
                kept,
                checked: &checked,
            };
            if each(&hashed).is_break() {
                // Wakes the producer (its submit fails) and ends the run.
                checker.close();
                break;
            }
        }
        producer.join()
    });
    let (frames_read, frames_hashed, error) = match read {
        Ok(read) => read,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    summary.frames_read = frames_read;
    summary.frames_hashed = frames_hashed;
    match error {
        None => Ok(summary),
        Some(source) => Err(VideoError::Stream {
            input: name.to_owned(),
            summary,
            source,
        }),
    }
}
