//! Whether a file is whole, for the formats whose decoders would otherwise hash a cut file.
//!
//! The `image` crate's JPEG decoder (zune-jpeg, in its lenient mode) fills the rows a truncated
//! file lacks with grey and reports success, and its WebP decoder takes a file missing its last
//! padding byte. Pillow (and so the reference `pdqhash` and HMA) refuses both: libjpeg stops for
//! more data before the end-of-image marker, libwebp checks the RIFF size. A half-uploaded file
//! must not become a confident hash, so vigil refuses them too, and only them: bytes after the
//! end-of-image marker (camera trailers, a second image of an MPO) are ignored, as Pillow does.
//! PNG and GIF need no check here: their decoders fail when the pixel data is cut, and a file
//! missing only its end marker (IEND, the GIF trailer) has all its pixels, and Pillow takes it.

use std::io::{self, BufRead, Seek, SeekFrom};

/// The message of every truncation error, so that callers and tests can recognise it.
pub(super) const TRUNCATED: &str = "truncated file";

/// Checks that the JPEG or WebP file in `reader` is whole; other formats pass. `head` is the
/// start of the file. The reader is left where it started.
pub(super) fn check<R: BufRead + Seek>(reader: &mut R, head: &[u8]) -> Result<(), String> {
    let start = reader.stream_position().map_err(|e| e.to_string())?;
    let result = if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg_end(reader)
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        let declared = 8 + u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
        let length = reader.seek(SeekFrom::End(0)).map_err(|e| e.to_string())? - start;
        if length < declared {
            Err(format!(
                "{TRUNCATED}: the WebP file's header says {declared} bytes, it has {length}"
            ))
        } else {
            Ok(())
        }
    } else {
        Ok(())
    };
    reader
        .seek(SeekFrom::Start(start))
        .map_err(|e| e.to_string())?;
    result
}

/// Walks a JPEG's markers, segment lengths and entropy-coded data up to the end-of-image marker
/// (EOI). The file is truncated when it ends before EOI.
fn jpeg_end<R: BufRead>(reader: &mut R) -> Result<(), String> {
    let cut = |what: &str| format!("{TRUNCATED}: the JPEG ends {what}, before its end marker");
    let mut bytes = Bytes(reader);
    bytes.next().map_err(|e| e.to_string())?; // 0xFF
    bytes.next().map_err(|e| e.to_string())?; // SOI
    let mut marker = None;
    loop {
        let m = match marker.take() {
            Some(m) => m,
            None => match bytes.marker().map_err(|e| e.to_string())? {
                Some(m) => m,
                None => return Err(cut("between segments")),
            },
        };
        match m {
            0xD9 => return Ok(()),
            // Standalone markers: restart markers, TEM, and a stray SOI.
            0x01 | 0xD0..=0xD8 => {}
            _ => {
                let length = match (bytes.next(), bytes.next()) {
                    (Ok(Some(hi)), Ok(Some(lo))) => u16::from_be_bytes([hi, lo]),
                    (Err(e), _) | (_, Err(e)) => return Err(e.to_string()),
                    _ => return Err(cut("in a segment header")),
                };
                if length < 2 {
                    return Err(format!(
                        "corrupt JPEG: segment 0xFF{m:02X} of length {length}"
                    ));
                }
                if !bytes
                    .skip(u64::from(length) - 2)
                    .map_err(|e| e.to_string())?
                {
                    return Err(cut("inside a segment"));
                }
                if m == 0xDA {
                    // Start of scan: entropy-coded data up to the next marker that is neither
                    // a stuffed zero nor a restart marker.
                    match bytes.scan_end().map_err(|e| e.to_string())? {
                        Some(next) => marker = Some(next),
                        None => return Err(cut("inside its image data")),
                    }
                }
            }
        }
    }
}

/// Byte-level reading over a `BufRead`, without copying.
struct Bytes<'a, R>(&'a mut R);

