//! Errors returned by the engine. Every failure on bad input is one of these: nothing panics.

use std::path::PathBuf;

/// What went wrong while checking or hashing a frame or an image file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The frame's width or height is zero.
    #[error("frame is empty ({width}x{height})")]
    EmptyFrame { width: u32, height: u32 },
    /// The frame is larger than [`MAX_SIDE`](crate::MAX_SIDE) on a side.
    #[error(
        "frame is {width}x{height}, larger than {max} on a side; downscale it first",
        max = crate::MAX_SIDE
    )]
    FrameTooLarge { width: u32, height: u32 },
    /// The row stride is shorter than one row of pixels.
    #[error("row stride {stride} is shorter than a row of {row_bytes} bytes")]
    StrideTooShort { stride: usize, row_bytes: usize },
    /// The pixel buffer ends before the last row does.
    #[error("pixel buffer holds {actual} bytes, the frame needs {needed}")]
    BufferTooShort { needed: usize, actual: usize },
    /// A crop reaches outside its frame, or is empty.
    #[error(
        "crop of {width}x{height} at ({x}, {y}) is empty or outside the \
         {frame_width}x{frame_height} frame"
    )]
    CropOutside {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
        frame_width: u32,
        frame_height: u32,
    },
    /// An image file could not be read or decoded.
    #[error("{path}: {message}")]
    Decode { path: PathBuf, message: String },
    /// A GPU was asked for and none can be used.
    #[error("no GPU available: {0}")]
    GpuUnavailable(String),
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
