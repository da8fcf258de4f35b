//! End-to-end tests of `vigil video` and `vigil video-compare` on synthetic YUV4MPEG2 streams
//! (and, when ffmpeg is on PATH, a small MP4 it encodes).

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::cargo_bin_cmd;
use vigil::video::expand_limited_range;
use vigil::{Frame, PixelFormat};

use common::{path_str, text, vigil};

const W: usize = 48;
const H: usize = 32;

/// The Y plane of frame `index`: the picture changes every 10 frames (scene `index / 10`).
fn luma(index: usize) -> Vec<u8> {
    let scene = index / 10;
    (0..W * H)
        .map(|i| {
            let (x, y) = (i % W, i / W);
            (16 + (x * (scene + 1) * 3 + y * (7 - scene % 5) * 5 + scene * 40) % 219) as u8
        })
        .collect()
}

/// A 4:2:0 stream of `frames` frames at 10 frames/s.
fn y4m(frames: usize) -> Vec<u8> {
    let mut out =
        format!("YUV4MPEG2 W{W} H{H} F10:1 Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\n").into_bytes();
    for index in 0..frames {
        out.extend_from_slice(b"FRAME\n");
        out.extend(luma(index));
        out.extend(std::iter::repeat_n(128u8, 2 * (W / 2) * (H / 2)));
    }
    out
}

/// What vigil must print for frame `index`: the hash of its full-range Y plane.
fn expected_line(index: usize) -> String {
    let mut plane = luma(index);
    expand_limited_range(&mut plane);
    let frame = Frame::packed(&plane, W as u32, H as u32, PixelFormat::Luma8).expect("frame");
    let pdq = vigil::hash(&frame);
    let millis = index * 100;
    format!(
        "{index},{},{},{}.{:03}",
        pdq.quality,
        pdq.hash,
        millis / 1000,
        millis % 1000
    )
}

/// `vigil ARGS` with standard input and output piped, standard error as `stderr` says.
fn spawn_vigil(args: &[&str], stderr: Stdio) -> std::process::Child {
    Command::new(cargo_bin_cmd!("vigil").get_program())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("run vigil")
}

fn vigil_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = spawn_vigil(args, Stdio::piped());
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let output = child.wait_with_output().expect("vigil output");
    writer.join().expect("stdin writer");
    output
}

#[test]
fn hashes_every_frame_of_a_y4m_stream_in_the_vpdq_format() {
    let output = vigil_with_stdin(&["video", "--backend", "cpu", "-"], &y4m(25));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let lines: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
    let expected: Vec<String> = (0..25).map(expected_line).collect();
    assert_eq!(lines, expected);
}

