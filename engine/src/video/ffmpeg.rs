//! Decoding any video ffmpeg reads, by running `ffmpeg` and reading its YUV4MPEG2 output.
//!
//! The command is `ffmpeg -v error -nostdin -i FILE -map 0:v:0 -vsync passthrough -vf
//! format=pix_fmts=yuv420p|yuvj420p|...|gray -f yuv4mpegpipe -`: the first video stream, every
//! decoded frame once (no frame rate conversion, so frame numbers are the decoder's, as vPDQ's),
//! in the decoder's own pixel format when it is one of the 8-bit layouts YUV4MPEG2 carries (no
//! conversion at all: the common case), else converted to the nearest of them (10-bit video, RGB
//! images, ...). The reader expands limited-range Y to full range exactly as ffmpeg's
//! `-pix_fmt gray` would ([`expand_limited_range`](super::expand_limited_range)); asking ffmpeg
//! for grey instead gives the same pixels but costs a libswscale pass (measured: it makes
//! decoding SD H.264 about 1.5 times slower).

use std::io::Read;
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use super::y4m::{Y4mError, Y4mReader};

/// How to install ffmpeg, for error messages.
pub const INSTALL_HINT: &str = "install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: \
     brew install ffmpeg), or decode elsewhere and pipe YUV4MPEG2: ffmpeg -i VIDEO -f \
     yuv4mpegpipe - | vigil video -";

/// The filter that keeps 8-bit formats YUV4MPEG2 carries as they are and converts the others.
const PIXEL_FORMATS: &str =
    "format=pix_fmts=yuv420p|yuvj420p|yuv422p|yuvj422p|yuv444p|yuvj444p|yuv411p|gray";

/// Most bytes of ffmpeg's error output kept for the error message.
const STDERR_KEPT: usize = 4096;

/// Why ffmpeg could not decode a video.
#[derive(Debug, thiserror::Error)]
pub enum FfmpegError {
    /// There is no `ffmpeg` on `PATH`.
    #[error("ffmpeg is not on PATH; {INSTALL_HINT}")]
    NotFound,
    /// ffmpeg could not be started.
    #[error("cannot run ffmpeg: {0}")]
    Spawn(std::io::Error),
    /// ffmpeg's output is not a YUV4MPEG2 stream (it failed before writing one).
    #[error("ffmpeg failed: {message}")]
    Failed { message: String },
    /// ffmpeg decoded the video to its end but reported errors on the way (a truncated or
    /// damaged file: ffmpeg skips what it cannot decode and still exits 0). The frames it
    /// did decode were delivered; the video is not whole.
    #[error("the video is damaged; ffmpeg reported: {message}")]
    Damaged { message: String },
    /// The stream ffmpeg wrote cannot be read.
    #[error(transparent)]
    Stream(#[from] Y4mError),
}

/// A running ffmpeg decoding one video to YUV4MPEG2 on its stdout.
pub struct FfmpegDecoder {
    child: Child,
    stderr: Option<JoinHandle<Vec<u8>>>,
}

impl FfmpegDecoder {
    /// Starts ffmpeg on `video`; returns the reader of its output and the process, whose
    /// [`finish`](Self::finish) says whether ffmpeg succeeded.
    pub fn spawn(video: &Path) -> Result<(Y4mReader<ChildStdout>, FfmpegDecoder), FfmpegError> {
        let mut child = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-i"])
            .arg(video)
            .args(["-map", "0:v:0", "-vsync", "passthrough"])
            .args(["-vf", PIXEL_FORMATS])
            .args(["-f", "yuv4mpegpipe", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::NotFound => FfmpegError::NotFound,
                _ => FfmpegError::Spawn(error),
            })?;
        // Read stderr as it comes so ffmpeg never blocks on a full pipe.
        let stderr = child
            .stderr
            .take()
            .map(|stderr| std::thread::spawn(move || read_tail(stderr)));
        let stdout = child.stdout.take();
        let mut decoder = FfmpegDecoder { child, stderr };
        let Some(stdout) = stdout else {
            return Err(decoder.failure("no output pipe".into()));
        };
        match Y4mReader::new(stdout) {
            Ok(reader) => Ok((reader, decoder)),
            Err(error) => {
                let message = decoder.error_output();
                let _ = decoder.child.wait();
                Err(if message.is_empty() {
                    FfmpegError::Stream(error)
                } else {
                    FfmpegError::Failed { message }
                })
            }
        }
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

/// Whether `ffmpeg` can be run.
pub fn ffmpeg_available() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
