//! A video opened for hashing, whatever it comes from, and the whole run over it.
//!
//! [`VideoInput::open`] takes a path: a YUV4MPEG2 file is read in Rust, anything else is decoded
//! by ffmpeg ([`FfmpegDecoder`]), and `-` is a YUV4MPEG2 stream on standard input.
//! [`VideoInput::from_source`] takes frames the caller decodes. [`VideoInput::hash`] runs vPDQ
//! over it (sampling, hashing, pruning) and then hears ffmpeg's verdict, so a front end gets one result: the
//! frames, and whether the video was whole.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::checker::CheckerBuilder;
use super::ffmpeg::{FfmpegDecoder, FfmpegError, FfmpegOptions};
use super::sampling::BadSecondsPerHash;
use super::source::{FrameSource, SourceError};
use super::vpdq_format::VpdqFeature;
use super::vpdq_stream::{HashedFrame, StreamSummary, VpdqOptions, hash_video};
use super::y4m::{Y4mError, Y4mReader};
use crate::matcher::MatchError;
use crate::{BatchHasher, Error};

/// Why a video could not be hashed, was not hashed whole, or cannot be checked against its
/// lists: the one error type of [`video`](super). Each variant names the input or the list.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VideoError {
    /// The input could not be opened (missing file, not a video ffmpeg reads, a bad YUV4MPEG2
    /// header, ffmpeg not installed).
    #[error("{}: {source}", input.display())]
    Open {
        input: PathBuf,
        #[source]
        source: OpenError,
    },
    /// The frame checker could not start (a GPU that failed, bad checker settings).
    #[error("{0}")]
    Checker(#[from] Error),
    /// `seconds_per_hash` is negative or not a number.
    #[error(transparent)]
    BadSecondsPerHash(#[from] BadSecondsPerHash),
    /// ffmpeg failed while decoding (its own message, which explains an early end best), after
    /// `summary.frames_read` good frames, whose features were handed over.
    #[error("{}: {source}", input.display())]
    Decoder {
        input: PathBuf,
        summary: StreamSummary,
        #[source]
        source: FfmpegError,
    },
    /// The stream failed after `summary.frames_read` good frames, whose features were handed over.
    #[error("{}: {source}", input.display())]
    Stream {
        input: PathBuf,
        summary: StreamSummary,
        #[source]
        source: SourceError,
    },
    /// [`VideoLists::new`](super::VideoLists::new): rotated matches against a known video would
    /// be reported per frame but never counted in vPDQ's comparison, which is defined on the
    /// frames as stored.
    #[error(
        "{}: --dihedral cannot be used with a vPDQ (video) list: the video comparison counts \
         unrotated frames only. Drop --dihedral, or use --apply-rotation for a video whose \
         rotation tag makes it look turned",
        list.display()
    )]
    DihedralWithVideoList { list: PathBuf },
    /// [`VideoLists::new`](super::VideoLists::new): the matcher could not index a list.
    #[error(transparent)]
    Match(#[from] MatchError),
}

/// Why [`VideoInput::open`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The file could not be read.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A YUV4MPEG2 stream whose header is unusable.
    #[error(transparent)]
    Y4m(#[from] Y4mError),
    /// ffprobe or ffmpeg refused the file.
    #[error(transparent)]
    Ffmpeg(#[from] FfmpegError),
}

/// What a finished run reports beside its frames.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VideoRun {
    /// Frames read, hashed and kept.
    pub summary: StreamSummary,
    /// The caller stopped the run early (its callback returned [`ControlFlow::Break`]).
    pub stopped_early: bool,
    /// ffmpeg decoded the video to its end but reported damage on the way (a truncated or
    /// corrupt file): every frame it could decode was handed over, and the video is not whole.
    pub damage: Option<String>,
}

/// A video ready to be hashed: its frames and, for a file ffmpeg decodes, the ffmpeg process.
pub struct VideoInput {
    name: PathBuf,
    source: Box<dyn FrameSource + Send>,
    decoder: Option<FfmpegDecoder>,
    /// Frames are downscaled by the checker (ffmpeg downscales its frames itself).
    downsample: Option<(u32, u32)>,
}

impl VideoInput {
    /// Opens `input`: `-` is a YUV4MPEG2 stream on standard input, a file that starts like
    /// YUV4MPEG2 is read directly, anything else is decoded by ffmpeg with `options` (which must
    /// be on `PATH`). `options.downsample` applies to every kind of input.
    pub fn open(input: &Path, options: &FfmpegOptions) -> Result<VideoInput, VideoError> {
        let name = input.to_owned();
        let open_error = |source: OpenError| VideoError::Open {
            input: name.clone(),
            source,
        };
        if input == Path::new("-") {
            let reader = Y4mReader::new(Box::new(io::stdin()) as Box<dyn Read + Send>)
                .map_err(|e| open_error(e.into()))?;
            return Ok(Self::y4m(name, reader, options));
        }
        let mut file = File::open(input).map_err(|e| open_error(e.into()))?;
        let mut magic = [0u8; 10];
        if file.read_exact(&mut magic).is_ok() && &magic == b"YUV4MPEG2 " {
            file.rewind().map_err(|e| open_error(e.into()))?;
            let reader = Y4mReader::new(Box::new(file) as Box<dyn Read + Send>)
                .map_err(|e| open_error(e.into()))?;
            return Ok(Self::y4m(name, reader, options));
        }
        let (frames, decoder) =
            FfmpegDecoder::spawn(input, options).map_err(|e| open_error(e.into()))?;
        Ok(VideoInput {
            name,
            source: Box::new(frames),
            decoder: Some(decoder),
            downsample: None,
        })
    }

