//! Decoding any video ffmpeg reads into the RGB frames Meta's vPDQ hashes.
//!
//! vPDQ decodes with libavcodec and converts each frame to RGB24 with libswscale, created with no
//! colour details (ITU-R BT.601 whatever the video's tag; full range only for the `yuvj`
//! formats) and `SWS_AREA`, at the video's size or the downsampled one. vigil asks ffmpeg (the
//! same libraries) for exactly that: `ffprobe` first reads the first video stream's size, pixel
//! format and frame rate, then
//!
//! ```text
//! ffmpeg -v error -nostdin -noautorotate -i file:/abs/VIDEO -map 0:v:0 -vsync passthrough
//!        -vf scale=w=W:h=H:flags=area:in_color_matrix=bt601[:in_range=tv],format=rgb24
//!        -f rawvideo -
//! ```
//!
//! every decoded frame once (no frame rate conversion, so frame numbers are the decoder's),
//! scaled to one size (a stream whose size changes midway stays at its first size). The stored
//! pixels are hashed, as vPDQ hashes them: a rotation tag (a phone's display matrix) is applied
//! only when asked ([`FfmpegOptions::apply_rotation`]). The file name is handed to ffmpeg as
//! `file:` and an absolute path, so a name such as `concat:a.mp4|b.mp4` or `http://...` is a
//! file name, never a protocol.

use std::ffi::OsString;
use std::io::{ErrorKind, Read};
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use super::sampling::FrameRate;
use super::source::{FrameSource, SourceError, SourceFrame};
use crate::{Frame, MAX_SIDE, PixelFormat};

/// How to install ffmpeg, for error messages (a front end adds its own way round it).
pub const INSTALL_HINT: &str = "install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: \
     brew install ffmpeg), or decode the video elsewhere and hand over its frames (a YUV4MPEG2 \
     stream, or frames pushed to a FrameChecker)";

/// Most bytes of ffmpeg's error output kept for the error message.
const STDERR_KEPT: usize = 4096;

/// Why ffmpeg could not decode a video.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FfmpegError {
    /// There is no `ffmpeg` on `PATH`.
    #[error("ffmpeg is not on PATH; {INSTALL_HINT}")]
    NotFound,
    /// ffmpeg could not be started.
    #[error("cannot run ffmpeg: {0}")]
    Spawn(std::io::Error),
    /// ffmpeg (or ffprobe) failed.
    #[error("ffmpeg failed: {message}")]
    Failed { message: String },
    /// The file has no video stream (an audio file, a text file, ...).
    #[error("no video stream")]
    NoVideoStream,
    /// The video stream's description is unusable (no size, no frame rate, too large).
    #[error("{0}")]
    Unsupported(String),
    /// ffmpeg decoded the video to its end but reported errors on the way (a truncated or
    /// damaged file: ffmpeg skips what it cannot decode and still exits 0). The frames it
    /// did decode were delivered; the video is not whole.
    #[error("the video is damaged; ffmpeg reported: {message}")]
    Damaged { message: String },
}

/// How a video is decoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FfmpegOptions {
    /// Scale every frame to `width`×`height` (vPDQ's `downsample_width`/`_height`), with
    /// libswscale's area filter as vPDQ does.
    pub downsample: Option<(u32, u32)>,
    /// Apply the stream's rotation tag (the display matrix phones write) before hashing. Off by
    /// default: vPDQ hashes the stored pixels, so a tagged video's reference hashes are of its
    /// unrotated frames.
    pub apply_rotation: bool,
}

option_setters!(FfmpegOptions {
    downsample: Option<(u32, u32)>,
    apply_rotation: bool
});

/// What `ffprobe` says of a file's first video stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoInfo {
    /// The stored frame size.
    pub width: u32,
    pub height: u32,
    /// ffmpeg's name of the decoded pixel format (`yuv420p`, `yuvj420p`, ...).
    pub pixel_format: String,
    /// The average frame rate, or the stream's base rate when there is no average (vPDQ's rule).
    pub frame_rate: FrameRate,
    /// The rotation tag in degrees (0 when there is none), as ffprobe reports it.
    pub rotation: i32,
}

