//! Reading YUV4MPEG2 (`.y4m`) streams: the header, then one frame at a time.
//!
//! A stream is a header line, `YUV4MPEG2` and space-separated tags (`W` width, `H` height,
//! `F` frame rate `num:den`, `C` chroma layout, `I` interlacing, `A` aspect, `X` extensions),
//! then frames: a line starting `FRAME` followed by the planes, Y first. This reader accepts
//! every 8-bit layout ffmpeg writes with `-f yuv4mpegpipe` ([`Chroma`]). Higher bit depths
//! (`C420p10`, `Cmono16`, ...) are refused with an error that says how to ask ffmpeg for 8 bits.
//!
//! By default each frame is handed over as RGB converted as the reference converts it
//! ([`Y4mPixels::Rgb`]): Meta's vPDQ hashes the luma of the clipped RGB, which is not the Y plane
//! wherever the conversion clips (dark scenes with colour, saturated colours). The Y plane alone
//! ([`Y4mPixels::Luma`]) is a different pixel source, for callers who want it.
//!
//! Nothing on any input panics or allocates more than the stream delivers: dimensions are
//! checked against [`MAX_SIDE`] before anything else, header lines are read at
//! most [`MAX_LINE`] bytes, and a frame buffer grows only as the frame's bytes arrive, so a
//! header that claims 16384×16384 pixels followed by a few bytes costs a few bytes. A stream that
//! ends inside a frame, or whose frame line is malformed, yields every frame before the fault,
//! then an error naming the frame.

use std::io::{self, BufRead, BufReader, Read};
use std::time::Duration;

use super::luma_range::{LumaRange, expand_limited_range};
use super::sampling::FrameRate;
use super::source::{FrameSource, SourceError, SourceFrame};
use super::yuv_to_rgb::{YuvPlanes, yuv_to_rgb};
use crate::{Frame, MAX_SIDE, PixelFormat};

/// The longest header or frame line accepted, in bytes.
pub const MAX_LINE: usize = 4096;

/// The chroma layout (`C` tag): how many bytes of chroma (and alpha) follow the Y plane in each
/// frame, and which pixels each chroma sample covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Chroma {
    /// `C420jpeg` (also the default when there is no `C` tag): 4:2:0, chroma centred.
    C420Jpeg,
    /// `C420paldv`: 4:2:0, chroma top-left.
    C420Paldv,
    /// `C420mpeg2`: 4:2:0, chroma left.
    C420Mpeg2,
    /// `C420`: 4:2:0, siting unspecified.
    C420,
    /// `C422`: 4:2:2.
    C422,
    /// `C444`: 4:4:4.
    C444,
    /// `C444alpha`: 4:4:4 followed by an alpha plane.
    C444Alpha,
    /// `C411`: 4:1:1.
    C411,
    /// `Cmono`: the Y plane alone.
    Mono,
}

impl Chroma {
    /// Every layout, for tests that sweep them.
    pub const ALL: [Chroma; 9] = [
        Chroma::C420Jpeg,
        Chroma::C420Paldv,
        Chroma::C420Mpeg2,
        Chroma::C420,
        Chroma::C422,
        Chroma::C444,
        Chroma::C444Alpha,
        Chroma::C411,
        Chroma::Mono,
    ];

    /// The tag's value as written in a header (`420jpeg`, `mono`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Chroma::C420Jpeg => "420jpeg",
            Chroma::C420Paldv => "420paldv",
            Chroma::C420Mpeg2 => "420mpeg2",
            Chroma::C420 => "420",
            Chroma::C422 => "422",
            Chroma::C444 => "444",
            Chroma::C444Alpha => "444alpha",
            Chroma::C411 => "411",
            Chroma::Mono => "mono",
        }
    }

    fn from_name(name: &str) -> Option<Chroma> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// How far chroma is subsampled, as shifts (across, down); `None` for `Cmono`.
    fn subsampling(self) -> Option<(u32, u32)> {
        match self {
            Chroma::C420Jpeg | Chroma::C420Paldv | Chroma::C420Mpeg2 | Chroma::C420 => Some((1, 1)),
            Chroma::C422 => Some((1, 0)),
            Chroma::C444 | Chroma::C444Alpha => Some((0, 0)),
            Chroma::C411 => Some((2, 0)),
            Chroma::Mono => None,
        }
    }

    /// Bytes that follow the Y plane in a frame of `width`×`height` (chroma planes, alpha).
    fn bytes_after_luma(self, width: u64, height: u64) -> u64 {
        let (w2, h2, w4) = (width.div_ceil(2), height.div_ceil(2), width.div_ceil(4));
        match self {
            Chroma::C420Jpeg | Chroma::C420Paldv | Chroma::C420Mpeg2 | Chroma::C420 => 2 * w2 * h2,
            Chroma::C422 => 2 * w2 * height,
            Chroma::C444 => 2 * width * height,
            Chroma::C444Alpha => 3 * width * height,
            Chroma::C411 => 2 * w4 * height,
            Chroma::Mono => 0,
        }
    }
}