impl<R: BufRead> Bytes<'_, R> {
    fn next(&mut self) -> io::Result<Option<u8>> {
        let byte = self.0.fill_buf()?.first().copied();
        if byte.is_some() {
            self.0.consume(1);
        }
        Ok(byte)
    }

    /// The next marker code: bytes up to a 0xFF are skipped (libjpeg tolerates such junk between
    /// segments, with a warning), then fill bytes (0xFF). `None` at the end of the file.
    fn marker(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.next()? {
                None => return Ok(None),
                Some(0xFF) => match self.after_ff()? {
                    None => return Ok(None),
                    Some(0x00) => {}
                    Some(code) => return Ok(Some(code)),
                },
                Some(_) => {}
            }
        }
    }

    /// The first byte after a run of 0xFF.
    fn after_ff(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.next()? {
                Some(0xFF) => {}
                other => return Ok(other),
            }
        }
    }

    /// Skips `n` bytes; false when the file ends first.
    fn skip(&mut self, mut n: u64) -> io::Result<bool> {
        while n > 0 {
            let available = self.0.fill_buf()?.len();
            if available == 0 {
                return Ok(false);
            }
            let step = available.min(usize::try_from(n).unwrap_or(usize::MAX));
            self.0.consume(step);
            n -= step as u64;
        }
        Ok(true)
    }

    /// Skips entropy-coded data; the marker that ends it, or `None` at the end of the file.
    fn scan_end(&mut self) -> io::Result<Option<u8>> {
        loop {
            let buffer = self.0.fill_buf()?;
            if buffer.is_empty() {
                return Ok(None);
            }
            match memchr::memchr(0xFF, buffer) {
                None => {
                    let n = buffer.len();
                    self.0.consume(n);
                }
                Some(at) => {
                    self.0.consume(at + 1);
                    match self.after_ff()? {
                        None => return Ok(None),
                        Some(0x00 | 0xD0..=0xD7) => {}
                        Some(code) => return Ok(Some(code)),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn jpeg(bytes: &[u8]) -> Result<(), String> {
        check(&mut Cursor::new(bytes), bytes)
    }

    /// A hand-made JPEG skeleton: SOI, an APP1 segment holding bytes that look like EOI, SOS
    /// with entropy data containing a stuffed 0xFF and a restart marker, EOI.
    const SKELETON: &[u8] = &[
        0xFF, 0xD8, // SOI
        0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0xFF,
        0xD9, // APP1 (length 6) with a fake EOI inside
        0x12, 0x34, // junk between segments, tolerated
        0xFF, 0xDA, 0x00, 0x03, 0x01, // SOS (length 3)
        0x11, 0xFF, 0x00, 0x22, 0xFF, 0xD0, 0x33, 0xFF, 0xFF,
        0x00, // data, stuffing, RST0, fill
        0xFF, 0xD9, // EOI
    ];

    #[test]
    fn a_whole_jpeg_passes_and_trailing_bytes_are_ignored() {
        assert_eq!(jpeg(SKELETON), Ok(()));
        let trailer = [SKELETON, b"SEFT trailer \xFF\xD8 of a camera"].concat();
        assert_eq!(jpeg(&trailer), Ok(()));
    }

    #[test]
    fn a_jpeg_cut_anywhere_before_its_end_marker_is_truncated() {
        // From 3 bytes on, the file is known as a JPEG (FF D8 FF).
        for keep in 3..SKELETON.len() - 1 {
            let error = jpeg(&SKELETON[..keep]).expect_err(&format!("keep {keep}"));
            assert!(error.starts_with(TRUNCATED), "keep {keep}: {error}");
        }
    }

    #[test]
    fn the_reader_is_left_where_it_started() {
        let mut reader = Cursor::new(SKELETON);
        check(&mut reader, SKELETON).unwrap();
        assert_eq!(reader.position(), 0);
    }

    #[test]
    fn a_webp_shorter_than_its_riff_size_is_truncated() {
        let mut webp = b"RIFF\x08\x00\x00\x00WEBPVP8L".to_vec();
        assert_eq!(check(&mut Cursor::new(&webp), &webp), Ok(()));
        webp.pop();
        let error = check(&mut Cursor::new(&webp), &webp).unwrap_err();
        assert!(error.contains("says 16 bytes, it has 15"), "{error}");
    }

    #[test]
    fn other_formats_pass() {
        assert_eq!(check(&mut Cursor::new(b"\x89PNG"), b"\x89PNG"), Ok(()));
    }
}