impl VideoInfo {
    /// Whether applying the rotation swaps width and height.
    fn quarter_turn(&self) -> bool {
        self.rotation.rem_euclid(180) == 90
    }
}

/// `file:` and the absolute path: ffmpeg reads the file, whatever its name looks like.
fn ffmpeg_file_argument(video: &Path) -> Result<OsString, FfmpegError> {
    let absolute = std::path::absolute(video).map_err(FfmpegError::Spawn)?;
    let mut argument = OsString::from("file:");
    argument.push(absolute.as_os_str());
    Ok(argument)
}

/// Runs `ffprobe` on `video`'s first video stream.
pub fn probe(video: &Path) -> Result<VideoInfo, FfmpegError> {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .arg("stream=width,height,pix_fmt,avg_frame_rate,r_frame_rate:stream_side_data=rotation")
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(ffmpeg_file_argument(video)?)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| match error.kind() {
            ErrorKind::NotFound => FfmpegError::NotFound,
            _ => FfmpegError::Spawn(error),
        })?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        return Err(FfmpegError::Failed {
            message: if message.is_empty() {
                format!("ffprobe exited with {}", output.status)
            } else {
                message
            },
        });
    }
    parse_probe(&String::from_utf8_lossy(&output.stdout))
}

/// Reads ffprobe's `key=value` lines.
fn parse_probe(text: &str) -> Result<VideoInfo, FfmpegError> {
    let field = |key: &str| {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(key)?.strip_prefix('='))
    };
    let Some(width) = field("width") else {
        return Err(FfmpegError::NoVideoStream);
    };
    let side = |value: Option<&str>, name: &str| {
        value
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|&v| v > 0)
            .ok_or_else(|| FfmpegError::Unsupported(format!("the video stream has no {name}")))
    };
    let (width, height) = (
        side(Some(width), "width")?,
        side(field("height"), "height")?,
    );
    let frame_rate = [field("avg_frame_rate"), field("r_frame_rate")]
        .into_iter()
        .find_map(|rate| parse_rate(rate?))
        .ok_or_else(|| FfmpegError::Unsupported("the video stream has no frame rate".into()))?;
    let rotation = field("rotation")
        .and_then(|r| r.parse::<f64>().ok())
        .map_or(0, |r| r.round() as i32);
    Ok(VideoInfo {
        width,
        height,
        pixel_format: field("pix_fmt").unwrap_or("").to_owned(),
        frame_rate,
        rotation,
    })
}

