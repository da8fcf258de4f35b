//! Files that vigil writes (`list convert`, `video -o`): written through to standard output,
//! devices and FIFOs; replaced whole through a random temporary name; never an input; no
//! temporary file left behind, even when interrupted. The faults of production: a full disk (a
//! small tmpfs), a writer killed with SIGKILL, two writers of one list at once.
#![cfg(unix)]

mod common;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use common::{path_str, text, vigil};

const A: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const B: &str = "b062eb9d2ab170c0567fcb672d9a5548c5612982dd5e374a7424ebbc8b135cb5";

/// A folder with `list.txt` (two hashes with qualities and ids).
fn folder_with_list() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("list.txt");
    fs::write(&list, format!("{A},100,a.jpg\n{B},90,b.jpg\n")).expect("write list");
    (dir, list)
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn convert_to_standard_output_prints_the_list_and_leaves_the_device() {
    let (_dir, list) = folder_with_list();
    for output in ["/dev/stdout", "-"] {
        let out = vigil(&["list", "convert", path_str(&list), output, "--to", "text"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            format!("hash,quality,id\n{A},100,a.jpg\n{B},90,b.jpg\n"),
            "{output}"
        );
    }
    // Still the link to this process's descriptor, not a regular file renamed over it.
    let stdout = fs::symlink_metadata("/dev/stdout").expect("/dev/stdout");
    assert!(
        stdout.file_type().is_symlink(),
        "/dev/stdout was replaced: {stdout:?}"
    );
}

#[test]
fn convert_writes_through_a_fifo() {
    let (dir, list) = folder_with_list();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut read = String::new();
            fs::File::open(&fifo)
                .and_then(|mut f| f.read_to_string(&mut read))
                .expect("read the FIFO");
            read
        })
    };
    let out = vigil(&[
        "list",
        "convert",
        path_str(&list),
        path_str(&fifo),
        "--to",
        "text",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Checked before waiting for the reader, which a FIFO renamed over would leave waiting.
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    let read = reader.join().expect("reader");
    assert!(read.contains(&format!("{A},100,a.jpg")), "{read}");
    assert_eq!(names(dir.path()), ["list.txt", "pipe"]);
}

#[test]
fn a_planted_link_is_not_followed_and_no_temporary_file_is_left() {
    let (dir, list) = folder_with_list();
    let output = dir.path().join("out.bin");
    let victim = dir.path().join("victim");
    fs::write(&victim, "precious").unwrap();
    // The name vigil once wrote to (OUTPUT.vigil-tmp-PID), planted as a link by someone who can
    // write in the folder; `exec` keeps the shell's PID, so it is the very name vigil would take.
    let script = format!(
        "ln -s '{}' '{}'.vigil-tmp-$$ && exec '{}' list convert '{}' '{}'",
        victim.display(),
        output.display(),
        env!("CARGO_BIN_EXE_vigil"),
        list.display(),
        output.display()
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("run sh");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    let back = vigil(&["list", "info", path_str(&output)]);
    assert!(text(&back.stdout).contains("entries: 2"));
    let planted: Vec<String> = names(dir.path())
        .into_iter()
        .filter(|n| n.contains("vigil-tmp"))
        .collect();
    assert_eq!(planted.len(), 1, "{planted:?}");
    for name in names(dir.path()) {
        assert!(!name.starts_with(".vigil-"), "left behind: {name}");
    }

    // A write that fails (an id a text list cannot hold) leaves the old output and no
    // temporary file.
    let bad = dir.path().join("bad.txt");
    fs::write(&bad, format!("{A},100,\"line\\nbreak\"\n")).unwrap();
    let text_out = dir.path().join("out.txt");
    fs::write(&text_out, "old").unwrap();
    let out = vigil(&[
        "list",
        "convert",
        path_str(&bad),
        path_str(&text_out),
        "--to",
        "text",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line break"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(fs::read_to_string(&text_out).unwrap(), "old");
    for name in names(dir.path()) {
        assert!(!name.starts_with(".vigil-"), "left behind: {name}");
    }
}

#[test]
fn an_output_that_is_the_input_is_refused() {
    let (dir, list) = folder_with_list();
    let before = fs::read(&list).unwrap();
    let hard = dir.path().join("hard.txt");
    fs::hard_link(&list, &hard).unwrap();
    let link = dir.path().join("link.txt");
    std::os::unix::fs::symlink(&list, &link).unwrap();
    for output in [&list, &hard, &link] {
        let out = vigil(&["list", "convert", path_str(&list), path_str(output)]);
        assert_eq!(out.status.code(), Some(2), "{}", output.display());
        let stderr = text(&out.stderr);
        assert!(stderr.contains("same file as the input"), "{stderr}");
        assert_eq!(fs::read(&list).unwrap(), before);
    }
    assert_eq!(names(dir.path()), ["hard.txt", "link.txt", "list.txt"]);
    // Writing through the link to another file replaces that file and keeps the link.
    let other = dir.path().join("other.bin");
    fs::write(&other, "old").unwrap();
    let to_other = dir.path().join("to-other");
    std::os::unix::fs::symlink(&other, &to_other).unwrap();
    let out = vigil(&["list", "convert", path_str(&list), path_str(&to_other)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(fs::read(&other).unwrap().starts_with(b"VIGILPDQ"));
    assert!(
        fs::symlink_metadata(&to_other)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn an_interrupted_convert_leaves_no_temporary_file() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let dir = tempfile::tempdir().unwrap();
        // A list read from a FIFO that nobody writes: the convert waits with its output open.
        let input = dir.path().join("input");
        mkfifo(&input);
        let output = dir.path().join("out.bin");
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["list", "convert", path_str(&input), path_str(&output)])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vigil");
        let started = Instant::now();
        let temporary = loop {
            let pending: Vec<String> = names(dir.path())
                .into_iter()
                .filter(|n| n != "input")
                .collect();
            if !pending.is_empty() {
                break pending;
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("no temporary output file appeared while the input was read");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(temporary[0].starts_with(".vigil-"), "{temporary:?}");
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(killed.success());
        let status = child.wait().expect("wait for vigil");
        assert_eq!(status.code(), Some(code), "SIG{signal}");
        assert_eq!(names(dir.path()), ["input"], "after SIG{signal}");
    }
}

#[test]
fn video_output_that_is_the_input_is_refused_before_ffmpeg_runs() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    fs::write(&clip, "the only copy of a video").unwrap();
    let no_tools = dir.path().join("empty-path");
    fs::create_dir(&no_tools).unwrap();
    let out = cargo_bin_cmd!("vigil")
        .args([
            "video",
            "--backend",
            "cpu",
            "-o",
            path_str(&clip),
            path_str(&clip),
        ])
        // Without ffmpeg on PATH, running it first would fail with another message.
        .env("PATH", &no_tools)
        .output()
        .expect("run vigil");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("same file as the input"), "{stderr}");
    assert_eq!(
        fs::read_to_string(&clip).unwrap(),
        "the only copy of a video"
    );
    assert_eq!(names(dir.path()), ["clip.mp4", "empty-path"]);
}

/// `count` distinct hashes as a text list (`HASH,QUALITY` lines), different for each `seed`.
fn generated_list(count: usize, seed: u64) -> String {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        // xorshift64: enough to make every hash different.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let hash: String = (0..4).map(|_| format!("{:016x}", next())).collect();
            format!("{hash},{}\n", 50 + next() % 51)
        })
        .collect()
}

/// Temporary files vigil left in `dir` (its `.vigil-` names).
fn temporaries(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.starts_with(".vigil-"))
        .collect()
}

/// A tmpfs of `size` mounted on a fresh folder, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` where this process may not mount (not root, or a container without the right).
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// A disk that fills up while a list is written: the write fails with the system's message and
/// exit status 2, the list that was there is untouched, and no temporary file is left.
#[test]
fn a_full_disk_fails_the_write_and_keeps_the_old_list() {
    let Some(disk) = SmallDisk::mount("256k") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root, or CAP_SYS_ADMIN)");
        return;
    };
    let (dir, small) = folder_with_list();
    let output = disk.path().join("out.bin");
    let out = vigil(&["list", "convert", path_str(&small), path_str(&output)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let before = fs::read(&output).unwrap();

    // 20,000 entries: about 700 kB in binary, more than the disk holds.
    let large = dir.path().join("large.txt");
    fs::write(&large, generated_list(20_000, 1)).unwrap();
    for to in ["binary", "text"] {
        let out = vigil(&[
            "list",
            "convert",
            path_str(&large),
            path_str(&output),
            "--to",
            to,
        ]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{to}: {stderr}");
        assert!(stderr.contains("No space left on device"), "{to}: {stderr}");
        assert_eq!(fs::read(&output).unwrap(), before, "{to}");
        assert_eq!(names(disk.path()), ["out.bin"], "{to}");
    }
}

/// A writer killed with SIGKILL (no chance to clean up) never leaves the destination half
/// written: it is only ever replaced by a rename of a complete file. What remains is a hidden
/// `.vigil-` temporary file beside it.
#[test]
fn a_writer_killed_outright_leaves_the_old_list_whole() {
    let (dir, list) = folder_with_list();
    let output = dir.path().join("out.bin");
    let out = vigil(&["list", "convert", path_str(&list), path_str(&output)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let before = fs::read(&output).unwrap();
    // The list is read from a FIFO that nobody writes: the convert waits with its output open.
    let input = dir.path().join("input");
    mkfifo(&input);
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["list", "convert", path_str(&input), path_str(&output)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn vigil");
    let started = Instant::now();
    while temporaries(dir.path()).is_empty() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("no temporary output file appeared while the input was read");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("wait for vigil");
    assert_eq!(fs::read(&output).unwrap(), before);
    let back = vigil(&["list", "info", path_str(&output)]);
    assert!(text(&back.stdout).contains("entries: 2"));
    assert_eq!(temporaries(dir.path()).len(), 1);
}

/// Two writers of one list at once: the list is, whole, what one or the other wrote, never a
/// mix, and neither leaves a temporary file.
#[test]
fn two_writers_never_mix_their_lists() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    let mut inputs = Vec::new();
    for seed in [1, 2] {
        let input = dir.path().join(format!("in{seed}.txt"));
        fs::write(&input, generated_list(50_000, seed)).unwrap();
        let alone = dir.path().join(format!("alone{seed}.bin"));
        let out = vigil(&["list", "convert", path_str(&input), path_str(&alone)]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        expected.push(fs::read(&alone).unwrap());
        inputs.push(input);
    }
    let output = dir.path().join("shared.bin");
    for round in 0..8 {
        let writers: Vec<_> = inputs
            .iter()
            .map(|input| {
                Command::new(env!("CARGO_BIN_EXE_vigil"))
                    .args(["list", "convert", path_str(input), path_str(&output)])
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn vigil")
            })
            .collect();
        for writer in writers {
            let done = writer.wait_with_output().expect("wait for vigil");
            assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
        }
        let written = fs::read(&output).unwrap();
        assert!(
            written == expected[0] || written == expected[1],
            "round {round}: the list is neither writer's ({} bytes)",
            written.len()
        );
        assert!(temporaries(dir.path()).is_empty(), "round {round}");
    }
}
