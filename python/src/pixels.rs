//! numpy arrays as frames: read in place when each pixel's bytes are packed (rows may be
//! strided), copied once otherwise.

use std::borrow::Cow;

use numpy::{PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;

use vigil::{Frame, PixelFormat};

use crate::error;

/// The pixels of an array of frames: the bytes, and where each frame and row starts.
pub(crate) struct Pixels<'a> {
    data: Cow<'a, [u8]>,
    count: usize,
    width: u32,
    height: u32,
    row_stride: usize,
    frame_stride: usize,
    format: PixelFormat,
}

impl Pixels<'_> {
    pub(crate) fn frames(&self) -> PyResult<Vec<Frame<'_>>> {
        (0..self.count)
            .map(|n| {
                let data = &self.data[n * self.frame_stride..];
                Frame::new(data, self.width, self.height, self.row_stride, self.format)
                    .map_err(error)
            })
            .collect()
    }
}

/// Reads `array` (`[N×]H×W[×C]`, C = 1 grey, 3 RGB, 4 RGBA) in place when each pixel's bytes
/// are packed and rows and frames are laid out forwards without overlap; copies it once otherwise.
pub(crate) fn pixels<'a>(
    array: &'a PyReadonlyArrayDyn<'_, u8>,
    batched: bool,
) -> PyResult<Pixels<'a>> {
    let shape = array.shape();
    let strides = array.strides();
    let lead = usize::from(batched);
    let (channels, channel_stride) = match shape.len() - lead {
        2 => (1, 1),
        3 => (shape[lead + 2], strides[lead + 2]),
        _ => {
            return Err(error(format!(
                "expected an array of {}height × width [× channels]; got {} dimensions",
                if batched { "frames × " } else { "" },
                shape.len()
            )));
        }
    };
    let format = match channels {
        1 => PixelFormat::Luma8,
        3 => PixelFormat::Rgb8,
        4 => PixelFormat::Rgba8,
        c => {
            return Err(error(format!(
                "expected 1 (grey), 3 (RGB) or 4 (RGBA) channels; got {c}"
            )));
        }
    };
    let count = if batched { shape[0] } else { 1 };
    let (height, width) = (shape[lead], shape[lead + 1]);
    let size = |side: usize| {
        u32::try_from(side).map_err(|_| error(format!("a side of {side} pixels is too large")))
    };
    let (w, h) = (size(width)?, size(height)?);
    let row_bytes = width * channels;
    let (frame_stride, row_stride, pixel_stride) = (
        if batched { strides[0] } else { 0 },
        strides[lead],
        strides[lead + 1],
    );
    let packed_pixels =
        (channels == 1 || channel_stride == 1) && (width <= 1 || pixel_stride == channels as isize);
    let rows_forward = height <= 1 || row_stride >= row_bytes as isize;
    let frame_bytes = row_stride.max(0) as usize * height.saturating_sub(1) + row_bytes;
    let frames_forward = count <= 1 || frame_stride >= frame_bytes as isize;
    let empty = count == 0 || width == 0 || height == 0;
    if !empty && packed_pixels && rows_forward && frames_forward {
        let row_stride = if height <= 1 {
            row_bytes
        } else {
            row_stride as usize
        };
        let frame_stride = if count <= 1 { 0 } else { frame_stride as usize };
        let len = frame_stride * (count - 1) + row_stride * (height - 1) + row_bytes;
        // SAFETY: the array is borrowed read-only for 'a, starts at `data()` and, by the checks
        // above (strides forward, pixels packed), its last byte is `len - 1` bytes further on.
        let data = unsafe { std::slice::from_raw_parts(array.data() as *const u8, len) };
        return Ok(Pixels {
            data: Cow::Borrowed(data),
            count,
            width: w,
            height: h,
            row_stride,
            frame_stride,
            format,
        });
    }
    let data: Vec<u8> = array.as_array().iter().copied().collect();
    Ok(Pixels {
        data: Cow::Owned(data),
        count,
        width: w,
        height: h,
        row_stride: row_bytes,
        frame_stride: row_bytes * height,
        format,
    })
}
