//! `vigil video` (vPDQ hashes of a video, optionally matched against lists) and
//! `vigil video-compare` (two vPDQ hash files compared with vPDQ's semantics).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use serde::Serialize;
use vigil::lists::{HashList, ListKind};
use vigil::matcher::{MatchOptions, Matcher, QueryOutcome};
use vigil::output_file::OutputFile;
use vigil::video::ffmpeg::{FfmpegDecoder, FfmpegError, FfmpegFrames, FfmpegOptions};
use vigil::video::y4m::Y4mReader;
use vigil::video::{
    CompareOptions, FrameChecker, Gate, HashedFrame, Seconds3, StreamError, VideoComparison,
    VpdqFeature, VpdqOptions, compare_videos, hash_video, list_frames,
};
use vigil::{Backend, BatchHasher, PdqHash};

use crate::hash_cmd::write_failure;
use crate::output::{Destination, csv_field, path_field};
use crate::progress::Progress;
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
    #[arg(long, value_name = "BACKEND", default_value = "auto", value_parser = parse_backend)]
    pub backend: Backend,

    /// How video-level decisions are made with --list.
    #[command(flatten)]
    pub decision: DecisionArgs,
}

const COMPARE_AFTER_HELP: &str = "\
The comparison (vPDQ README): each file is a bag of frame hashes; hashes of quality under F
are dropped and each distinct hash counts once. A query hash is matched if some compared
hash is within D bits (inclusive), and vice versa. query% and compared% are the matched
shares of each file's distinct hashes.

Gates (the sources disagree on the default):
  compared (default)  compared% >= Pc (80) and query% >= Pq (0): the vPDQ README's rule. Most
                      of the compared (listed) video must be found in the query (upload);
                      footage added around it does not hide it.
  query               query% >= Pq (80) and compared% >= Pc (0): python-threatexchange's
                      index defaults. Most of the upload must be in the listed video; catches
                      a short clip of a long listed video, which `compared` misses.
  either              compared% >= Pc (80) or query% >= Pq (80): python-threatexchange's
                      compare_hash. Catches both.
--pc and --pq override the gate's thresholds.

Files: vPDQ FRAME,QUALITY,HASH,TIMESTAMP lines (what `vigil video` writes), or any hash list
`vigil match` reads (entries without a quality count as quality 100).

Output: the two percentages and the decision; --json: one object.
Exit status: 0 match, 1 no match, 2 error.

Example:
  vigil video-compare upload.txt known.txt --gate either";

/// Options of `vigil video-compare`.
#[derive(Debug, Args)]
#[command(after_help = COMPARE_AFTER_HELP)]
pub struct VideoCompareArgs {
    /// The query video's hashes (the upload).
    #[arg(value_name = "QUERY")]
    pub query: PathBuf,

    /// The compared video's hashes (the listed video).
    #[arg(value_name = "COMPARED")]
    pub compared: PathBuf,

    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,

    /// The decision's settings.
    #[command(flatten)]
    pub decision: DecisionArgs,
}

/// vPDQ's comparison settings, shared by `video --list` and `video-compare`.
#[derive(Debug, Args)]
pub struct DecisionArgs {
    /// Which percentages must reach their thresholds (see `vigil video-compare --help`).
    #[arg(long, value_enum, default_value_t = GateArg::Compared)]
    pub gate: GateArg,

    /// D: frames match at up to D bits, inclusive.
    #[arg(long, value_name = "D", default_value_t = 31,
          value_parser = clap::value_parser!(u32).range(0..=256))]
    pub distance: u32,

    /// F: frames of lower quality are left out.
    #[arg(long, value_name = "F", default_value_t = 50,
          value_parser = clap::value_parser!(u8).range(0..=100))]
    pub quality: u8,

    /// Pc: percent of the compared video's hashes that must be matched (default: the gate's).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub pc: Option<f64>,

    /// Pq: percent of the query video's hashes that must be matched (default: the gate's).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub pq: Option<f64>,
}

/// `--gate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GateArg {
    Compared,
    Query,
    Either,
}

impl DecisionArgs {
    fn options(&self) -> CompareOptions {
        let gate = match self.gate {
            GateArg::Compared => Gate::Compared,
            GateArg::Query => Gate::Query,
            GateArg::Either => Gate::Either,
        };
        let defaults = CompareOptions::with_gate(gate);
        CompareOptions {
            distance: self.distance,
            quality: self.quality,
            compared_percent: self.pc.unwrap_or(defaults.compared_percent),
            query_percent: self.pq.unwrap_or(defaults.query_percent),
            ..defaults
        }
    }
}

