//! vPDQ compatibility on Meta's sample videos (`../shared/reference/vpdq/`): vigil's per-frame
//! hashes against the reference's `expected/NAME.txt` (every frame) and `NAME-128x128.txt`
//! (frames downsampled to 128×128 first), and the video-level match decisions of every pair of
//! sample videos against those the reference hashes give. Each test prints its table.
//!
//! Needs ffmpeg (to decode the MP4s) and the shared reference data; without either it skips with
//! a message, and under `CI=true` it fails instead (`scripts/test` installs ffmpeg).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil::video::ffmpeg::{FfmpegDecoder, FfmpegOptions, ffmpeg_available};
use vigil::video::y4m::{Y4mPixels, Y4mReader};
use vigil::video::{
    CompareOptions, FrameChecker, Gate, Seconds3, VideoInput, VpdqFeature, VpdqOptions,
    compare_videos,
};
use vigil::{Backend, BatchHasher, Hash256, PdqHash};
use vigil_tests::reference::reference_dir_or_skip;

/// The bounds the sample videos meet, from the measurement these tests print (see
/// BENCHMARKS.md, "Video (issue 6)"), over the frames the reference gives quality ≥ 80 (PDQ's
/// criterion for photos): per video, the mean and the largest distance to the reference's hash,
/// and over all frames the largest quality difference. Measured at full size: mean ≤ 2.3 (doorknob;
/// the others ≤ 1.2), max 6, quality ±1. (Frames of low quality, nearly flat, differ more: doorknob's dark frames reach 66
/// bits; PDQ practice never matches them.)
const FULL_SIZE: Bounds = Bounds {
    mean: 3.0,
    max_at_quality_80: 8,
    quality: 2,
};
/// Downsampled to 128×128, PDQ reads the frame's pixels nearly one for one (no blur: its filter
/// window is 1 pixel), so every scaler's rounding shows. Measured against the published files:
/// mean ≤ 4.7, max 18, quality ±7. Those files are not reproducible by the reference either: Meta's
/// `vpdq` 0.2.5 built here (Debian 12's libswscale) is itself mean 2.1–4.4, max 16, quality ±6 from
/// them, while vigil is mean 1.0–2.2, max 8, quality ±2 from that local `vpdq` run
/// (`benches/vpdq_agreement.py`, BENCHMARKS.md). The bounds below are for the published files.
const DOWNSAMPLED: Bounds = Bounds {
    mean: 6.0,
    max_at_quality_80: 20,
    quality: 8,
};

struct Bounds {
    mean: f64,
    max_at_quality_80: u32,
    quality: u8,
}

/// `../shared/reference/vpdq` and ffmpeg, or `None` after saying why the caller skips (a failure
/// under `CI=true`).
fn vpdq_dir_or_skip(test: &str) -> Option<PathBuf> {
    let dir = reference_dir_or_skip(test)?.join("vpdq");
    if !ffmpeg_available() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: ffmpeg is not on PATH and CI=true: scripts/test installs it"
        );
        eprintln!("{test}: skipped: ffmpeg is not on PATH (apt-get install ffmpeg)");
        return None;
    }
    Some(dir)
}

/// The sample videos that have expected hashes, by name.
fn sample_videos(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut videos: Vec<(String, PathBuf)> = std::fs::read_dir(dir.join("videos"))
        .expect("videos/")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_stem()?.to_str()?.to_owned();
            let has_expected = dir.join("expected").join(format!("{name}.txt")).is_file();
            (path.extension()? == "mp4" && has_expected).then_some((name, path))
        })
        .collect();
    videos.sort();
    assert!(!videos.is_empty(), "no sample videos in {}", dir.display());
    videos
}

/// One line of an expected file: the feature and its timestamp as printed.
struct ExpectedFrame {
    feature: PdqHash,
    frame: u64,
    timestamp: String,
}

fn read_expected(path: &Path) -> Vec<ExpectedFrame> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 4, "{}: {line}", path.display());
            ExpectedFrame {
                frame: fields[0].parse().expect("frame number"),
                feature: PdqHash {
                    quality: fields[1].parse().expect("quality"),
                    hash: fields[2].parse().expect("hash"),
                },
                timestamp: fields[3].to_owned(),
            }
        })
        .collect()
}

/// Every frame of `video` hashed at full size and downsampled to 128×128 (two decodes: ffmpeg
/// downsamples as vpdq does).
fn hash_both_sizes(video: &Path) -> (Vec<VpdqFeature>, Vec<VpdqFeature>) {
    let full = decode_and_hash(video, &FfmpegOptions::default());
    let small = decode_and_hash(
        video,
        &FfmpegOptions::default().downsample(Some((128, 128))),
    );
    (full, small)
}