/// `num/den` as ffprobe prints it; `None` for `0/0` and other non-rates. Terms past 32 bits
/// are reduced.
fn parse_rate(text: &str) -> Option<FrameRate> {
    let (num, den) = text.split_once('/')?;
    let (mut num, mut den): (u64, u64) = (num.trim().parse().ok()?, den.trim().parse().ok()?);
    if num == 0 || den == 0 {
        return None;
    }
    let divisor = gcd(num, den);
    (num, den) = (num / divisor, den / divisor);
    while num > u64::from(u32::MAX) || den > u64::from(u32::MAX) {
        (num, den) = ((num / 2).max(1), (den / 2).max(1));
    }
    FrameRate::new(num as u32, den as u32)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The frames ffmpeg decodes, as packed RGB8 at one size.
pub struct FfmpegFrames {
    output: ChildStdout,
    width: u32,
    height: u32,
    frame_rate: FrameRate,
    pixels: Vec<u8>,
    next_index: u64,
    finished: bool,
}

impl FfmpegFrames {
    /// The size every frame is handed over at.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Fills `self.pixels` with the next frame; `false` at a clean end.
    fn read_frame(&mut self) -> Result<bool, SourceError> {
        let expected = self.pixels.len();
        let mut got = 0;
        while got < expected {
            match self.output.read(&mut self.pixels[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(SourceError::Io(error)),
            }
        }
        match got {
            0 => Ok(false),
            got if got == expected => Ok(true),
            got => Err(SourceError::Truncated {
                frame: self.next_index,
                got: got as u64,
                expected: expected as u64,
            }),
        }
    }
}

impl FrameSource for FfmpegFrames {
    fn frame_rate(&self) -> FrameRate {
        self.frame_rate
    }

    fn next_frame(&mut self) -> Result<Option<SourceFrame<'_>>, SourceError> {
        if self.finished {
            return Ok(None);
        }
        match self.read_frame() {
            Ok(true) => {}
            other => {
                self.finished = true;
                return other.map(|_| None);
            }
        }
        let index = self.next_index;
        self.next_index += 1;
        let frame = Frame::packed(&self.pixels, self.width, self.height, PixelFormat::Rgb8)
            .map_err(|e| SourceError::Io(std::io::Error::other(e.to_string())))?;
        Ok(Some(SourceFrame {
            index,
            timestamp: self.frame_rate.timestamp(index),
            frame,
        }))
    }
}

/// A running ffmpeg decoding one video to YUV4MPEG2 on its stdout.
pub struct FfmpegDecoder {
    child: Child,
    stderr: Option<JoinHandle<Vec<u8>>>,
}

impl FfmpegDecoder {
    /// Probes `video`, then starts ffmpeg on it; returns its frames and the process, whose
    /// [`finish`](Self::finish) says whether ffmpeg succeeded.
    pub fn spawn(
        video: &Path,
        options: &FfmpegOptions,
    ) -> Result<(FfmpegFrames, FfmpegDecoder), FfmpegError> {
        let info = probe(video)?;
        let stored = if options.apply_rotation && info.quarter_turn() {
            (info.height, info.width)
        } else {
            (info.width, info.height)
        };
        let (width, height) = options.downsample.unwrap_or(stored);
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(FfmpegError::Unsupported(format!(
                "frames of {width}×{height} cannot be hashed (at most {MAX_SIDE} a side); \
                 downsample them (--downsample)"
            )));
        }
        let mut command = Command::new("ffmpeg");
        command.args(["-v", "error", "-nostdin"]);
        if !options.apply_rotation {
            command.arg("-noautorotate");
        }
        command
            .arg("-i")
            .arg(ffmpeg_file_argument(video)?)
            .args(["-map", "0:v:0", "-vsync", "passthrough", "-vf"])
            .arg(scale_filter(&info, width, height))
            .args(["-f", "rawvideo", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|error| match error.kind() {
            ErrorKind::NotFound => FfmpegError::NotFound,
            _ => FfmpegError::Spawn(error),
        })?;
        // Read stderr as it comes so ffmpeg never blocks on a full pipe.
        let stderr = child
            .stderr
            .take()
            .map(|stderr| std::thread::spawn(move || read_tail(stderr)));
        let stdout = child.stdout.take();
        let mut decoder = FfmpegDecoder { child, stderr };
        let Some(output) = stdout else {
            return Err(decoder.failure("no output pipe".into()));
        };
        let frames = FfmpegFrames {
            output,
            width,
            height,
            frame_rate: info.frame_rate,
            pixels: vec![0; width as usize * height as usize * 3],
            next_index: 0,
            finished: false,
        };
        Ok((frames, decoder))
    }

    /// Waits for ffmpeg to exit; an error with its message unless it succeeded without a
    /// word. Call it after the stream ended (or failed): a decoding error shows here, and so
    /// does damage ffmpeg decoded around ([`FfmpegError::Damaged`]: it runs with `-v error`,
    /// so anything it writes is an error).
    pub fn finish(mut self) -> Result<(), FfmpegError> {
        match self.child.wait() {
            Ok(status) if status.success() => {
                let message = self.error_output();
                if message.is_empty() {
                    Ok(())
                } else {
                    Err(FfmpegError::Damaged { message })
                }
            }
            Ok(status) => {
                let message = self.error_output();
                Err(FfmpegError::Failed {
                    message: if message.is_empty() {
                        format!("exited with {status}")
                    } else {
                        message
                    },
                })
            }
            Err(error) => Err(FfmpegError::Spawn(error)),
        }
    }

    /// Stops ffmpeg (when the reader is abandoned early).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn failure(&mut self, message: String) -> FfmpegError {
        let _ = self.child.kill();
        let _ = self.child.wait();
        FfmpegError::Failed { message }
    }

    /// ffmpeg's error output, trimmed, after it closed its stderr.
    fn error_output(&mut self) -> String {
        let bytes = self
            .stderr
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).trim().to_owned()
    }
}

