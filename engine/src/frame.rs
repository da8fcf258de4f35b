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

    /// The rectangle of `width`×`height` pixels whose top-left corner is at (`x`, `y`), as a
    /// frame over the same buffer (nothing is copied). Its hash is the hash of those pixels alone,
    /// as if they had been handed over as a frame of their own. For I420 and NV12, the Y plane's
    /// rectangle.
    ///
    /// ```
    /// use vigil::{Frame, PixelFormat};
    ///
    /// let pixels: Vec<u8> = (0..64 * 48).map(|i| (i % 251) as u8).collect();
    /// let frame = Frame::packed(&pixels, 64, 48, PixelFormat::Luma8)?;
    /// let inner = frame.crop(8, 4, 32, 40)?;
    /// assert_eq!(inner.row(0), &frame.row(4)[8..40]);
    /// assert!(frame.crop(40, 0, 32, 10).is_err()); // 40 + 32 > 64
    /// # Ok::<(), vigil::Error>(())
    /// ```
    pub fn crop(&self, x: u32, y: u32, width: u32, height: u32) -> Result<Frame<'a>> {
        let fits = |start: u32, len: u32, limit: u32| {
            len > 0 && start.checked_add(len).is_some_and(|end| end <= limit)
        };
        if !fits(x, width, self.width) || !fits(y, height, self.height) {
            return Err(Error::CropOutside {
                x,
                y,
                width,
                height,
                frame_width: self.width,
                frame_height: self.height,
            });
        }
        let start = y as usize * self.stride + x as usize * self.format.bytes_per_pixel();
        Frame::new(&self.data[start..], width, height, self.stride, self.format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crop_hashes_like_a_copy_of_its_pixels() {
        let (width, height) = (90u32, 70u32);
        for format in PixelFormat::ALL {
            let bpp = format.bytes_per_pixel();
            let stride = width as usize * bpp + 5;
            let data: Vec<u8> = (0..stride * height as usize)
                .map(|i| ((i * 7919) % 253) as u8)
                .collect();
            let frame = Frame::new(&data, width, height, stride, format).unwrap();
            let (x, y, w, h) = (13, 9, 64, 50);
            let copy: Vec<u8> = (y..y + h)
                .flat_map(|row| {
                    frame.row(row as usize)[x as usize * bpp..][..w as usize * bpp].to_vec()
                })
                .collect();
            let copied = Frame::packed(&copy, w, h, format).unwrap();
            let cropped = frame.crop(x, y, w, h).unwrap();
            assert_eq!(crate::hash(&cropped), crate::hash(&copied), "{format:?}");
            // The whole frame is a crop of itself; empty and overhanging crops are refused.
            assert_eq!(
                crate::hash(&frame.crop(0, 0, width, height).unwrap()),
                crate::hash(&frame)
            );
            for (x, y, w, h) in [
                (0, 0, 0, 5),
                (0, 0, 5, 0),
                (27, 0, 64, 5),
                (0, 21, 5, 50),
                (u32::MAX, 0, 2, 2),
            ] {
                assert!(
                    matches!(frame.crop(x, y, w, h), Err(Error::CropOutside { .. })),
                    "{x} {y} {w} {h}"
                );
            }
        }
    }

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