/// Every frame of `video`, decoded by ffmpeg with `options` and hashed on the CPU.
fn decode_and_hash(video: &Path, options: &FfmpegOptions) -> Vec<VpdqFeature> {
    let (frames, decoder) =
        FfmpegDecoder::spawn(video, options).unwrap_or_else(|e| panic!("{}: {e}", video.display()));
    let hasher = Arc::new(BatchHasher::new(Backend::Cpu).expect("CPU hasher"));
    let checker = FrameChecker::builder(hasher);
    let mut features = Vec::new();
    VideoInput::from_source(video, frames, None)
        .hash(checker, &VpdqOptions::default(), |hashed| {
            features.push(hashed.feature);
            std::ops::ControlFlow::Continue(())
        })
        .unwrap_or_else(|e| panic!("{}: {e}", video.display()));
    decoder.finish().expect("ffmpeg succeeded");
    features
}

/// Per-video distances to the reference.
struct Distances {
    frames: usize,
    mean: f64,
    mean_at_quality_80: f64,
    max: u32,
    max_at_quality_80: u32,
    within_10_at_quality_80: f64,
    quality: u8,
}

/// Compares `ours` with `expected` frame by frame; frame numbers and timestamps must be equal.
fn distances(name: &str, ours: &[VpdqFeature], expected: &[ExpectedFrame]) -> Distances {
    assert_eq!(ours.len(), expected.len(), "{name}: frame count");
    let (mut sum, mut sum_80) = (0u64, 0u64);
    let (mut max, mut max_80, mut quality, mut good_80, mut count_80) = (0, 0, 0, 0, 0);
    for (ours, reference) in ours.iter().zip(expected) {
        assert_eq!(ours.frame, reference.frame, "{name}: frame numbers");
        assert_eq!(
            Seconds3(ours.timestamp).to_string(),
            reference.timestamp,
            "{name}: timestamp of frame {}",
            ours.frame
        );
        let distance = ours.hash.distance(&reference.feature.hash);
        sum += u64::from(distance);
        max = max.max(distance);
        quality = quality.max(ours.quality.abs_diff(reference.feature.quality));
        if reference.feature.quality >= 80 {
            count_80 += 1;
            sum_80 += u64::from(distance);
            good_80 += usize::from(distance <= 10);
            max_80 = max_80.max(distance);
        }
    }
    Distances {
        frames: ours.len(),
        mean: sum as f64 / ours.len().max(1) as f64,
        mean_at_quality_80: sum_80 as f64 / count_80.max(1) as f64,
        max,
        max_at_quality_80: max_80,
        within_10_at_quality_80: good_80 as f64 * 100.0 / count_80.max(1) as f64,
        quality,
    }
}

fn print_row(name: &str, d: &Distances) {
    println!(
        "{name:<40} {:>6} {:>6.2} {:>5} {:>10.2} {:>9} {:>10.1}% {:>6}",
        d.frames,
        d.mean,
        d.max,
        d.mean_at_quality_80,
        d.max_at_quality_80,
        d.within_10_at_quality_80,
        d.quality
    );
}

fn check_bounds(name: &str, d: &Distances, bounds: &Bounds, failures: &mut Vec<String>) {
    if d.mean_at_quality_80 > bounds.mean
        || d.max_at_quality_80 > bounds.max_at_quality_80
        || d.quality > bounds.quality
    {
        failures.push(format!(
            "{name}: at quality >= 80 mean {:.2} (bound {}) and max {} (bound {}); quality ±{} \
             (bound {})",
            d.mean_at_quality_80,
            bounds.mean,
            d.max_at_quality_80,
            bounds.max_at_quality_80,
            d.quality,
            bounds.quality
        ));
    }
}

fn as_hashes(features: &[VpdqFeature]) -> Vec<PdqHash> {
    features
        .iter()
        .map(|f| PdqHash {
            hash: f.hash,
            quality: f.quality,
        })
        .collect()
}