/// What a Y4M stream's header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Y4mHeader {
    pub width: u32,
    pub height: u32,
    /// Frames per second, from the `F` tag.
    pub frame_rate: FrameRate,
    pub chroma: Chroma,
    /// The range of the Y values: `XCOLORRANGE=FULL` or `=LIMITED` when given; otherwise full
    /// for `Cmono` (ffmpeg's grey is full range) and limited for the YUV layouts.
    pub luma_range: LumaRange,
}

/// Why a Y4M stream cannot be read (further).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Y4mError {
    /// Reading the stream failed.
    #[error("cannot read the stream: {0}")]
    Io(#[from] io::Error),
    /// The stream does not start with `YUV4MPEG2 `.
    #[error("not a YUV4MPEG2 stream (it should start with `YUV4MPEG2 `)")]
    NotY4m,
    /// The header is malformed or incomplete.
    #[error("malformed YUV4MPEG2 header: {0}")]
    BadHeader(String),
    /// The header asks for something this reader does not do (high bit depth, an unknown
    /// chroma layout, too large frames).
    #[error("{0}")]
    Unsupported(String),
    /// Frame `frame` (counted from 0) does not start with a `FRAME` line.
    #[error("frame {frame}: malformed frame header: {message}")]
    BadFrame { frame: u64, message: String },
    /// The stream ends inside frame `frame`.
    #[error("frame {frame}: the stream ends after {got} of the frame's {expected} bytes")]
    Truncated { frame: u64, got: u64, expected: u64 },
}

/// One frame of a stream, borrowed from the reader until the next frame is read.
#[derive(Clone, Copy, Debug)]
pub struct Y4mFrame<'a> {
    /// The frame's number in the stream, from 0.
    pub index: u64,
    /// When it is shown: `index` frames at the header's frame rate.
    pub timestamp: Duration,
    /// The pixels the reader hands over ([`Y4mReader::pixels`]): RGB8, or the Y plane as
    /// [`PixelFormat::Luma8`]. (`Cmono` streams are always Luma8: their RGB is grey.)
    pub frame: Frame<'a>,
}

/// Reads a YUV4MPEG2 stream frame by frame.
///
/// ```
/// use vigil::video::y4m::{Chroma, Y4mReader};
///
/// // Two 8×6 frames of 4:2:0 video: 48 bytes of Y and 2 × 12 of chroma each.
/// let mut stream = b"YUV4MPEG2 W8 H6 F30000:1001 Ip A1:1 C420jpeg\n".to_vec();
/// for value in [16u8, 235] {
///     stream.extend_from_slice(b"FRAME\n");
///     stream.extend(std::iter::repeat_n(value, 48));
///     stream.extend(std::iter::repeat_n(128, 24));
/// }
/// let mut reader = Y4mReader::new(&stream[..])?;
/// assert_eq!(reader.header().chroma, Chroma::C420Jpeg);
/// let mut frames = 0;
/// while let Some(frame) = reader.next_frame()? {
///     // RGB as the reference converts it: limited-range black and white become 0 and 255.
///     let first = &frame.frame.row(0)[..3];
///     assert_eq!(first, if frame.index == 0 { [0; 3] } else { [255; 3] });
///     frames += 1;
/// }
/// assert_eq!(frames, 2);
/// # Ok::<(), vigil::video::y4m::Y4mError>(())
/// ```
pub struct Y4mReader<R> {
    input: BufReader<R>,
    header: Y4mHeader,
    /// What each frame is handed over as.
    pixels: Y4mPixels,
    /// The frame's bytes as read (the Y plane first).
    raw: Vec<u8>,
    /// The RGB conversion of `raw`.
    rgb: Vec<u8>,
    next_index: u64,
    /// Set after an error or the end: nothing more is read.
    finished: bool,
}

