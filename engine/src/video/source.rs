//! Where a video's frames come from: anything that yields decoded frames in order with a frame
//! rate. [`Y4mReader`](super::y4m::Y4mReader) (a YUV4MPEG2 stream read in Rust) and
//! [`FfmpegFrames`](super::ffmpeg::FfmpegFrames) (any file ffmpeg decodes) are sources;
//! [`VideoInput::from_source`](super::VideoInput::from_source) runs vPDQ over any of them.

use std::io;
use std::time::Duration;

use super::sampling::FrameRate;
use super::y4m::Y4mError;
use crate::Frame;

/// One decoded frame, borrowed from its source until the next one is read.
#[derive(Clone, Copy, Debug)]
pub struct SourceFrame<'a> {
    /// The frame's number in the video, from 0 (vPDQ's frame number).
    pub index: u64,
    /// When it is shown: `index` frames at the source's frame rate.
    pub timestamp: Duration,
    /// The pixels to hash.
    pub frame: Frame<'a>,
}

/// Decoded frames in order, at a known frame rate.
pub trait FrameSource {
    /// Frames per second (decides which frames vPDQ samples and their timestamps).
    fn frame_rate(&self) -> FrameRate;

    /// The next frame; `None` at the end. After an error, every call returns `None`.
    fn next_frame(&mut self) -> Result<Option<SourceFrame<'_>>, SourceError>;
}

/// Why a source stopped before its end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// A YUV4MPEG2 stream is malformed or cut short.
    #[error(transparent)]
    Y4m(#[from] Y4mError),
    /// Reading the decoder's output failed.
    #[error("cannot read the decoded frames: {0}")]
    Io(#[from] io::Error),
    /// The decoder's output ends inside frame `frame`.
    #[error("frame {frame}: the decoded stream ends after {got} of the frame's {expected} bytes")]
    Truncated { frame: u64, got: u64, expected: u64 },
}

impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    fn frame_rate(&self) -> FrameRate {
        (**self).frame_rate()
    }

    fn next_frame(&mut self) -> Result<Option<SourceFrame<'_>>, SourceError> {
        (**self).next_frame()
    }
}