#[test]
fn sample_videos_match_the_reference_vpdq_hashes() {
    let Some(dir) = vpdq_dir_or_skip("sample_videos_match_the_reference_vpdq_hashes") else {
        return;
    };
    let videos = sample_videos(&dir);
    let header = format!(
        "{:<40} {:>6} {:>6} {:>5} {:>10} {:>9} {:>11} {:>6}",
        "video", "frames", "mean", "max", "mean q>=80", "max q>=80", "<=10 q>=80", "±qual"
    );
    let mut ours: BTreeMap<String, Vec<PdqHash>> = BTreeMap::new();
    let mut reference: BTreeMap<String, Vec<PdqHash>> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (name, path) in &videos {
        let (full, small) = hash_both_sizes(path);
        for (suffix, features, bounds) in
            [("", &full, &FULL_SIZE), ("-128x128", &small, &DOWNSAMPLED)]
        {
            let label = format!("{name}{suffix}");
            let expected_path = dir.join("expected").join(format!("{label}.txt"));
            if !expected_path.is_file() {
                continue;
            }
            let expected = read_expected(&expected_path);
            let d = distances(&label, features, &expected);
            check_bounds(&label, &d, bounds, &mut failures);
            rows.push((label.clone(), d));
            if suffix.is_empty() {
                ours.insert(name.clone(), as_hashes(features));
                reference.insert(name.clone(), expected.iter().map(|e| e.feature).collect());
            }
        }
    }
    println!("\nvigil vs the reference vPDQ hashes, per video (distances in bits)");
    println!("{header}");
    for (label, d) in rows.iter().filter(|(l, _)| !l.ends_with("-128x128")) {
        print_row(label, d);
    }
    println!("\ndownsampled to 128x128 first");
    println!("{header}");
    for (label, d) in rows.iter().filter(|(l, _)| l.ends_with("-128x128")) {
        print_row(label, d);
    }
    let decisions = decision_agreement(&ours, &reference);
    assert!(
        failures.is_empty(),
        "outside the bounds:\n{}",
        failures.join("\n")
    );
    assert!(
        decisions.is_empty(),
        "decisions differ:\n{}",
        decisions.join("\n")
    );
}

/// Compares every ordered pair of videos with each gate, on vigil's hashes and on the
/// reference's; prints the table and returns the disagreements.
fn decision_agreement(
    ours: &BTreeMap<String, Vec<PdqHash>>,
    reference: &BTreeMap<String, Vec<PdqHash>>,
) -> Vec<String> {
    println!("\nvideo-level decisions, every ordered pair (query, compared), D=31 F=50:");
    println!(
        "{:<34} {:<34} {:>15} {:>15}  gates c/q/e (vigil | reference)",
        "query", "compared", "q% vigil/ref", "c% vigil/ref"
    );
    let gates = [Gate::Compared, Gate::Query, Gate::Either];
    let (mut agree, mut total, mut disagreements) = (0, 0, Vec::new());
    for (q, q_ours) in ours {
        for (c, c_ours) in ours {
            let decide = |query: &[PdqHash], compared: &[PdqHash]| {
                gates.map(|gate| compare_videos(query, compared, &CompareOptions::with_gate(gate)))
            };
            let vigil = decide(q_ours, c_ours);
            let refs = decide(&reference[q], &reference[c]);
            let flags = |results: &[vigil::video::VideoComparison; 3]| {
                results
                    .map(|r| if r.is_match { 'M' } else { '-' })
                    .iter()
                    .collect::<String>()
            };
            println!(
                "{q:<34} {c:<34} {:>7.1}/{:<7.1} {:>7.1}/{:<7.1}  {} | {}",
                vigil[0].query_percent,
                refs[0].query_percent,
                vigil[0].compared_percent,
                refs[0].compared_percent,
                flags(&vigil),
                flags(&refs)
            );
            for ((gate, ours), theirs) in gates.iter().zip(&vigil).zip(&refs) {
                total += 1;
                if ours.is_match == theirs.is_match {
                    agree += 1;
                } else {
                    disagreements.push(format!(
                        "{q} vs {c}, gate {}: vigil {} (q {:.1}%, c {:.1}%), reference {} (q \
                         {:.1}%, c {:.1}%)",
                        gate.name(),
                        ours.is_match,
                        ours.query_percent,
                        ours.compared_percent,
                        theirs.is_match,
                        theirs.query_percent,
                        theirs.compared_percent
                    ));
                }
            }
        }
    }
    println!("decisions agree: {agree} of {total}");
    disagreements
}

