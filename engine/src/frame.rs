//! Borrowed frames: the pixels the engine hashes, as decoders and cameras hand them out.

use crate::error::{Error, Result};

/// Largest accepted width or height. The tent-filter tables stay within their 32-bit bounds up to
/// here (see [`crate::stages`]); larger images must be downscaled before hashing.
pub const MAX_SIDE: u32 = 16384;

/// Layout of the bytes of a [`Frame`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelFormat {
    /// 3 bytes a pixel: red, green, blue.
    Rgb8,
    /// 4 bytes a pixel: red, green, blue, alpha. Alpha is ignored, as Pillow's `convert("RGB")`.
    Rgba8,
    /// 4 bytes a pixel: blue, green, red, alpha. Alpha is ignored.
    Bgra8,
    /// 1 byte a pixel: grey. Hashes exactly as the RGB frame with R = G = B.
    Luma8,
    /// Planar YUV 4:2:0; only the Y plane (the first `height` rows of `stride` bytes) is read.
    I420,
    /// Semi-planar YUV 4:2:0; only the Y plane (the first `height` rows) is read.
    Nv12,
}

impl PixelFormat {
    /// Every format, for tests and tools that sweep them.
    pub const ALL: [PixelFormat; 6] = [
        PixelFormat::Rgb8,
        PixelFormat::Rgba8,
        PixelFormat::Bgra8,
        PixelFormat::Luma8,
        PixelFormat::I420,
        PixelFormat::Nv12,
    ];

    /// Bytes a pixel occupies in the plane that is hashed.
    pub const fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Rgb8 => 3,
            PixelFormat::Rgba8 | PixelFormat::Bgra8 => 4,
            PixelFormat::Luma8 | PixelFormat::I420 | PixelFormat::Nv12 => 1,
        }
    }

    /// Stable lower-case name (`rgb8`, `i420`, ...), as used in manifests and on the CLI.
    pub const fn name(self) -> &'static str {
        match self {
            PixelFormat::Rgb8 => "rgb8",
            PixelFormat::Rgba8 => "rgba8",
            PixelFormat::Bgra8 => "bgra8",
            PixelFormat::Luma8 => "luma8",
            PixelFormat::I420 => "i420",
            PixelFormat::Nv12 => "nv12",
        }
    }

    /// Parses a [`PixelFormat::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A borrowed frame: width, height, row stride in bytes, pixel format and the bytes.
///
/// ```
/// use vigil::{Frame, PixelFormat};
/// let pixels = vec![128u8; 64 * 48 * 3];
/// let frame = Frame::packed(&pixels, 64, 48, PixelFormat::Rgb8)?;
/// assert_eq!(frame.stride(), 64 * 3);
/// # Ok::<(), vigil::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    data: &'a [u8],
    width: u32,
    height: u32,
    stride: usize,
    format: PixelFormat,
}

impl<'a> Frame<'a> {
    /// A frame whose rows start every `stride` bytes. The buffer must hold `height` rows; the last
    /// row need not be padded to the stride. For I420 and NV12 only the Y plane is required.
    pub fn new(
        data: &'a [u8],
        width: u32,
        height: u32,
        stride: usize,
        format: PixelFormat,
    ) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::EmptyFrame { width, height });
        }
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(Error::FrameTooLarge { width, height });
        }
        let row_bytes = width as usize * format.bytes_per_pixel();
        if stride < row_bytes {
            return Err(Error::StrideTooShort { stride, row_bytes });
        }
        // A stride near usize::MAX would overflow: no buffer can be that long anyway.
        let needed = stride
            .checked_mul(height as usize - 1)
            .and_then(|n| n.checked_add(row_bytes))
            .unwrap_or(usize::MAX);
        if data.len() < needed {
            return Err(Error::BufferTooShort {
                needed,
                actual: data.len(),
            });
        }
        Ok(Frame {
            data,
            width,
            height,
            stride,
            format,
        })
    }

    /// A frame whose rows follow each other with no padding.
    pub fn packed(data: &'a [u8], width: u32, height: u32, format: PixelFormat) -> Result<Self> {
        Self::new(
            data,
            width,
            height,
            width as usize * format.bytes_per_pixel(),
            format,
        )
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes from the start of one row to the start of the next.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The pixel format.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// The bytes of the hashed plane, from the first row's start.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Bytes of pixels in one row (without padding).
    pub fn row_bytes(&self) -> usize {
        self.width as usize * self.format.bytes_per_pixel()
    }

    /// The pixels of row `y` (without padding).
    pub fn row(&self, y: usize) -> &'a [u8] {
        let start = y * self.stride;
        &self.data[start..start + self.row_bytes()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_frames_are_errors() {
        let data = [0u8; 300];
        assert!(matches!(
            Frame::packed(&data, 0, 10, PixelFormat::Luma8),
            Err(Error::EmptyFrame { .. })
        ));
        assert!(matches!(
            Frame::packed(&data, 10, 0, PixelFormat::Luma8),
            Err(Error::EmptyFrame { .. })
        ));
        assert!(matches!(
            Frame::packed(&data, MAX_SIDE + 1, 1, PixelFormat::Luma8),
            Err(Error::FrameTooLarge { .. })
        ));
        assert!(matches!(
            Frame::new(&data, 10, 10, 29, PixelFormat::Rgb8),
            Err(Error::StrideTooShort {
                stride: 29,
                row_bytes: 30
            })
        ));
        assert!(matches!(
            Frame::packed(&data, 10, 11, PixelFormat::Rgb8),
            Err(Error::BufferTooShort {
                needed: 330,
                actual: 300
            })
        ));
        // The last row need not be padded to the stride.
        assert!(Frame::new(&data, 10, 2, 270, PixelFormat::Rgb8).is_ok());
    }

    #[test]
    fn format_names_round_trip() {
        for format in PixelFormat::ALL {
            assert_eq!(PixelFormat::from_name(format.name()), Some(format));
        }
        assert_eq!(PixelFormat::from_name("yuv"), None);
    }
}
