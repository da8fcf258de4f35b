//! `vigil video`: vPDQ hashes of a video, optionally matched against lists (the output is in
//! `video_output.rs`, the decision settings in `video_compare_cmd.rs`).

use std::io::{self, BufWriter, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use vigil::lists::HashList;
use vigil::output_file::OutputFile;
use vigil::video::ffmpeg::{FfmpegError, FfmpegOptions};
use vigil::video::{
    CompareOptions, FrameChecker, OpenError, VideoError, VideoInput, VideoLists, VpdqOptions,
};
use vigil::{Backend, BatchHasher};

use crate::engine_values::engine_value;
use crate::output::{Destination, OutputStop, path_field};
use crate::progress::ProgressLine;
use crate::video_compare_cmd::{DecisionArgs, decision_outcome};
use crate::video_output::VideoWriter;
use crate::{Outcome, report_error};

const VIDEO_AFTER_HELP: &str = "\
Input:
  The pixels Meta's vpdq hashes: the PDQ luma of each frame converted to RGB the way vpdq's
  libswscale converts it (BT.601 whatever the video's tag, clipped), not the Y plane.
  A file is decoded by running ffprobe and ffmpeg (they must be on PATH), the name passed as
  file:/absolute/path (never read as a protocol):
      ffmpeg -noautorotate -i file:FILE -map 0:v:0 -vsync passthrough
             -vf scale=W:H:flags=area:in_color_matrix=bt601,format=rgb24 -f rawvideo -
  Rotation tags (phones' display matrix) are not applied, as vpdq does not apply them:
  --apply-rotation hashes the video as it is shown instead.
  A YUV4MPEG2 stream (`-` for stdin, or a .y4m file) is read by vigil: every 8-bit chroma
  layout ffmpeg writes (C420jpeg, C420paldv, C420mpeg2, C420, C422, C444, C444alpha, C411,
  Cmono), converted to RGB in the same arithmetic (within libswscale's rounding).
  Frame numbers count decoded frames from 0; timestamps come from the frame rate (the stream's
  average rate, or its base rate when it has none, as vpdq; the F tag for YUV4MPEG2).

Output:
  Text (default): the vPDQ format of Meta's vpdq-hash-video, one line per frame:
      FRAME,QUALITY,HASH,TIMESTAMP        (timestamp in seconds, 3 decimals)
  --json: JSON Lines {\"frame\":0,\"quality\":100,\"hash\":\"...\",\"timestamp\":0.0}.
  --output FILE writes the vPDQ lines to FILE instead of stdout.

  With --list, stdout has the matches instead, one line per matching frame and list entry:
      FRAME,TIMESTAMP,DISTANCE,LIST,ID
  then one decision line per list:
      LIST: match|no match (query Q%, compared C%, ...)
  A list in vPDQ format is a known video: the decision is vPDQ's video comparison (see
  `vigil video-compare --help`). Any other list is a list of images: the video matches when
  any frame does. Frames of quality under --quality are not matched.
  --json with --list: {\"type\":\"frame\",...,\"matches\":[{\"list\":...,\"id\":...,
  \"distance\":...,\"orientation\":...}]} for every frame, then {\"type\":\"video\",
  \"list\":...,\"kind\":\"video\"|\"images\",\"query_percent\":...,\"compared_percent\":...,
  \"frames_matched\":...,\"is_match\":...} per list.

Progress: on a terminal, stderr shows frames done and frames/s (not with TERM=dumb; plain
with NO_COLOR).

Exit status: 0 if every frame was read (with --list: and some list matched), 1 with --list if
no list matched, 2 on an error (a stream that ends early still prints the frames before the
fault).

Examples:
  vigil video clip.mp4 > clip.vpdq.txt
  ffmpeg -i clip.mkv -f yuv4mpegpipe - | vigil video --seconds-per-hash 1 -
  vigil video --list known-videos/case-17.txt --list ncmec.bin upload.mp4";

/// Options of `vigil video`.
#[derive(Debug, Args)]
#[command(after_help = VIDEO_AFTER_HELP)]
pub struct VideoArgs {
    /// The video: a file ffmpeg can read, a .y4m file, or `-` for a YUV4MPEG2 stream on stdin.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,

    /// Hash one frame every S seconds (vPDQ: frame n when n is a multiple of
    /// trunc(S × frames/s)); 0 hashes every frame.
    #[arg(long, value_name = "S", default_value_t = 0.0, value_parser = parse_seconds)]
    pub seconds_per_hash: f64,

    /// Downscale frames to WxH before hashing (vPDQ's downsample_width/height).
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub downsample: Option<(u32, u32)>,

    /// Apply the video's rotation tag before hashing (vpdq does not: its hashes are of the
    /// stored frames).
    #[arg(long)]
    pub apply_rotation: bool,

    /// Leave out frames within D bits of the last kept frame.
    #[arg(long, value_name = "D")]
    pub prune: Option<u32>,

    /// A hash list to match the frames against (repeat for several); see below.
    #[arg(long = "list", value_name = "FILE")]
    pub lists: Vec<PathBuf>,

    /// Match all 8 rotations and flips of each frame against the lists.
    #[arg(long)]
    pub dihedral: bool,

    /// Print JSON Lines instead of the vPDQ text format.
    #[arg(long)]
    pub json: bool,

    /// Write the vPDQ lines to FILE: written beside it under a temporary name and renamed over
    /// it once complete (a symbolic link's target is replaced, the link kept); `-`, devices and
    /// FIFOs are written through. FILE may not be the input.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Where to hash: auto, cpu or gpu (as `vigil hash`); every backend gives the same hashes.
    #[arg(long, value_name = "BACKEND", default_value = "auto", value_parser = engine_value::<Backend>())]
    pub backend: Backend,

    /// How video-level decisions are made with --list.
    #[command(flatten)]
    pub decision: DecisionArgs,
}

fn parse_seconds(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => Ok(seconds),
        _ => Err(format!(
            "expected a number of seconds ≥ 0, e.g. 1 or 0.5; got {value:?}"
        )),
    }
}

fn parse_size(value: &str) -> Result<(u32, u32), String> {
    let bad = || format!("expected WIDTHxHEIGHT, e.g. 128x128; got {value:?}");
    let (w, h) = value.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u32, u32) = (w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
    if w == 0 || h == 0 || w > vigil::MAX_SIDE || h > vigil::MAX_SIDE {
        return Err(format!(
            "sides must be 1..={}; got {value:?}",
            vigil::MAX_SIDE
        ));
    }
    Ok((w, h))
}

/// Runs `vigil video`.
pub fn run(args: &VideoArgs) -> Result<Outcome, String> {
    let options = VpdqOptions::default()
        .seconds_per_hash(args.seconds_per_hash)
        .prune_distance(args.prune);
    let decision = args.decision.options();
    let lists = load_lists(&args.lists, &decision, args.dihedral)?;
    let hasher = BatchHasher::new(args.backend).map_err(|e| e.to_string())?;
    if io::stderr().is_terminal() {
        report_error(&format!("hashing on {}", hasher.active()));
    }
    // Before ffmpeg runs: an output that is the input is refused with nothing read or written.
    let vpdq_out = match &args.output {
        Some(path) => Destination::File(
            OutputFile::create_unless_input(path, &[&args.input])
                .map_err(|e| format!("{}: {e}", path_field(path)))?,
        ),
        None if lists.is_none() => Destination::Stdout(BufWriter::new(io::stdout())),
        None => Destination::Nowhere,
    };
    let ffmpeg = FfmpegOptions::default()
        .downsample(args.downsample)
        .apply_rotation(args.apply_rotation);
    let input = VideoInput::open(&args.input, &ffmpeg).map_err(|e| match e {
        VideoError::Open {
            source: OpenError::Ffmpeg(FfmpegError::NotFound),
            ..
        } => format!("{e}; with vigil: ffmpeg -i VIDEO -f yuv4mpegpipe - | vigil video -"),
        e => e.to_string(),
    })?;
    let mut checker = FrameChecker::builder(Arc::new(hasher)).dihedral(args.dihedral);
    if let Some(lists) = &lists {
        checker = checker.matcher(Arc::clone(lists.matcher()));
    }
    let mut writer = VideoWriter {
        vpdq_out,
        matches_out: BufWriter::new(io::stdout()),
        json: args.json,
        tally: lists.as_ref().map(VideoLists::tally),
        stop: None,
        progress: ProgressLine::on_stderr("vigil video"),
    };
    let run = input.hash(checker, &options, |hashed| writer.frame(hashed));
    writer.progress.clear();
    if let Some(OutputStop::Failed(message)) = writer.stop.take() {
        return Err(message);
    }
    let run = match run {
        Ok(run) => run,
        // The stream failed, or ffmpeg died or crashed, midway: the frames before the fault
        // were hashed and are written, then the failure (exit status 2).
        Err(
            ref error @ (VideoError::Stream { ref summary, .. }
            | VideoError::Decoder { ref summary, .. }),
        ) => {
            writer.finish_output()?;
            report_error(&format!(
                "{error} (after {} frames; their hashes were written)",
                summary.frames_read
            ));
            return Ok(Outcome::SomeFailed);
        }
        Err(other) => return Err(other.to_string()),
    };
    if run.stopped_early {
        return Ok(Outcome::Success);
    }
    let matched = writer.decisions()?;
    writer.finish_output()?;
    if let Some(message) = run.damage {
        // A damaged file ffmpeg decoded around: every frame it gave was hashed and is reported
        // as usual, then the damage is an error (exit status 2).
        report_error(&format!(
            "{}: the video is damaged; the frames ffmpeg could decode were hashed. ffmpeg \
             reported: {message}",
            args.input.display()
        ));
        return Ok(Outcome::SomeFailed);
    }
    Ok(match lists {
        None => Outcome::Success,
        Some(_) => decision_outcome(matched),
    })
}

/// Loads the lists for the decisions (none: the video is only hashed).
fn load_lists(
    paths: &[PathBuf],
    decision: &CompareOptions,
    dihedral: bool,
) -> Result<Option<VideoLists>, String> {
    if paths.is_empty() {
        return Ok(None);
    }
    let lists = paths
        .iter()
        .map(|path| HashList::load(path).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    VideoLists::new(lists, decision, dihedral)
        .map(Some)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("128x96"), Ok((128, 96)));
        assert_eq!(parse_size("64X64"), Ok((64, 64)));
        for bad in ["128", "0x5", "x", "12x", "99999x1", "-1x4"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