fn parse_backend(value: &str) -> Result<Backend, String> {
    value.parse()
}

/// `--seconds-per-hash`: a finite number ≥ 0 (`nan` and `inf` parse as floats).
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

fn parse_percent(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a percentage 0..=100; got {value:?}")),
    }
}

/// Runs `vigil video-compare`.
pub fn run_compare(args: &VideoCompareArgs) -> Result<Outcome, String> {
    let load = |path: &Path| HashList::load(path).map_err(|e| e.to_string());
    let (query, compared) = (load(&args.query)?, load(&args.compared)?);
    let options = args.decision.options();
    let result = compare_videos(&list_frames(&query), &list_frames(&compared), &options);
    let mut out = io::stdout().lock();
    let written = if args.json {
        let line = JsonComparison::new(query.name(), compared.name(), &options, &result);
        write_json(&mut out, &line)
    } else {
        write_comparison(&mut out, query.name(), compared.name(), &options, &result)
    };
    if let Some(stop) = write_failure(written) {
        stop?;
    }
    Ok(decision_outcome(result.is_match))
}

fn decision_outcome(matched: bool) -> Outcome {
    if matched {
        Outcome::Success
    } else {
        Outcome::NothingMatched
    }
}

fn write_comparison(
    out: &mut impl Write,
    query: &str,
    compared: &str,
    options: &CompareOptions,
    r: &VideoComparison,
) -> io::Result<()> {
    let q = options.quality;
    writeln!(
        out,
        "query {query}: {:.2}% ({} of {} distinct hashes of quality >= {q} matched)",
        r.query_percent, r.query_matched, r.query_hashes
    )?;
    writeln!(
        out,
        "compared {compared}: {:.2}% ({} of {} distinct hashes of quality >= {q} matched)",
        r.compared_percent, r.compared_matched, r.compared_hashes
    )?;
    writeln!(out, "{}", decision_text(options, r))
}

/// `match: compared 92.31% (needs >= 80%) and query 85.00% (needs >= 0%); gate compared, D=31,
/// F=50`, or `no match: ...`.
fn decision_text(options: &CompareOptions, r: &VideoComparison) -> String {
    let verdict = if r.is_match { "match" } else { "no match" };
    let join = if options.gate == Gate::Either {
        "or"
    } else {
        "and"
    };
    format!(
        "{verdict}: compared {:.2}% (needs >= {}%) {join} query {:.2}% (needs >= {}%); gate {}, \
         D={}, F={}",
        r.compared_percent,
        options.compared_percent,
        r.query_percent,
        options.query_percent,
        options.gate.name(),
        options.distance,
        options.quality
    )
}

#[derive(Serialize)]
struct JsonComparison<'a> {
    query: &'a str,
    compared: &'a str,
    query_percent: f64,
    compared_percent: f64,
    query_hashes: usize,
    query_matched: usize,
    compared_hashes: usize,
    compared_matched: usize,
    gate: &'static str,
    compared_threshold: f64,
    query_threshold: f64,
    distance: u32,
    quality: u8,
    is_match: bool,
}

impl<'a> JsonComparison<'a> {
    fn new(
        query: &'a str,
        compared: &'a str,
        options: &CompareOptions,
        r: &VideoComparison,
    ) -> Self {
        JsonComparison {
            query,
            compared,
            query_percent: r.query_percent,
            compared_percent: r.compared_percent,
            query_hashes: r.query_hashes,
            query_matched: r.query_matched,
            compared_hashes: r.compared_hashes,
            compared_matched: r.compared_matched,
            gate: options.gate.name(),
            compared_threshold: options.compared_percent,
            query_threshold: options.query_percent,
            distance: options.distance,
            quality: options.quality,
            is_match: r.is_match,
        }
    }
}

fn write_json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Where frames come from.
enum Source {
    Y4m(Y4mReader<Box<dyn Read + Send>>),
    Ffmpeg(FfmpegFrames, FfmpegDecoder),
}

