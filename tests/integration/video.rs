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

use vigil::video::ffmpeg::{FfmpegDecoder, ffmpeg_available};
use vigil::video::y4m::{LumaOutput, Y4mReader};
use vigil::video::{
    CompareOptions, FrameChecker, FramePosition, Gate, Seconds3, VpdqFeature, compare_videos,
};
use vigil::{Backend, Hash256, Hasher, PdqHash};
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

/// Every frame of `video` hashed at full size and downsampled to 128×128, from one decode.
fn hash_video(video: &Path) -> (Vec<VpdqFeature>, Vec<VpdqFeature>) {
    let (mut reader, decoder) =
        FfmpegDecoder::spawn(video).unwrap_or_else(|e| panic!("{}: {e}", video.display()));
    let hasher = Arc::new(Hasher::new(Backend::Cpu).expect("CPU hasher"));
    let full = FrameChecker::builder(Arc::clone(&hasher))
        .start()
        .expect("checker");
    let small = FrameChecker::builder(hasher)
        .downsample(128, 128)
        .start()
        .expect("checker");
    let collect = |checker: &FrameChecker| {
        let results = checker.results();
        move || {
            results
                .map(|r| VpdqFeature {
                    frame: r.position.index,
                    quality: r.hash.quality,
                    hash: r.hash.hash,
                    timestamp: r.position.timestamp,
                })
                .collect::<Vec<_>>()
        }
    };
    let (full_results, small_results) = (collect(&full), collect(&small));
    let hashed = std::thread::scope(|scope| {
        let full_features = scope.spawn(full_results);
        let small_features = scope.spawn(small_results);
        while let Some(frame) = reader.next_frame().expect("the decoded stream") {
            let position = FramePosition {
                index: frame.index,
                timestamp: frame.timestamp,
            };
            full.submit(&frame.luma, position).expect("open checker");
            small.submit(&frame.luma, position).expect("open checker");
        }
        drop((full, small));
        (
            full_features.join().expect("consumer"),
            small_features.join().expect("consumer"),
        )
    });
    decoder.finish().expect("ffmpeg succeeded");
    hashed
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
        let (full, small) = hash_video(path);
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
            .with_luma_output(LumaOutput::AsStored);
        let mut features = Vec::new();
        while let Some(frame) = reader.next_frame().expect("frame") {
            let pdq = vigil::hash(&frame.luma);
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
