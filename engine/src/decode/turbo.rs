//! JPEG through the system's libjpeg-turbo (its TurboJPEG API), behind the `turbojpeg` feature.
//!
//! libjpeg-turbo is the decoder Pillow uses, so with it vigil is handed the pixels the reference
//! `pdqhash` is handed (its defaults are Pillow's: the accurate integer IDCT, fancy upsampling),
//! and it decodes a 1080p photo in about two thirds of the time zune-jpeg (the `image` crate's
//! pure-Rust decoder) takes. Without the feature, or for the JPEGs it does not take here (CMYK
//! and YCCK, which Pillow converts its own way), the `image` crate decodes.
//!
//! A libjpeg warning (corrupt entropy data that the decoder recovers from) is not an error, as in
//! Pillow; a cut file is refused before this point (`whole.rs`).

use std::ffi::{CStr, c_int, c_ulong};

use turbojpeg_sys as tj;

use crate::frame::PixelFormat;

/// The JPEG's size and the format vigil decodes it to, from its header; `None` when this
/// decoder leaves the file to the `image` crate (CMYK and YCCK).
pub(super) struct Header {
    pub width: u32,
    pub height: u32,
    pub format: PixelFormat,
}

/// One TurboJPEG decompressor; destroyed on drop.
pub(super) struct Decompressor(tj::tjhandle);

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: the handle came from tjInitDecompress and is destroyed once.
        unsafe { tj::tjDestroy(self.0) };
    }
}

impl Decompressor {
    pub(super) fn new() -> Result<Self, String> {
        // SAFETY: no arguments; a null handle is checked.
        let handle = unsafe { tj::tjInitDecompress() };
        if handle.is_null() {
            return Err("libjpeg-turbo could not start a decompressor".into());
        }
        Ok(Decompressor(handle))
    }

    fn error(&self) -> String {
        // SAFETY: the handle is valid; the library returns a NUL-terminated message it owns.
        let message = unsafe { CStr::from_ptr(tj::tjGetErrorStr2(self.0)) };
        message.to_string_lossy().trim_end().to_string()
    }

    /// The header, or `None` for a colour space left to the `image` crate.
    pub(super) fn header(&mut self, jpeg: &[u8]) -> Result<Option<Header>, String> {
        let (mut width, mut height, mut subsampling, mut colorspace) = (0, 0, 0, 0);
        // SAFETY: the buffer and its length come from one slice; the outputs are locals.
        let status = unsafe {
            tj::tjDecompressHeader3(
                self.0,
                jpeg.as_ptr(),
                jpeg.len() as c_ulong,
                &mut width,
                &mut height,
                &mut subsampling,
                &mut colorspace,
            )
        };
        if status != 0 {
            return Err(format!("libjpeg-turbo: {}", self.error()));
        }
        let format = match colorspace as tj::TJCS {
            tj::TJCS_TJCS_GRAY => PixelFormat::Luma8,
            tj::TJCS_TJCS_CMYK | tj::TJCS_TJCS_YCCK => return Ok(None),
            _ => PixelFormat::Rgb8,
        };
        Ok(Some(Header {
            width: width as u32,
            height: height as u32,
            format,
        }))
    }

    /// Decodes `jpeg` into `pixels`, which holds exactly `header`'s width × height × bytes a
    /// pixel.
    pub(super) fn decode(
        &mut self,
        jpeg: &[u8],
        header: &Header,
        pixels: &mut [u8],
    ) -> Result<(), String> {
        let bpp = header.format.bytes_per_pixel();
        assert_eq!(
            pixels.len(),
            header.width as usize * header.height as usize * bpp
        );
        let pixel_format = match header.format {
            PixelFormat::Luma8 => tj::TJPF_TJPF_GRAY,
            _ => tj::TJPF_TJPF_RGB,
        };
        // SAFETY: `pixels` holds height rows of width × bpp bytes (asserted above), the pitch
        // TurboJPEG takes for 0; the source is one slice.
        let status = unsafe {
            tj::tjDecompress2(
                self.0,
                jpeg.as_ptr(),
                jpeg.len() as c_ulong,
                pixels.as_mut_ptr(),
                header.width as c_int,
                0,
                header.height as c_int,
                pixel_format,
                0,
            )
        };
        // SAFETY: the handle is valid.
        if status != 0 && unsafe { tj::tjGetErrorCode(self.0) } != tj::TJERR_TJERR_WARNING as c_int
        {
            return Err(format!("libjpeg-turbo: {}", self.error()));
        }
        Ok(())
    }
}