/// Opens `input`: stdin, a Y4M file read directly, or anything else through ffmpeg.
fn open_source(input: &Path, ffmpeg: &FfmpegOptions) -> Result<Source, String> {
    let named = |e: &dyn std::fmt::Display| format!("{}: {e}", input.display());
    if input == Path::new("-") {
        let stdin: Box<dyn Read + Send> = Box::new(io::stdin());
        return Ok(Source::Y4m(Y4mReader::new(stdin).map_err(|e| named(&e))?));
    }
    let mut file = File::open(input).map_err(|e| named(&e))?;
    let mut magic = [0u8; 10];
    let is_y4m = file.read_exact(&mut magic).is_ok() && &magic == b"YUV4MPEG2 ";
    if is_y4m {
        let file: Box<dyn Read + Send> = Box::new(File::open(input).map_err(|e| named(&e))?);
        return Ok(Source::Y4m(Y4mReader::new(file).map_err(|e| named(&e))?));
    }
    let (frames, decoder) = FfmpegDecoder::spawn(input, ffmpeg).map_err(|e| named(&e))?;
    Ok(Source::Ffmpeg(frames, decoder))
}

/// A list and how its decision is made.
struct LoadedList {
    name: String,
    /// A vPDQ list is a video: its frames, for the video comparison.
    video: Option<Vec<PdqHash>>,
}

/// Runs `vigil video`.
pub fn run(args: &VideoArgs) -> Result<Outcome, String> {
    let options = VpdqOptions {
        seconds_per_hash: args.seconds_per_hash,
        prune_distance: args.prune,
    };
    let decision = args.decision.options();
    let (matcher, lists) = load_lists(&args.lists, decision.distance, args.dihedral)?;
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
        None if matcher.is_none() => Destination::Stdout(BufWriter::new(io::stdout())),
        None => Destination::Nowhere,
    };
    let ffmpeg = FfmpegOptions::default()
        .downsample(args.downsample)
        .apply_rotation(args.apply_rotation);
    let source = open_source(&args.input, &ffmpeg)?;
    let mut builder = FrameChecker::builder(Arc::new(hasher)).dihedral(args.dihedral);
    // ffmpeg downsamples as vpdq does; YUV4MPEG2 frames are downsampled by the checker.
    if let (Some((width, height)), Source::Y4m(_)) = (args.downsample, &source) {
        builder = builder.downsample(width, height);
    }
    if let Some(matcher) = &matcher {
        builder = builder.matcher(Arc::clone(matcher));
    }
    let checker = builder.start().map_err(|e| e.to_string())?;
    let mut writer = VideoWriter {
        vpdq_out,
        matches_out: BufWriter::new(io::stdout()),
        json: args.json,
        matching: matcher.clone(),
        quality: decision.quality,
        frames: Vec::new(),
        frames_matched: vec![0; lists.len()],
        stop: None,
        progress: Progress::on_stderr("vigil video"),
    };
    let (result, decoder) = match source {
        Source::Y4m(reader) => (
            hash_video(reader, checker, &options, |hashed| writer.frame(hashed)),
            None,
        ),
        Source::Ffmpeg(frames, decoder) => (
            hash_video(frames, checker, &options, |hashed| writer.frame(hashed)),
            Some(decoder),
        ),
    };
    writer.progress.clear();
    let stopped_quietly = matches!(writer.stop, Some(Ok(())));
    if let Some(Err(message)) = writer.stop.take() {
        return Err(message);
    }
    // ffmpeg's own message explains a stream that ended early better than the stream does.
    let decoded = match decoder {
        Some(decoder) if stopped_quietly => {
            decoder.kill();
            Ok(())
        }
        Some(decoder) => decoder.finish(),
        None => Ok(()),
    };
    // A damaged file ffmpeg decoded around: every frame it gave was hashed and is reported as
    // usual, then the damage is an error (exit status 2).
    let (decoded, damage) = match decoded {
        Err(FfmpegError::Damaged { message }) => (Ok(()), Some(message)),
        other => (other.map_err(|e| e.to_string()), None),
    };
    match (result, decoded) {
        (_, Err(message)) => return Err(format!("{}: {message}", args.input.display())),
        (Err(StreamError::Stream { summary, source }), Ok(())) => {
            writer.finish_output()?;
            report_error(&format!(
                "{}: {source} (after {} frames; their hashes were written)",
                args.input.display(),
                summary.frames_read
            ));
            return Ok(Outcome::SomeFailed);
        }
        (Err(other), Ok(())) => return Err(other.to_string()),
        (Ok(_), Ok(())) => {}
    }
    if stopped_quietly {
        return Ok(Outcome::Success);
    }
    let matched = writer.decisions(&lists, &decision)?;
    writer.finish_output()?;
    if let Some(message) = damage {
        report_error(&format!(
            "{}: the video is damaged; the frames ffmpeg could decode were hashed. ffmpeg \
             reported: {message}",
            args.input.display()
        ));
        return Ok(Outcome::SomeFailed);
    }
    Ok(match &matcher {
        None => Outcome::Success,
        Some(_) => decision_outcome(matched),
    })
}