/// The measurement behind hashing full-range luma: the same videos hashed from the Y plane as
/// stored (limited range, 16..=235), unexpanded. Run with `cargo test -p vigil-tests --test
/// integration -- --ignored --nocapture luma_as_stored`.
#[test]
#[ignore = "a measurement: prints how far unexpanded limited-range luma is from the reference"]
fn luma_as_stored_study() {
    let Some(dir) = vpdq_dir_or_skip("luma_as_stored_study") else {
        return;
    };
    println!("\nY plane as stored (limited range) vs the reference");
    for (name, path) in sample_videos(&dir) {
        let mut child = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-i"])
            .arg(&path)
            .args([
                "-map",
                "0:v:0",
                "-vsync",
                "passthrough",
                "-pix_fmt",
                "yuv420p",
            ])
            .args(["-f", "yuv4mpegpipe", "-"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("ffmpeg");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = Y4mReader::new(stdout)
            .expect("y4m")
            .with_pixels(Y4mPixels::StoredLuma);
        let mut features = Vec::new();
        while let Some(frame) = reader.next_frame().expect("frame") {
            let pdq = vigil::hash(&frame.frame);
            features.push(VpdqFeature {
                frame: frame.index,
                quality: pdq.quality,
                hash: pdq.hash,
                timestamp: frame.timestamp,
            });
        }
        child.wait().expect("ffmpeg exit");
        let expected = read_expected(&dir.join("expected").join(format!("{name}.txt")));
        print_row(&name, &distances(&name, &features, &expected));
    }
}

#[test]
fn reference_hash_files_read_as_vpdq_lists() {
    let Some(dir) = reference_dir_or_skip("reference_hash_files_read_as_vpdq_lists") else {
        return;
    };
    let path = dir.join("vpdq/expected/chair-19-sd-bar.txt");
    let list = vigil::lists::HashList::load(&path).expect("a vPDQ list");
    assert_eq!(list.format(), vigil::lists::ListFormat::Vpdq);
    let expected = read_expected(&path);
    assert_eq!(list.len(), expected.len());
    let entry = list.entry(2).expect("entry 2");
    assert_eq!(entry.id.to_string(), "2");
    assert_eq!(entry.hash, expected[2].feature.hash);
    assert_ne!(entry.hash, Hash256::ZERO);
}

/// Clips made to be hard for a shortcut (issue 9): dark scenes with colour, saturated colours,
/// BT.709, full range, 10-bit, generated by ffmpeg's test sources. Name, source, filters, output
/// options, extension.
const HARD_CLIPS: [(&str, &str, &str, &[&str], &str); 7] = [
    (
        "normal",
        "testsrc=size=320x240:rate=10:duration=2",
        "",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
        "mp4",
    ),
    (
        "dark",
        "testsrc2=size=320x240:rate=10:duration=2",
        "eq=brightness=-0.2",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
        "mp4",
    ),
    (
        "darker-flat",
        "testsrc=size=320x240:rate=10:duration=2",
        "eq=brightness=-0.6:contrast=0.5",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
        "mp4",
    ),
    (
        "saturated",
        "testsrc2=size=320x240:rate=10:duration=2",
        "eq=saturation=3",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
        "mp4",
    ),
    (
        "bt709",
        "testsrc2=size=640x360:rate=10:duration=2",
        "scale=out_color_matrix=bt709",
        &[
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-colorspace",
            "bt709",
        ],
        "mp4",
    ),
    (
        "full-range",
        "testsrc2=size=320x240:rate=10:duration=2",
        "eq=brightness=-0.2",
        &["-c:v", "libx264", "-pix_fmt", "yuvj420p"],
        "mp4",
    ),
    (
        "10-bit",
        "testsrc2=size=320x240:rate=10:duration=2",
        "eq=brightness=-0.2",
        &["-c:v", "ffv1", "-pix_fmt", "yuv420p10le"],
        "mkv",
    ),
];

/// Generates `HARD_CLIPS[i]` in `dir`.
fn make_clip(dir: &Path, clip: &(&str, &str, &str, &[&str], &str)) -> PathBuf {
    let (name, source, filters, options, extension) = *clip;
    let path = dir.join(format!("{name}.{extension}"));
    let mut command = std::process::Command::new("ffmpeg");
    command.args(["-v", "error", "-y", "-f", "lavfi", "-i", source]);
    if !filters.is_empty() {
        command.args(["-vf", filters]);
    }
    let status = command
        .args(options)
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg could not make {name}");
    path
}

/// The clip piped through ffmpeg as YUV4MPEG2 (8 bits) and read by vigil's Y4M reader with
/// `pixels`.
fn hash_as_y4m(clip: &Path, pixels: Y4mPixels) -> Vec<VpdqFeature> {
    let mut child = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-noautorotate", "-i"])
        .arg(clip)
        .args(["-map", "0:v:0", "-vsync", "passthrough"])
        .args(["-vf", "format=pix_fmts=yuv420p|yuvj420p"])
        .args(["-f", "yuv4mpegpipe", "-"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ffmpeg");
    let stdout = child.stdout.take().expect("stdout");
    let reader = Y4mReader::new(stdout).expect("y4m").with_pixels(pixels);
    let hasher = Arc::new(BatchHasher::new(Backend::Cpu).expect("CPU hasher"));
    let checker = FrameChecker::builder(hasher);
    let mut features = Vec::new();
    VideoInput::from_source(clip, reader, None)
        .hash(checker, &VpdqOptions::default(), |hashed| {
            features.push(hashed.feature);
            std::ops::ControlFlow::Continue(())
        })
        .expect("the stream");
    assert!(child.wait().expect("ffmpeg exit").success());
    features
}

/// (mean bits over frames both give quality ≥ 50, frames counted, largest quality difference).
fn agreement(a: &[VpdqFeature], b: &[VpdqFeature]) -> (f64, usize, u8) {
    assert_eq!(a.len(), b.len(), "frame counts");
    let (mut bits, mut frames, mut quality) = (0u32, 0usize, 0u8);
    for (a, b) in a.iter().zip(b) {
        quality = quality.max(a.quality.abs_diff(b.quality));
        if a.quality >= 50 && b.quality >= 50 {
            bits += a.hash.distance(&b.hash);
            frames += 1;
        }
    }
    (f64::from(bits) / frames.max(1) as f64, frames, quality)
}

/// vPDQ hashes the luma of the clipped RGB conversion, not the Y plane. The two ways vigil makes
/// those pixels (ffmpeg's own libswscale conversion for files, vigil's integer conversion for
/// YUV4MPEG2 streams) agree within 4 bits mean on every hard clip (measured: 0.6–1.7, 4.2 on the
/// dark low-contrast clip where libswscale's 16-bit SIMD rounding shows, 3.4 for 10-bit video
/// piped as 8-bit), while the Y plane is 15–29 bits away on the dark, saturated, BT.709 and
/// full-range ones. Against Meta's `vpdq` itself (`benches/vpdq_hard_cases.py`, run by
/// scripts/test): files 0 bits on every clip, YUV4MPEG2 0.8–3.5.
#[test]
fn hard_clips_hash_the_reference_rgb_not_the_y_plane() {
    if !ffmpeg_available() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "ffmpeg is not on PATH and CI=true: scripts/test installs it"
        );
        eprintln!("hard_clips: skipped: ffmpeg is not on PATH");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    println!("\nclip: file vs Y4M RGB (mean bits, frames, ±quality) | file vs Y plane");
    let mut failures = Vec::new();
    let mut y_plane_worst: f64 = 0.0;
    for clip in &HARD_CLIPS {
        let path = make_clip(dir.path(), clip);
        let file = decode_and_hash(&path, &FfmpegOptions::default());
        let rgb = hash_as_y4m(&path, Y4mPixels::Rgb);
        let luma = hash_as_y4m(&path, Y4mPixels::Luma);
        let (mean, frames, quality) = agreement(&file, &rgb);
        let (luma_mean, _, luma_quality) = agreement(&file, &luma);
        println!(
            "{:12} {mean:5.2} {frames:3} ±{quality} | {luma_mean:6.2} ±{luma_quality}",
            clip.0
        );
        y_plane_worst = y_plane_worst.max(luma_mean);
        if mean > 4.5 || quality > 3 {
            failures.push(format!("{}: {mean:.2} bits, quality ±{quality}", clip.0));
        }
    }
    assert!(
        failures.is_empty(),
        "paths disagree:\n{}",
        failures.join("\n")
    );
    // The clips do what they are for: the Y plane is far from the reference's pixels somewhere.
    assert!(
        y_plane_worst > 10.0,
        "no clip separates RGB from Y: {y_plane_worst:.2}"
    );
}

/// A rotation tag (phones write one) is not applied by default, as vpdq does not: the tagged
/// file hashes as its stored frames. With `apply_rotation` it hashes as shown (rotated).
#[test]
fn rotation_tags_are_not_applied_unless_asked() {
    if !ffmpeg_available() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "ffmpeg is not on PATH"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let plain = make_clip(dir.path(), &HARD_CLIPS[0]);
    let tagged = dir.path().join("tagged.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&plain)
        .args(["-c", "copy", "-metadata:s:v:0", "rotate=90"])
        .arg(&tagged)
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    let stored = decode_and_hash(&plain, &FfmpegOptions::default());
    let as_tagged = decode_and_hash(&tagged, &FfmpegOptions::default());
    assert_eq!(as_tagged, stored, "the stored pixels are hashed");
    let shown = decode_and_hash(&tagged, &FfmpegOptions::default().apply_rotation(true));
    let (mean, _, _) = agreement(&shown, &stored);
    assert!(
        mean > 60.0,
        "applying the tag turns the frames: {mean:.1} bits"
    );
}