    fn y4m(
        name: PathBuf,
        reader: Y4mReader<Box<dyn Read + Send>>,
        options: &FfmpegOptions,
    ) -> VideoInput {
        VideoInput {
            name,
            source: Box::new(reader),
            decoder: None,
            downsample: options.downsample,
        }
    }

    /// Frames the caller decodes (any [`FrameSource`]), named `name` in errors, downscaled to
    /// `downsample` before hashing when given.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use std::ops::ControlFlow;
    /// use std::sync::Arc;
    /// use vigil::video::{FrameChecker, VideoInput, VpdqOptions, y4m::Y4mReader};
    /// use vigil::{Backend, BatchHasher};
    ///
    /// let mut stream = b"YUV4MPEG2 W32 H32 F10:1 Cmono\n".to_vec();
    /// for frame in 0..20u32 {
    ///     stream.extend_from_slice(b"FRAME\n");
    ///     stream.extend((0..32 * 32u32).map(|i| ((i % 32) * (i / 32) + frame / 10 * 90) as u8));
    /// }
    /// let input = VideoInput::from_source("clip.y4m", Y4mReader::new(Cursor::new(stream))?, None);
    /// let checker = FrameChecker::builder(Arc::new(BatchHasher::new(Backend::Cpu)?));
    /// let options = VpdqOptions::default().seconds_per_hash(0.5).prune_distance(Some(0));
    /// let mut lines = Vec::new();
    /// let run = input.hash(checker, &options, |hashed| {
    ///     if hashed.kept {
    ///         lines.push(hashed.feature.to_string());
    ///     }
    ///     ControlFlow::Continue(())
    /// })?;
    /// // Frames 0, 5, 10, 15 are hashed; 5 and 15 repeat 0 and 10 and are pruned.
    /// let summary = run.summary;
    /// assert_eq!((summary.frames_read, summary.frames_hashed, summary.features), (20, 4, 2));
    /// assert!(lines[1].starts_with("10,") && lines[1].ends_with(",1.000"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_source(
        name: impl Into<PathBuf>,
        source: impl FrameSource + Send + 'static,
        downsample: Option<(u32, u32)>,
    ) -> VideoInput {
        VideoInput {
            name: name.into(),
            source: Box::new(source),
            decoder: None,
            downsample,
        }
    }

    /// The name errors give the input (its path, `-` for standard input).
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// Hashes the video: starts the checker `checker` describes (adding the downscaling ffmpeg
    /// has not done), runs vPDQ over the frames with `each` seeing every hashed frame (kept or
    /// pruned) in frame order on the calling thread, stopping early when it returns
    /// [`ControlFlow::Break`], then
    /// waits for ffmpeg. A stream that fails midway hands over every frame before the fault and
    /// returns [`VideoError::Stream`]; ffmpeg's own failure wins over the stream's, as its
    /// message explains more; damage ffmpeg decoded around is [`VideoRun::damage`].
    pub fn hash(
        self,
        checker: CheckerBuilder,
        options: &VpdqOptions,
        mut each: impl FnMut(&HashedFrame<'_>) -> ControlFlow<()>,
    ) -> Result<VideoRun, VideoError> {
        let VideoInput {
            name,
            source,
            decoder,
            downsample,
        } = self;
        let checker = match downsample {
            Some((width, height)) => checker.downsample(width, height),
            None => checker,
        };
        let checker = checker.start()?;
        let mut stopped_early = false;
        let hashed = hash_video(&name, source, checker, options, |frame| {
            let flow = each(frame);
            stopped_early |= flow.is_break();
            flow
        });
        let decoded = match decoder {
            Some(decoder) if stopped_early => {
                decoder.kill();
                Ok(())
            }
            Some(decoder) => decoder.finish(),
            None => Ok(()),
        };
        let damage = match decoded {
            Ok(()) => None,
            Err(FfmpegError::Damaged { message }) => Some(message),
            Err(source) => {
                let summary = match &hashed {
                    Ok(summary) | Err(VideoError::Stream { summary, .. }) => *summary,
                    Err(_) => StreamSummary::default(),
                };
                return Err(VideoError::Decoder {
                    input: name,
                    summary,
                    source,
                });
            }
        };
        Ok(VideoRun {
            summary: hashed?,
            stopped_early,
            damage,
        })
    }
}

/// The kept vPDQ features of the video at `path` (opened by [`VideoInput::open`]), hashed on
/// `hasher`: what Meta's `vpdq.computeHash` returns for the file, and the run's report (damage
/// included, which the caller may treat as an error).
///
/// ```no_run
/// use std::sync::Arc;
/// use vigil::video::{VpdqOptions, hash_video_file, ffmpeg::FfmpegOptions};
/// use vigil::{Backend, BatchHasher};
///
/// let hasher = Arc::new(BatchHasher::new(Backend::Auto)?);
/// let options = VpdqOptions::default().seconds_per_hash(1.0);
/// let (features, run) = hash_video_file("clip.mp4".as_ref(), hasher, &FfmpegOptions::default(), &options)?;
/// for feature in &features {
///     println!("{feature}"); // FRAME,QUALITY,HASH,TIMESTAMP
/// }
/// assert!(run.damage.is_none(), "the video is damaged");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn hash_video_file(
    path: &Path,
    hasher: Arc<BatchHasher>,
    ffmpeg: &FfmpegOptions,
    options: &VpdqOptions,
) -> Result<(Vec<VpdqFeature>, VideoRun), VideoError> {
    let input = VideoInput::open(path, ffmpeg)?;
    let mut features = Vec::new();
    let run = input.hash(super::FrameChecker::builder(hasher), options, |frame| {
        if frame.kept {
            features.push(frame.feature);
        }
        ControlFlow::Continue(())
    })?;
    Ok((features, run))
}