/// Loads the lists into a matcher; a vPDQ list also keeps its frames for the video comparison.
fn load_lists(
    paths: &[PathBuf],
    distance: u32,
    dihedral: bool,
) -> Result<(Option<Arc<Matcher>>, Vec<LoadedList>), String> {
    if paths.is_empty() {
        return Ok((None, Vec::new()));
    }
    // The CLI applies --quality itself, so the matcher matches every frame.
    let mut matcher = Matcher::new(MatchOptions {
        include_low_quality: true,
        ..MatchOptions::default()
    });
    let mut lists = Vec::new();
    for path in paths {
        let list = HashList::load(path).map_err(|e| e.to_string())?;
        let video = list.kind() == ListKind::Video;
        if video && dihedral {
            // vPDQ's comparison is defined on the frames as stored; rotated matches would be
            // printed per frame but never counted in the decision.
            return Err(format!(
                "{}: --dihedral cannot be used with a vPDQ (video) list: the video comparison \
                 counts unrotated frames only. Drop --dihedral, or use --apply-rotation for a \
                 video whose rotation tag makes it look turned",
                list.name()
            ));
        }
        lists.push(LoadedList {
            name: list.name().to_owned(),
            video: video.then(|| list_frames(&list)),
        });
        matcher
            .add_list(list, distance)
            .map_err(|e| e.to_string())?;
    }
    Ok((Some(Arc::new(matcher)), lists))
}

/// Writes frames as they come, and the decisions at the end.
struct VideoWriter {
    vpdq_out: Destination,
    matches_out: BufWriter<io::Stdout>,
    json: bool,
    matching: Option<Arc<Matcher>>,
    quality: u8,
    /// The kept frames, for the video comparisons.
    frames: Vec<PdqHash>,
    /// Per list, frames with a match in it.
    frames_matched: Vec<usize>,
    /// Why output stopped: `Ok` for a closed stdout (stop quietly).
    stop: Option<Result<(), String>>,
    progress: Progress,
}

#[derive(Serialize)]
struct JsonFeature {
    frame: u64,
    quality: u8,
    hash: String,
    timestamp: f64,
}

impl JsonFeature {
    fn new(feature: &VpdqFeature) -> Self {
        let millis = (feature.timestamp.as_nanos() + 500_000) / 1_000_000;
        JsonFeature {
            frame: feature.frame,
            quality: feature.quality,
            hash: feature.hash.to_string(),
            timestamp: millis as f64 / 1000.0,
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum JsonLine<'a> {
    Frame {
        #[serde(flatten)]
        feature: JsonFeature,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<String>,
        matches: Vec<JsonMatch<'a>>,
    },
    Video {
        list: &'a str,
        kind: &'static str,
        #[serde(flatten)]
        comparison: Option<JsonVideoComparison>,
        frames_matched: usize,
        is_match: bool,
    },
}

#[derive(Serialize)]
struct JsonMatch<'a> {
    list: &'a str,
    id: String,
    distance: u32,
    orientation: &'static str,
}

#[derive(Serialize)]
struct JsonVideoComparison {
    query_percent: f64,
    compared_percent: f64,
    gate: &'static str,
}

impl VideoWriter {
    fn frame(&mut self, hashed: &HashedFrame<'_>) -> ControlFlow<()> {
        let (frame, timestamp) = (hashed.feature.frame, hashed.feature.timestamp);
        self.progress.advance(1, |done, rate| {
            format!(
                "{done} frames hashed, frame {frame} at {} s, {rate:.0} frames/s",
                Seconds3(timestamp)
            )
        });
        if !hashed.kept {
            return ControlFlow::Continue(());
        }
        let feature = &hashed.feature;
        self.frames.push(PdqHash {
            hash: feature.hash,
            quality: feature.quality,
        });
        let written = self.write_feature(feature).and_then(|()| {
            match (&self.matching, &hashed.checked.matches) {
                (Some(matcher), Some(outcome)) => {
                    let matcher = Arc::clone(matcher);
                    self.write_matches(&matcher, feature, outcome)
                }
                _ => Ok(()),
            }
        });
        match write_failure(written) {
            None => ControlFlow::Continue(()),
            Some(stop) => {
                self.stop = Some(stop);
                ControlFlow::Break(())
            }
        }
    }