#[test]
fn seconds_per_hash_prune_and_json() {
    // 10 frames/s, one hash a second: frames 0, 10, 20.
    let output = vigil_with_stdin(&["video", "--seconds-per-hash", "1", "-"], &y4m(25));
    let frames: Vec<String> = text(&output.stdout)
        .lines()
        .map(|l| l.split(',').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(frames, ["0", "10", "20"]);
    // Pruning at 0 bits keeps the first frame of each scene.
    let output = vigil_with_stdin(&["video", "--prune", "0", "--json", "-"], &y4m(25));
    assert_eq!(output.status.code(), Some(0));
    let values: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let frames: Vec<u64> = values
        .iter()
        .map(|v| v["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(frames, [0, 10, 20]);
    assert_eq!(values[1]["timestamp"], 1.0);
    assert_eq!(values[1]["hash"].as_str().unwrap().len(), 64);
}

#[test]
fn downsampling_changes_the_hashed_size() {
    let full = vigil_with_stdin(&["video", "-"], &y4m(3));
    let small = vigil_with_stdin(&["video", "--downsample", "16x16", "-"], &y4m(3));
    assert_eq!(small.status.code(), Some(0));
    assert_eq!(text(&small.stdout).lines().count(), 3);
    assert_ne!(text(&full.stdout), text(&small.stdout));
    let bad = vigil_with_stdin(&["video", "--downsample", "16", "-"], &y4m(1));
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("WIDTHxHEIGHT"));
}

#[test]
fn a_truncated_stream_prints_the_frames_before_the_fault_and_fails() {
    let stream = y4m(5);
    let frame_len = 6 + W * H * 3 / 2;
    let cut = stream.len() - frame_len / 2;
    let output = vigil_with_stdin(&["video", "-"], &stream[..cut]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(text(&output.stdout).lines().count(), 4);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("frame 4: the stream ends after"),
        "{stderr}"
    );
    for bad in [&b"YUV4MPEG2 W99999 H2 F1:1\n"[..], b"not a video", b""] {
        let output = vigil_with_stdin(&["video", "-"], bad);
        assert_eq!(output.status.code(), Some(2));
        assert!(text(&output.stdout).is_empty());
        assert!(
            text(&output.stderr).starts_with("vigil: -:"),
            "{}",
            text(&output.stderr)
        );
    }
}

#[test]
fn y4m_files_are_read_directly_and_lists_decide() {
    let dir = tempfile::tempdir().expect("temp dir");
    let video = dir.path().join("clip.y4m");
    std::fs::write(&video, y4m(30)).expect("write video");
    let hashes = dir.path().join("clip.txt");
    let output = vigil(&["video", "--output", path_str(&hashes), path_str(&video)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
    let written = std::fs::read_to_string(&hashes).expect("hashes written");
    assert_eq!(written.lines().count(), 30);

    // The first scene alone, as a listed video: all of it is in the clip (README gate), but
    // only a third of the clip is in it (query gate).
    let first_scene = dir.path().join("scene0.txt");
    let scene: String = written.lines().take(10).map(|l| format!("{l}\n")).collect();
    std::fs::write(&first_scene, scene).expect("write list");
    let output = vigil(&["video", "--list", path_str(&first_scene), path_str(&video)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let decision = stdout.lines().last().expect("a decision line");
    assert!(decision.contains(": match: compared 100.00%"), "{decision}");
    assert!(
        stdout.lines().next().unwrap().starts_with("0,0.000,0,"),
        "{stdout}"
    );
    let output = vigil(&[
        "video",
        "--gate",
        "query",
        "--list",
        path_str(&first_scene),
        path_str(&video),
    ]);
    assert_eq!(output.status.code(), Some(1));

    // JSON: a line per frame, then the decision.
    let output = vigil(&[
        "video",
        "--json",
        "--list",
        path_str(&first_scene),
        path_str(&video),
    ]);
    let values: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(values.len(), 31);
    assert_eq!(values[0]["type"], "frame");
    assert_eq!(values[0]["matches"][0]["distance"], 0);
    assert_eq!(values[30]["type"], "video");
    assert_eq!(values[30]["kind"], "video");
    assert_eq!(values[30]["is_match"], true);
}

#[test]
fn video_compare_prints_percentages_and_exits_by_decision() {
    let dir = tempfile::tempdir().expect("temp dir");
    let all = dir.path().join("all.txt");
    let output = vigil_with_stdin(&["video", "-"], &y4m(30));
    std::fs::write(&all, &output.stdout).expect("write");
    let part = dir.path().join("part.txt");
    let first: String = text(&output.stdout)
        .lines()
        .take(10)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&part, first).expect("write");
    let (all, part) = (path_str(&all), path_str(&part));

    let output = vigil(&["video-compare", all, part]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("query"), "{stdout}");
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("match: compared 100.00%"),
        "{stdout}"
    );
    assert_eq!(
        vigil(&["video-compare", "--gate", "query", all, part])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        vigil(&["video-compare", "--gate", "either", all, part])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        vigil(&["video-compare", "--pc", "100", "--pq", "50", all, part])
            .status
            .code(),
        Some(1)
    );

    let output = vigil(&["video-compare", "--json", part, all]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(value["gate"], "compared");
    assert_eq!(value["query_percent"], 100.0);
    assert!(value["compared_percent"].as_f64().unwrap() < 80.0);
    assert_eq!(value["is_match"], false);
    assert_eq!(output.status.code(), Some(1));

    let missing = vigil(&["video-compare", all, "no/such/file.txt"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn other_files_go_through_ffmpeg_or_say_how_to_install_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mp4 = dir.path().join("clip.mp4");
    let empty_path = dir.path().join("bin");
    std::fs::create_dir(&empty_path).expect("mkdir");
    std::fs::write(&mp4, b"not really an mp4").expect("write");
    let output = cargo_bin_cmd!("vigil")
        .args(["video", path_str(&mp4)])
        .env("PATH", &empty_path)
        .output()
        .expect("run vigil");
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("apt-get install ffmpeg")
            && stderr.contains("brew install ffmpeg")
            && stderr.contains("yuv4mpegpipe - | vigil video -"),
        "{stderr}"
    );

    if !ffmpeg_or_skip("the MP4 half of other_files_go_through_ffmpeg") {
        return;
    }
    let output = vigil(&["video", path_str(&mp4)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("ffmpeg failed"),
        "{}",
        text(&output.stderr)
    );
    // A real MP4: 12 frames of ffmpeg's test pattern.
    encode_test_pattern(&mp4, 12);
    let output = vigil(&["video", path_str(&mp4)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let lines: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 12);
    assert!(
        lines[11].starts_with("11,") && lines[11].ends_with(",0.917"),
        "{}",
        lines[11]
    );

    // A longer one cut short: ffmpeg decodes what it can and exits 0; vigil prints those
    // frames, then says the video is damaged and exits 2.
    let whole = mp4.with_file_name("whole.mp4");
    encode_test_pattern(&whole, 48);
    let all = text(&vigil(&["video", path_str(&whole)]).stdout);
    let bytes = std::fs::read(&whole).expect("read mp4");
    let cut = mp4.with_file_name("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 4]).expect("write cut mp4");
    let output = vigil(&["video", path_str(&cut)]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the video is damaged"), "{stderr}");
    let printed = text(&output.stdout);
    assert!((1..48).contains(&printed.lines().count()), "{printed}");
    for (got, want) in printed.lines().zip(all.lines()) {
        assert_eq!(got, want);
    }
}

/// `frames` frames of ffmpeg's test pattern, 96×64 at 12 frames/s, H.264 in MP4 with the index
/// first (so a file cut short still opens, as a partial upload would).
fn encode_test_pattern(path: &std::path::Path, frames: u32) {
    let made = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=96x64:rate=12",
        ])
        .args(["-frames:v", &frames.to_string()])
        .args(["-pix_fmt", "yuv420p", "-movflags", "+faststart"])
        .arg(path)
        .status()
        .expect("ffmpeg");
    assert!(made.success());
}

/// Whether ffmpeg is on PATH; under CI=true it must be.
fn ffmpeg_or_skip(test: &str) -> bool {
    let has_ffmpeg = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_ffmpeg {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: ffmpeg is not on PATH and CI=true: scripts/test installs it"
        );
        eprintln!("{test}: skipped: ffmpeg is not on PATH");
    }
    has_ffmpeg
}

/// A file name is a file, never an ffmpeg protocol: an empty file named `concat:t.mp4|t.mp4`
/// once hashed as the frames of t.mp4 (exit 0).
#[test]
fn file_names_never_reach_ffmpeg_as_protocols() {
    if !ffmpeg_or_skip("file_names_never_reach_ffmpeg_as_protocols") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    encode_test_pattern(&dir.path().join("t.mp4"), 12);
    let trap = "concat:t.mp4|t.mp4";
    std::fs::write(dir.path().join(trap), b"").expect("write the trap");
    let output = cargo_bin_cmd!("vigil")
        .args(["video", trap])
        .current_dir(dir.path())
        .output()
        .expect("run vigil");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
}

/// `--seconds-per-hash` is a finite number ≥ 0, refused before anything runs; a file with no
/// video says so.
#[test]
fn bad_sampling_and_audio_only_files_say_what_is_wrong() {
    for bad in ["nan", "inf", "-1", "x"] {
        let output = vigil(&["video", &format!("--seconds-per-hash={bad}"), "-"]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains("a number of seconds"), "{bad}: {stderr}");
    }
    if !ffmpeg_or_skip("audio_only") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let audio = dir.path().join("tone.wav");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "sine=duration=0.2"])
        .arg(&audio)
        .status()
        .expect("ffmpeg");
    assert!(made.success());
    let output = vigil(&["video", path_str(&audio)]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("no video stream"), "{stderr}");
}

/// A vPDQ list converted to binary (and back) is still a video: the decision is the video
/// comparison, as from the text file. `--dihedral` with a video list is refused, since rotated
/// frames would be printed but never counted.
#[test]
fn vpdq_lists_stay_videos_in_binary_and_refuse_dihedral() {
    let dir = tempfile::tempdir().expect("temp dir");
    let video = dir.path().join("clip.y4m");
    std::fs::write(&video, y4m(30)).expect("write video");
    let scene = dir.path().join("scene0.txt");
    let all = text(&vigil(&["video", path_str(&video)]).stdout);
    let first: String = all.lines().take(10).map(|l| format!("{l}\n")).collect();
    std::fs::write(&scene, &first).expect("write list");
    let binary = dir.path().join("scene0.bin");
    let back = dir.path().join("scene0-again.txt");
    let output = vigil(&["list", "convert", path_str(&scene), path_str(&binary)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let output = vigil(&["list", "convert", path_str(&binary), path_str(&back)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(&back).expect("text again"), first);
    for list in [&scene, &binary, &back] {
        assert_listed_as_a_third_of(list, &video);
    }
    let output = vigil(&[
        "video",
        "--dihedral",
        "--list",
        path_str(&binary),
        path_str(&video),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--dihedral cannot be used"),
        "{}",
        text(&output.stderr)
    );
}

/// `vigil video --json` output read back as a list is a video (it used to be read as images,
/// which changed the decision from vPDQ's comparison to "any frame").
#[test]
fn video_json_output_reads_back_as_a_video_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let video = dir.path().join("clip.y4m");
    std::fs::write(&video, y4m(30)).expect("write video");
    let json = text(&vigil(&["video", "--json", path_str(&video)]).stdout);
    let first: String = json.lines().take(10).map(|l| format!("{l}\n")).collect();
    let scene = dir.path().join("scene0.jsonl");
    std::fs::write(&scene, first).expect("write list");
    assert_listed_as_a_third_of(&scene, &video);
}

/// `list` holds the first of `video`'s three scenes as a vPDQ video: a third of the clip is in
/// it, so vPDQ's comparison under the query gate says no match (exit 1).
fn assert_listed_as_a_third_of(list: &std::path::Path, video: &std::path::Path) {
    let output = vigil(&[
        "video",
        "--gate",
        "query",
        "--list",
        path_str(list),
        path_str(video),
    ]);
    let stdout = text(&output.stdout);
    let decision = stdout.lines().last().expect("a decision line");
    assert!(
        decision.contains("no match") && decision.contains("query 33.33%"),
        "{}: {decision}",
        list.display()
    );
    assert_eq!(output.status.code(), Some(1), "{}", list.display());
}

/// A list whose file name is not UTF-8 is named without loss in matches and decisions: two such
/// names never print the same.
#[cfg(unix)]
#[test]
fn list_names_that_are_not_utf8_print_without_loss() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let video = dir.path().join("clip.y4m");
    std::fs::write(&video, y4m(10)).expect("write video");
    let all = text(&vigil(&["video", path_str(&video)]).stdout);
    let mut decisions = Vec::new();
    for byte in [0xFEu8, 0xFF] {
        let name = [b'k', byte, b'.', b't', b'x', b't'];
        let list = dir.path().join(std::ffi::OsStr::from_bytes(&name));
        std::fs::write(&list, &all).expect("write list");
        let output = cargo_bin_cmd!("vigil")
            .arg("video")
            .arg("--list")
            .arg(&list)
            .arg(&video)
            .output()
            .expect("vigil runs");
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let stdout = text(&output.stdout);
        let decision = stdout.lines().last().expect("a decision line").to_owned();
        assert!(
            decision.contains(&format!("k\\x{byte:X}.txt")),
            "{decision}"
        );
        decisions.push(decision);
    }
    assert_ne!(decisions[0], decisions[1]);
}

/// ffmpeg killed mid-stream (as a crash or the OOM killer would): the frames it delivered are
/// hashed and printed, then vigil says ffmpeg failed and after how many frames, exit status 2.
#[test]
fn ffmpeg_killed_mid_stream_gives_the_frames_so_far_then_an_error() {
    if !ffmpeg_or_skip("ffmpeg_killed_mid_stream") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mp4 = dir.path().join("clip.mp4");
    encode_test_pattern(&mp4, 24);
    let whole = vigil(&["video", path_str(&mp4)]);
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));
    let whole = text(&whole.stdout);

    // An `ffmpeg` first on PATH that runs the real one, passes on 10 frames and a half (96×64
    // RGB, 18,432 bytes a frame), then is killed outright.
    let real = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v ffmpeg"])
            .output()
            .expect("sh")
            .stdout,
    )
    .expect("UTF-8 path");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    let fake = bin.join("ffmpeg");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\n'{}' \"$@\" | head -c {}\nkill -KILL $$\n",
            real.trim(),
            10 * 18_432 + 9_000
        ),
    )
    .expect("write the fake ffmpeg");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for output_file in [false, true] {
        let vpdq = dir.path().join("out.vpdq");
        let mut args = vec!["video", path_str(&mp4)];
        if output_file {
            args.extend(["-o", path_str(&vpdq)]);
        }
        let killed = cargo_bin_cmd!("vigil")
            .args(&args)
            .env("PATH", &path)
            .output()
            .expect("run vigil");
        let stderr = text(&killed.stderr);
        assert_eq!(killed.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("ffmpeg failed") && stderr.contains("after 10 frames"),
            "{stderr}"
        );
        let printed = if output_file {
            std::fs::read_to_string(&vpdq).expect("the frames so far were written")
        } else {
            text(&killed.stdout)
        };
        let first_ten: String = whole.lines().take(10).map(|l| format!("{l}\n")).collect();
        assert_eq!(printed, first_ten, "written to a file: {output_file}");
    }
}

/// A consumer that stops reading `vigil video`'s output holds vigil's memory bounded: vigil
/// blocks on its full output pipe and stops reading its input, instead of queueing frames or
/// results.
#[test]
fn a_consumer_that_stops_reading_holds_memory_bounded() {
    const WIDTH: usize = 320;
    const HEIGHT: usize = 240;
    const FRAMES: usize = 3000;
    let mut child = spawn_vigil(&["video", "-", "--json"], Stdio::null());
    let mut input = child.stdin.take().expect("stdin");
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writer = {
        let accepted = std::sync::Arc::clone(&accepted);
        std::thread::spawn(move || {
            let header = format!("YUV4MPEG2 W{WIDTH} H{HEIGHT} F30:1 Cmono\n");
            if input.write_all(header.as_bytes()).is_err() {
                return;
            }
            for index in 0..FRAMES {
                let mut frame = b"FRAME\n".to_vec();
                frame.extend((0..WIDTH * HEIGHT).map(|i| ((i * (index % 7 + 1)) % 251) as u8));
                if input.write_all(&frame).is_err() {
                    return;
                }
                accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        })
    };
    // Wait until vigil stops taking frames (its output pipe is full and nobody reads it).
    let started = std::time::Instant::now();
    let mut last = usize::MAX;
    loop {
        std::thread::sleep(std::time::Duration::from_millis(1000));
        let now = accepted.load(std::sync::atomic::Ordering::SeqCst);
        if now == last {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "vigil kept reading"
        );
        last = now;
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()));
    let _ = child.kill();
    let _ = child.wait();
    let _ = writer.join();
    assert!(
        last < FRAMES,
        "vigil read all {FRAMES} frames with nobody reading its output"
    );
    if let Ok(status) = status {
        let resident_kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("VmHWM in /proc/PID/status");
        eprintln!("stalled after {last} frames; peak resident memory {resident_kib} kB");
        // Frames are 77 kB: a few hundred queued would pass this.
        assert!(
            resident_kib < 150_000,
            "peak resident memory {resident_kib} kB"
        );
    }
}

/// `vigil video - | head -1`: a reader that closes the pipe ends vigil quietly (status 0, no
/// message), as `vigil hash` does.
#[test]
fn a_closed_output_pipe_ends_the_video_quietly() {
    let mut child = spawn_vigil(&["video", "-"], Stdio::piped());
    let mut input = child.stdin.take().expect("stdin");
    // 2,000 frames: far more output than a pipe holds, so vigil must meet the closed pipe.
    let stream = y4m(2000);
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stream);
    });
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
        &mut first,
    )
    .expect("a line");
    assert_eq!(first.trim_end(), expected_line(0));
    // The reader is dropped here, closing the pipe.
    let output = child.wait_with_output().expect("wait");
    let _ = writer.join();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stderr.is_empty(), "{}", text(&output.stderr));
}