/// What the reader hands over for each frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Y4mPixels {
    /// RGB8 as the reference converts it ([module docs](self)): the pixels vPDQ hashes.
    #[default]
    Rgb,
    /// The Y plane, limited range expanded to full as ffmpeg's `-pix_fmt gray` does
    /// ([`expand_limited_range`]). Not vPDQ's pixels: equal to them only where the RGB
    /// conversion does not clip.
    Luma,
    /// The Y plane as stored.
    StoredLuma,
}

/// Bytes the reader asks its source for at a time.
const READ_BUFFER: usize = 1 << 20;

impl<R: Read> Y4mReader<R> {
    /// Reads the header of the stream `input`; frames are read by [`next_frame`](Self::next_frame).
    pub fn new(input: R) -> Result<Self, Y4mError> {
        let mut input = BufReader::with_capacity(READ_BUFFER, input);
        let line = read_line(&mut input)?.ok_or(Y4mError::NotY4m)?;
        let header = parse_header(&line)?;
        Ok(Y4mReader {
            input,
            header,
            pixels: Y4mPixels::default(),
            raw: Vec::new(),
            rgb: Vec::new(),
            next_index: 0,
            finished: false,
        })
    }

    /// The stream's header.
    pub fn header(&self) -> &Y4mHeader {
        &self.header
    }

    /// Chooses what each frame is handed over as (RGB by default).
    pub fn with_pixels(mut self, pixels: Y4mPixels) -> Self {
        self.pixels = pixels;
        self
    }

    /// What each frame is handed over as.
    pub fn pixels(&self) -> Y4mPixels {
        self.pixels
    }

    /// The next frame, `None` at the end of the stream. After an error, every call returns
    /// `None`.
    pub fn next_frame(&mut self) -> Result<Option<Y4mFrame<'_>>, Y4mError> {
        if self.finished {
            return Ok(None);
        }
        match self.read_frame() {
            Ok(true) => {}
            Ok(false) => {
                self.finished = true;
                return Ok(None);
            }
            Err(error) => {
                self.finished = true;
                return Err(error);
            }
        }
        let index = self.next_index;
        self.next_index += 1;
        let Y4mHeader { width, height, .. } = self.header;
        let luma_bytes = width as usize * height as usize;
        let frame = if self.rgb.is_empty() {
            Frame::packed(&self.raw[..luma_bytes], width, height, PixelFormat::Luma8)
        } else {
            Frame::packed(&self.rgb, width, height, PixelFormat::Rgb8)
        }
        .map_err(|e| Y4mError::Unsupported(e.to_string()))?;
        Ok(Some(Y4mFrame {
            index,
            timestamp: self.header.frame_rate.timestamp(index),
            frame,
        }))
    }

    /// Reads the next frame into `self.raw` (the Y plane alone unless RGB is wanted) and converts
    /// it; `false` at a clean end.
    fn read_frame(&mut self) -> Result<bool, Y4mError> {
        let frame = self.next_index;
        let Some(line) = read_line(&mut self.input).map_err(|error| match error {
            Y4mError::BadHeader(message) => Y4mError::BadFrame { frame, message },
            other => other,
        })?
        else {
            return Ok(false);
        };
        if line.split(|&b| b == b' ').next() != Some(b"FRAME") {
            return Err(Y4mError::BadFrame {
                frame,
                message: format!("expected `FRAME`, got {}", shown(&line)),
            });
        }
        let (width, height) = (u64::from(self.header.width), u64::from(self.header.height));
        let luma_bytes = width * height;
        let rest = self.header.chroma.bytes_after_luma(width, height);
        let subsampling = self.header.chroma.subsampling();
        let to_rgb = self.pixels == Y4mPixels::Rgb && subsampling.is_some();
        // The chroma planes are kept for RGB and skipped otherwise.
        let kept = if to_rgb {
            luma_bytes + rest
        } else {
            luma_bytes
        };
        self.raw.clear();
        self.rgb.clear();
        // Grows only as bytes arrive: a lying header costs what the stream really holds.
        let got = (&mut self.input).take(kept).read_to_end(&mut self.raw)? as u64;
        let skipped = if got == kept {
            io::copy(
                &mut (&mut self.input).take(luma_bytes + rest - kept),
                &mut io::sink(),
            )?
        } else {
            0
        };
        if got + skipped < luma_bytes + rest {
            return Err(Y4mError::Truncated {
                frame,
                got: got + skipped,
                expected: luma_bytes + rest,
            });
        }
        match subsampling {
            Some((shift_x, shift_y)) if to_rgb => {
                let (width, height) = (width as usize, height as usize);
                let (y, chroma) = self.raw.split_at(width * height);
                let plane = width.div_ceil(1 << shift_x) * height.div_ceil(1 << shift_y);
                let planes = YuvPlanes {
                    y,
                    u: &chroma[..plane],
                    v: &chroma[plane..2 * plane],
                    width,
                    height,
                    shift_x,
                    shift_y,
                };
                yuv_to_rgb(&planes, self.header.luma_range, &mut self.rgb);
            }
            _ => {
                let expand = self.pixels != Y4mPixels::StoredLuma;
                if expand && self.header.luma_range == LumaRange::Limited {
                    expand_limited_range(&mut self.raw);
                }
            }
        }
        Ok(true)
    }
}