    fn write_feature(&mut self, feature: &VpdqFeature) -> io::Result<()> {
        if self.json && self.matching.is_none() {
            write_json(&mut self.vpdq_out, &JsonFeature::new(feature))
        } else {
            writeln!(self.vpdq_out, "{feature}")
        }
    }

    fn write_matches(
        &mut self,
        matcher: &Matcher,
        feature: &VpdqFeature,
        outcome: &QueryOutcome,
    ) -> io::Result<()> {
        let low_quality = feature.quality < self.quality;
        let matches = match outcome {
            QueryOutcome::Matched(matches) if !low_quality => matches.as_slice(),
            _ => &[],
        };
        let mut counted = vec![false; self.frames_matched.len()];
        let mut json_matches = Vec::new();
        for found in matches {
            let (Some(list), Some(count)) = (matcher.list(found.list), counted.get_mut(found.list))
            else {
                continue;
            };
            let Some(entry) = list.entry(found.entry) else {
                continue;
            };
            *count = true;
            if self.json {
                json_matches.push(JsonMatch {
                    list: list.name(),
                    id: entry.id.to_string(),
                    distance: found.distance,
                    orientation: found.orientation.name(),
                });
            } else {
                writeln!(
                    self.matches_out,
                    "{},{},{},{},{}",
                    feature.frame,
                    Seconds3(feature.timestamp),
                    found.distance,
                    csv_field(list.name()),
                    csv_field(&entry.id.to_string())
                )?;
            }
        }
        for (total, hit) in self.frames_matched.iter_mut().zip(counted) {
            *total += usize::from(hit);
        }
        if self.json {
            let line = JsonLine::Frame {
                feature: JsonFeature::new(feature),
                skipped: low_quality.then(|| format!("quality under {}", self.quality)),
                matches: json_matches,
            };
            write_json(&mut self.matches_out, &line)?;
        }
        Ok(())
    }

    /// Writes each list's decision; whether any list matched.
    fn decisions(
        &mut self,
        lists: &[LoadedList],
        options: &CompareOptions,
    ) -> Result<bool, String> {
        let mut any = false;
        for (list, &frames_matched) in lists.iter().zip(&self.frames_matched) {
            let comparison = list
                .video
                .as_ref()
                .map(|known| compare_videos(&self.frames, known, options));
            let is_match = comparison.map_or(frames_matched > 0, |c| c.is_match);
            any |= is_match;
            let written = if self.json {
                let line = JsonLine::Video {
                    list: &list.name,
                    kind: if comparison.is_some() {
                        "video"
                    } else {
                        "images"
                    },
                    comparison: comparison.map(|c| JsonVideoComparison {
                        query_percent: c.query_percent,
                        compared_percent: c.compared_percent,
                        gate: options.gate.name(),
                    }),
                    frames_matched,
                    is_match,
                };
                write_json(&mut self.matches_out, &line)
            } else {
                let text = match &comparison {
                    Some(c) => decision_text(options, c),
                    None => format!(
                        "{} ({frames_matched} of {} frames matched an image of the list)",
                        if is_match { "match" } else { "no match" },
                        self.frames.len()
                    ),
                };
                writeln!(self.matches_out, "{}: {text}", list.name)
            };
            if let Some(stop) = write_failure(written) {
                stop?;
                break;
            }
        }
        Ok(any)
    }

    fn finish_output(&mut self) -> Result<(), String> {
        let flushed = self
            .vpdq_out
            .finish()
            .and_then(|()| self.matches_out.flush());
        match write_failure(flushed) {
            Some(stop) => stop,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_percentages_parse() {
        assert_eq!(parse_size("128x96"), Ok((128, 96)));
        assert_eq!(parse_size("64X64"), Ok((64, 64)));
        for bad in ["128", "0x5", "x", "12x", "99999x1", "-1x4"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_percent("80"), Ok(80.0));
        assert!(parse_percent("100.5").is_err() && parse_percent("nan").is_err());
    }

    #[test]
    fn gates_set_default_thresholds_and_flags_override_them() {
        let args = DecisionArgs {
            gate: GateArg::Query,
            distance: 20,
            quality: 60,
            pc: None,
            pq: Some(50.0),
        };
        let options = args.options();
        assert_eq!(options.gate, Gate::Query);
        assert_eq!(
            (options.compared_percent, options.query_percent),
            (0.0, 50.0)
        );
        assert_eq!((options.distance, options.quality), (20, 60));
    }
}