/// The filter that converts (and scales) every frame as vPDQ's libswscale context does.
fn scale_filter(info: &VideoInfo, width: u32, height: u32) -> String {
    // vPDQ's context treats every YUV format but the `yuvj` ones as limited range, whatever the
    // stream's range tag says; ffmpeg's filter would follow the tag.
    let format = info.pixel_format.as_str();
    let limited = format.starts_with("yuv") && !format.starts_with("yuvj");
    let range = if limited { ":in_range=tv" } else { "" };
    format!("scale=w={width}:h={height}:flags=area:in_color_matrix=bt601{range},format=rgb24")
}

/// Everything `stderr` writes, keeping the last [`STDERR_KEPT`] bytes.
fn read_tail(mut stderr: ChildStderr) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = stderr.read(&mut chunk) {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&chunk[..n]);
        if kept.len() > 2 * STDERR_KEPT {
            kept.drain(..kept.len() - STDERR_KEPT);
        }
    }
    if kept.len() > STDERR_KEPT {
        kept.drain(..kept.len() - STDERR_KEPT);
    }
    kept
}

/// Whether `ffmpeg` and `ffprobe` can be run.
pub fn ffmpeg_available() -> bool {
    ["ffmpeg", "ffprobe"].iter().all(|program| {
        Command::new(program)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output_is_read_with_vpdq_rate_rule() {
        let info = parse_probe(
            "width=1280\nheight=720\npix_fmt=yuv420p\nr_frame_rate=60/1\navg_frame_rate=30000/1001\n\
             rotation=-90\n",
        )
        .unwrap();
        assert_eq!((info.width, info.height, info.rotation), (1280, 720, -90));
        assert_eq!(info.frame_rate, FrameRate::new(30000, 1001).unwrap());
        assert!(info.quarter_turn());
        let no_average = parse_probe("width=8\nheight=8\nr_frame_rate=25/1\navg_frame_rate=0/0\n");
        assert_eq!(
            no_average.unwrap().frame_rate,
            FrameRate::new(25, 1).unwrap()
        );
        assert!(matches!(parse_probe(""), Err(FfmpegError::NoVideoStream)));
        assert!(parse_probe("width=8\nheight=0\nr_frame_rate=25/1").is_err());
        assert!(parse_probe("width=8\nheight=8\nr_frame_rate=0/0").is_err());
        assert_eq!(
            parse_rate("8589934592/4294967296"),
            FrameRate::new(2, 1),
            "reduced"
        );
    }

    #[test]
    fn names_are_files_never_protocols() {
        let argument = ffmpeg_file_argument(Path::new("concat:a.mp4|b.mp4")).unwrap();
        let text = argument.to_string_lossy();
        assert!(
            text.starts_with("file:/") && text.ends_with("/concat:a.mp4|b.mp4"),
            "{text}"
        );
    }

    #[test]
    fn the_filter_follows_vpdq_range_rule() {
        let info = |format: &str| VideoInfo {
            width: 4,
            height: 4,
            pixel_format: format.into(),
            frame_rate: FrameRate::new(1, 1).unwrap(),
            rotation: 0,
        };
        assert!(scale_filter(&info("yuv420p"), 4, 4).contains("in_range=tv"));
        assert!(scale_filter(&info("yuv420p10le"), 4, 4).contains("in_range=tv"));
        assert!(!scale_filter(&info("yuvj420p"), 4, 4).contains("in_range"));
        assert!(!scale_filter(&info("rgb24"), 4, 4).contains("in_range"));
    }
}