impl<R: Read> FrameSource for Y4mReader<R> {
    fn frame_rate(&self) -> FrameRate {
        self.header.frame_rate
    }

    fn next_frame(&mut self) -> Result<Option<SourceFrame<'_>>, SourceError> {
        Ok(Y4mReader::next_frame(self)?.map(|f| SourceFrame {
            index: f.index,
            timestamp: f.timestamp,
            frame: f.frame,
        }))
    }
}

/// Reads one line (without its `\n`), at most [`MAX_LINE`] bytes; `None` at the end of the
/// stream before any byte. A line cut short by the end of the stream is an error.
fn read_line(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, Y4mError> {
    let mut line = Vec::new();
    let read = input
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.pop() != Some(b'\n') {
        let message = if line.len() >= MAX_LINE {
            format!("a line longer than {MAX_LINE} bytes")
        } else {
            format!("the stream ends inside the line {}", shown(&line))
        };
        return Err(Y4mError::BadHeader(message));
    }
    Ok(Some(line))
}

fn parse_header(line: &[u8]) -> Result<Y4mHeader, Y4mError> {
    let mut tags = line.split(|&b| b == b' ').filter(|t| !t.is_empty());
    if tags.next() != Some(b"YUV4MPEG2") {
        return Err(Y4mError::NotY4m);
    }
    let bad = |message: String| Y4mError::BadHeader(message);
    let (mut width, mut height, mut rate, mut chroma, mut range) = (None, None, None, None, None);
    for tag in tags {
        let Ok(text) = std::str::from_utf8(tag) else {
            return Err(bad(format!("tag {} is not text", shown(tag))));
        };
        // The key is the tag's first character, which need not be one byte.
        let mut chars = text.chars();
        let key = chars.next();
        let value = chars.as_str();
        match key {
            Some('W') => width = Some(parse_side("width", value)?),
            Some('H') => height = Some(parse_side("height", value)?),
            Some('F') => rate = Some(parse_rate(value)?),
            Some('C') => chroma = Some(parse_chroma(value)?),
            Some('X') => {
                if let Some(value) = value.strip_prefix("COLORRANGE=") {
                    range = match value {
                        "FULL" => Some(LumaRange::Full),
                        "LIMITED" => Some(LumaRange::Limited),
                        _ => range,
                    };
                }
            }
            // Interlacing, aspect ratio and unknown tags do not change the Y plane.
            _ => {}
        }
    }
    let width = width.ok_or_else(|| bad("no width (W tag)".into()))?;
    let height = height.ok_or_else(|| bad("no height (H tag)".into()))?;
    let frame_rate = rate.ok_or_else(|| bad("no frame rate (F tag)".into()))?;
    let chroma = chroma.unwrap_or(Chroma::C420Jpeg);
    let luma_range = range.unwrap_or(if chroma == Chroma::Mono {
        LumaRange::Full
    } else {
        LumaRange::Limited
    });
    Ok(Y4mHeader {
        width,
        height,
        frame_rate,
        chroma,
        luma_range,
    })
}

fn parse_side(name: &str, value: &str) -> Result<u32, Y4mError> {
    let side: u64 = value
        .parse()
        .map_err(|_| Y4mError::BadHeader(format!("{name} {value:?} is not a number")))?;
    if side == 0 {
        return Err(Y4mError::BadHeader(format!("{name} is 0")));
    }
    if side > u64::from(MAX_SIDE) {
        return Err(Y4mError::Unsupported(format!(
            "{name} {side} is larger than {MAX_SIDE}; downscale the video first (ffmpeg -vf \
             scale=1920:-2)"
        )));
    }
    Ok(side as u32)
}

fn parse_rate(value: &str) -> Result<FrameRate, Y4mError> {
    let bad = || Y4mError::BadHeader(format!("frame rate {value:?} is not NUM:DEN"));
    let (num, den) = value.split_once(':').ok_or_else(bad)?;
    let (num, den) = (
        num.parse().map_err(|_| bad())?,
        den.parse().map_err(|_| bad())?,
    );
    FrameRate::new(num, den).ok_or_else(|| {
        Y4mError::BadHeader(format!("frame rate {value:?} is not a positive fraction"))
    })
}

fn parse_chroma(value: &str) -> Result<Chroma, Y4mError> {
    if let Some(chroma) = Chroma::from_name(value) {
        return Ok(chroma);
    }
    // ffmpeg names deep layouts `420p10`, `444p16`, `mono16`, ...: a bit depth at the end.
    let deep = ["mono", "420p", "422p", "444p"].iter().any(|prefix| {
        value
            .strip_prefix(prefix)
            .is_some_and(|d| d.parse::<u8>().is_ok())
    });
    Err(Y4mError::Unsupported(if deep {
        format!(
            "chroma layout C{value} has more than 8 bits a sample; only 8-bit video is read: ask \
             ffmpeg for 8 bits (-pix_fmt gray or -pix_fmt yuv420p)"
        )
    } else {
        format!(
            "unknown chroma layout C{value}: expected one of {}",
            Chroma::ALL.map(|c| format!("C{}", c.name())).join(", ")
        )
    }))
}

/// A line for an error message: at most 40 bytes, lossily decoded.
fn shown(line: &[u8]) -> String {
    let cut = &line[..line.len().min(40)];
    let more = if line.len() > cut.len() { "..." } else { "" };
    format!("{:?}{more}", String::from_utf8_lossy(cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream of `frames` frames of `width`×`height` in `chroma`, Y values `y(frame, x, y)`.
    fn stream(header: &str, chroma: Chroma, frames: u64, w: u64, h: u64) -> Vec<u8> {
        let mut out = format!("{header}\n").into_bytes();
        for f in 0..frames {
            out.extend_from_slice(b"FRAME\n");
            out.extend((0..w * h).map(|i| (16 + (i + f * 7) % 200) as u8));
            out.extend(std::iter::repeat_n(
                128,
                chroma.bytes_after_luma(w, h) as usize,
            ));
        }
        out
    }

    fn read_all(bytes: &[u8]) -> (Vec<Vec<u8>>, Option<Y4mError>) {
        let mut frames = Vec::new();
        let mut reader = match Y4mReader::new(bytes) {
            Ok(reader) => reader.with_pixels(Y4mPixels::StoredLuma),
            Err(error) => return (frames, Some(error)),
        };
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => frames.push(
                    (0..frame.frame.height() as usize)
                        .flat_map(|y| frame.frame.row(y).to_vec())
                        .collect(),
                ),
                Ok(None) => return (frames, None),
                Err(error) => return (frames, Some(error)),
            }
        }
    }

    #[test]
    fn every_chroma_layout_reads_the_y_plane() {
        for chroma in Chroma::ALL {
            // Odd sizes exercise the rounded-up chroma planes.
            let header = format!("YUV4MPEG2 W13 H7 F25:1 It A0:0 C{} XYSCSS=X", chroma.name());
            let bytes = stream(&header, chroma, 3, 13, 7);
            let (frames, error) = read_all(&bytes);
            assert!(error.is_none(), "{chroma:?}: {error:?}");
            assert_eq!(frames.len(), 3, "{chroma:?}");
            for (f, frame) in frames.iter().enumerate() {
                let expected: Vec<u8> = (0..91)
                    .map(|i| (16 + (i + f as u64 * 7) % 200) as u8)
                    .collect();
                assert_eq!(frame, &expected, "{chroma:?} frame {f}");
            }
        }
    }

    #[test]
    fn timestamps_and_range_come_from_the_header() {
        let bytes = stream("YUV4MPEG2 W8 H8 F30000:1001", Chroma::C420Jpeg, 2, 8, 8);
        let mut reader = Y4mReader::new(&bytes[..])
            .unwrap()
            .with_pixels(Y4mPixels::Luma);
        assert_eq!(reader.header().luma_range, LumaRange::Limited);
        reader.next_frame().unwrap();
        let second = reader.next_frame().unwrap().unwrap();
        assert_eq!(second.timestamp, Duration::from_nanos(33_366_667));
        // Y 16 becomes 0 in full range.
        assert_eq!(second.frame.row(0)[0], expand_limited_range_value(16 + 7));
        let mono = stream("YUV4MPEG2 W8 H8 F25:1 Cmono", Chroma::Mono, 1, 8, 8);
        let reader = Y4mReader::new(&mono[..]).unwrap();
        assert_eq!(reader.header().luma_range, LumaRange::Full);
        let limited = stream(
            "YUV4MPEG2 W8 H8 F25:1 Cmono XCOLORRANGE=LIMITED",
            Chroma::Mono,
            1,
            8,
            8,
        );
        let reader = Y4mReader::new(&limited[..]).unwrap();
        assert_eq!(reader.header().luma_range, LumaRange::Limited);
    }

    fn expand_limited_range_value(y: u8) -> u8 {
        let mut v = [y];
        expand_limited_range(&mut v);
        v[0]
    }

    #[test]
    fn bad_headers_are_errors() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "not a YUV4MPEG2"),
            (b"YUV4MPEG", "ends inside"),
            (b"RIFF....\n", "not a YUV4MPEG2"),
            (b"YUV4MPEG2 W8 F25:1\n", "no height"),
            (b"YUV4MPEG2 H8 F25:1\n", "no width"),
            (b"YUV4MPEG2 W8 H8\n", "no frame rate"),
            (b"YUV4MPEG2 W8 H8 F25:0\n", "positive fraction"),
            (b"YUV4MPEG2 W8 H8 F0:1\n", "positive fraction"),
            (b"YUV4MPEG2 W8 H8 F25\n", "NUM:DEN"),
            (b"YUV4MPEG2 W0 H8 F25:1\n", "width is 0"),
            (b"YUV4MPEG2 W-3 H8 F25:1\n", "not a number"),
            (
                b"YUV4MPEG2 W99999999999999999999 H8 F25:1\n",
                "not a number",
            ),
            (b"YUV4MPEG2 W16385 H8 F25:1\n", "larger than 16384"),
            (b"YUV4MPEG2 W8 H4000000000 F25:1\n", "larger than 16384"),
            (b"YUV4MPEG2 W8 H8 F25:1 C420p10\n", "8 bits"),
            (b"YUV4MPEG2 W8 H8 F25:1 Cmono16\n", "8 bits"),
            (b"YUV4MPEG2 W8 H8 F25:1 C410\n", "unknown chroma"),
            (b"YUV4MPEG2 W8 H8 F25:1 \xff\n", "not text"),
        ];
        for (bytes, expected) in cases {
            let (frames, error) = read_all(bytes);
            assert!(frames.is_empty());
            let message = error.expect("an error").to_string();
            assert!(
                message.contains(expected),
                "{:?}: {message}",
                String::from_utf8_lossy(bytes)
            );
        }
        let long = format!("YUV4MPEG2 W8 H8 F25:1 X{}\n", "a".repeat(MAX_LINE));
        let (_, error) = read_all(long.as_bytes());
        assert!(error.unwrap().to_string().contains("longer than"));
    }

    #[test]
    fn a_fault_yields_the_frames_before_it() {
        let good = stream("YUV4MPEG2 W8 H6 F25:1", Chroma::C420Jpeg, 3, 8, 6);
        let frame_len = 6 + 48 + 24;
        let header_len = good.len() - 3 * frame_len;
        // Cut at every byte of the last frame: two frames, then an error (or a clean end when
        // the cut falls exactly between frames).
        for cut in header_len + 2 * frame_len..good.len() {
            let (frames, error) = read_all(&good[..cut]);
            assert_eq!(frames.len(), 2, "cut at {cut}");
            if cut == header_len + 2 * frame_len {
                assert!(error.is_none());
            } else {
                let message = error.expect("truncated").to_string();
                assert!(message.starts_with("frame 2:"), "{message}");
            }
        }
        let mut bad_marker = good.clone();
        bad_marker[header_len + frame_len] = b'X';
        let (frames, error) = read_all(&bad_marker);
        assert_eq!(frames.len(), 1);
        assert!(error.unwrap().to_string().contains("expected `FRAME`"));
    }

    #[test]
    fn a_huge_header_with_no_data_allocates_nothing_large() {
        let bytes = b"YUV4MPEG2 W16384 H16384 F25:1 C444alpha\nFRAME\nxyz";
        let mut reader = Y4mReader::new(&bytes[..]).unwrap();
        let error = reader.next_frame().unwrap_err();
        assert!(
            matches!(error, Y4mError::Truncated { got: 3, .. }),
            "{error}"
        );
        assert!(reader.raw.capacity() < 1 << 20 && reader.rgb.capacity() < 1 << 20);
        assert!(reader.next_frame().unwrap().is_none());
    }

    /// RGB by default: grey chroma gives R = G = B = the full-range Y; colour chroma does not,
    /// and each chroma layout covers its own pixels.
    #[test]
    fn rgb_is_the_default_and_covers_every_layout() {
        for chroma in Chroma::ALL {
            let header = format!("YUV4MPEG2 W13 H7 F25:1 C{}", chroma.name());
            let bytes = stream(&header, chroma, 1, 13, 7);
            let mut reader = Y4mReader::new(&bytes[..]).unwrap();
            assert_eq!(reader.pixels(), Y4mPixels::Rgb);
            let frame = reader.next_frame().unwrap().unwrap().frame;
            let want = if chroma == Chroma::Mono {
                PixelFormat::Luma8
            } else {
                PixelFormat::Rgb8
            };
            assert_eq!(frame.format(), want, "{chroma:?}");
            for i in 0..91u64 {
                let (x, y) = ((i % 13) as usize, (i / 13) as usize);
                let grey = expand_limited_range_value((16 + i % 200) as u8);
                let grey = if chroma == Chroma::Mono {
                    (16 + i % 200) as u8
                } else {
                    grey
                };
                let px = &frame.row(y)[x * want.bytes_per_pixel()..][..want.bytes_per_pixel()];
                assert!(
                    px.iter().all(|&c| c.abs_diff(grey) <= 1),
                    "{chroma:?} {i}: {px:?}"
                );
            }
        }
        // 2×2 4:2:0 with strong red chroma at dark Y: G and B clip at 0.
        let mut bytes = b"YUV4MPEG2 W2 H2 F25:1 C420jpeg\nFRAME\n".to_vec();
        bytes.extend_from_slice(&[20, 20, 20, 20, 60, 200]);
        let mut reader = Y4mReader::new(&bytes[..]).unwrap();
        let frame = reader.next_frame().unwrap().unwrap().frame;
        assert_eq!(frame.row(1), [120, 0, 0, 120, 0, 0]);
    }

    /// Tags are UTF-8 text whose first character is the key: a multi-byte first character is
    /// an unknown tag, not a split inside a character.
    #[test]
    fn multi_byte_tags_are_unknown_tags() {
        for header in [
            "YUV4MPEG2 W8 H8 F25:1 é",
            "YUV4MPEG2 W8 H8 F25:1 €x Cmono",
            "YUV4MPEG2 🦀",
        ] {
            let mut bytes = header.as_bytes().to_vec();
            bytes.extend_from_slice(b"\nFRAME\n");
            bytes.extend_from_slice(&[0u8; 64]);
            let _ = read_all(&bytes);
        }
        let bytes = b"YUV4MPEG2 W8 H8 F25:1 \xc3\xa9 Cmono\nFRAME\n";
        let mut bytes = bytes.to_vec();
        bytes.extend_from_slice(&[7u8; 64]);
        let (frames, error) = read_all(&bytes);
        assert!(error.is_none(), "unknown tags are ignored: {error:?}");
        assert_eq!(frames.len(), 1);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let good = stream("YUV4MPEG2 W9 H5 F24000:1001 C422", Chroma::C422, 2, 9, 5);
        let mut seed = 0x9e37_79b9_u32;
        for _ in 0..2000 {
            let mut bytes = good.clone();
            for _ in 0..4 {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let at = seed as usize % bytes.len();
                bytes[at] = (seed >> 24) as u8;
            }
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let cut = seed as usize % (bytes.len() + 1);
            let _ = read_all(&bytes[..cut]);
        }
    }
}
