//! What a user meets: progress on a terminal, an image on standard input, bounded `-j`, names
//! printed without loss, clear messages, `vigil hash` output read back as lists, and options
//! that do not apply refused.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::cargo_bin_cmd;
use common::{path_str, text, vigil};

/// A PNG with enough structure for a high quality.
fn write_png(path: &Path, seed: u32) {
    let image = image::RgbImage::from_fn(96, 80, |x, y| {
        let v = (x * 3 + y * 2 + seed * 17) % 256;
        let w = ((x / 8 + y / 8 + seed) % 2) * 120;
        image::Rgb([v as u8, w as u8, ((x * y + seed) % 256) as u8])
    });
    image
        .save_with_format(path, image::ImageFormat::Png)
        .expect("write test PNG");
}

fn hash_line(path: &Path) -> String {
    let out = vigil(&["hash", "--backend", "cpu", path_str(path)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// Runs `vigil ARGS` on a pseudo-terminal (util-linux `script`) with `TERM=term`; what the
/// terminal showed. `None` (after saying why) where `script` is missing, outside CI.
fn on_a_terminal(dir: &Path, term: &str, args: &[&str]) -> Option<String> {
    let script = Command::new("script").arg("--version").output();
    if !script.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "util-linux `script` is missing and CI=true"
        );
        eprintln!("skipped: util-linux `script` not found");
        return None;
    }
    let mut command = format!("'{}'", env!("CARGO_BIN_EXE_vigil"));
    for arg in args {
        command.push_str(&format!(" '{arg}'"));
    }
    let out = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .current_dir(dir)
        .env("TERM", term)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("run script");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Ten images, the ninth a FIFO that a thread fills (and so errs) only after 1.5 s, so that the
/// run lasts past the second after which progress is drawn.
fn slow_tree() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for i in 1..=10 {
        let name = format!("{i}.png");
        if i == 9 {
            let status = Command::new("mkfifo")
                .arg(dir.path().join(&name))
                .status()
                .unwrap();
            assert!(status.success());
        } else {
            write_png(&dir.path().join(&name), i);
        }
        names.push(name);
    }
    let fifo = dir.path().join("9.png");
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        // However many times vigil opens it; the thread ends with the test process.
        while let Ok(mut f) = fs::OpenOptions::new().write(true).open(&fifo) {
            let _ = f.write_all(b"\x89PNG\r\n\x1a\n");
        }
    });
    (dir, names)
}

#[test]
#[cfg(unix)]
fn hash_shows_progress_on_a_terminal_only() {
    let (dir, names) = slow_tree();
    let mut args = vec!["hash", "-j", "1", "--backend", "cpu"];
    args.extend(names.iter().map(String::as_str));
    let Some(shown) = on_a_terminal(dir.path(), "xterm", &args) else {
        return;
    };
    assert!(
        shown.contains("vigil hash") && shown.contains("10 files") && shown.contains("files/s"),
        "{shown:?}"
    );
    assert!(shown.contains("1 errors"), "{shown:?}");

    let (dir, names) = slow_tree();
    let mut args = vec!["hash", "-j", "1", "--backend", "cpu"];
    args.extend(names.iter().map(String::as_str));
    let dumb = on_a_terminal(dir.path(), "dumb", &args).unwrap();
    assert!(!dumb.contains("files/s"), "TERM=dumb: {dumb:?}");

    let (dir, names) = slow_tree();
    let out = cargo_bin_cmd!("vigil")
        .args(&args[..5])
        .args(&names)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!text(&out.stderr).contains("files/s"), "not a terminal");
}

#[test]
fn hash_reads_one_image_from_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("a.png");
    write_png(&png, 3);
    let expected = hash_line(&png).replace(path_str(&png), "-");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["hash", "--backend", "cpu", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&fs::read(&png).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), expected);

    let empty = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["hash", "--backend", "cpu", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(empty.status.code(), Some(2));
    assert!(text(&empty.stderr).contains("vigil: -: standard input is empty"));
}

#[test]
fn threads_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("a.png");
    write_png(&png, 1);
    for command in ["hash", "match"] {
        let mut args = vec![command, "-j", "5000", path_str(&png)];
        if command == "match" {
            args.extend(["--list", path_str(&png)]);
        }
        let started = std::time::Instant::now();
        let out = vigil(&args);
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert!(
            text(&out.stderr).contains("0..=1024"),
            "{}",
            text(&out.stderr)
        );
        assert!(started.elapsed().as_secs() < 5);
    }
    let out = vigil(&["hash", "--backend", "cpu", "-j", "3", path_str(&png)]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
#[cfg(unix)]
fn names_print_without_loss_and_quoted_the_same_everywhere() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let ff = dir.path().join(std::ffi::OsStr::from_bytes(b"a\xff.png"));
    let fe = dir.path().join(std::ffi::OsStr::from_bytes(b"a\xfe.png"));
    let comma = dir.path().join("b,c.png");
    for (i, path) in [&ff, &fe, &comma].into_iter().enumerate() {
        write_png(path, 7 + i as u32);
    }
    let root = path_str(dir.path());
    let out = cargo_bin_cmd!("vigil")
        .args(["hash", "--backend", "cpu"])
        .args([&ff, &fe, &comma])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert!(
        lines[0].ends_with(&format!(",\"{root}/a\\xFF.png\"")),
        "{lines:?}"
    );
    assert!(
        lines[1].ends_with(&format!(",\"{root}/a\\xFE.png\"")),
        "{lines:?}"
    );
    assert!(
        lines[2].ends_with(&format!(",\"{root}/b,c.png\"")),
        "{lines:?}"
    );

    let json = cargo_bin_cmd!("vigil")
        .args(["hash", "--backend", "cpu", "--json"])
        .args([&ff, &fe])
        .output()
        .unwrap();
    let values: Vec<serde_json::Value> = text(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(values[0]["path"], format!("{root}/a\\xFF.png"));
    assert_eq!(values[1]["path"], format!("{root}/a\\xFE.png"));
    assert_eq!(values[0]["path_escaped"], true);

    // `vigil match` prints the query the same way, and reads the quoted names back as ids.
    let list = dir.path().join("list.txt");
    fs::write(&list, &out.stdout).unwrap();
    let matched = cargo_bin_cmd!("vigil")
        .args(["match", "--backend", "cpu", "--threshold", "0", "--list"])
        .arg(&list)
        .args([&ff, &comma])
        .output()
        .unwrap();
    assert_eq!(matched.status.code(), Some(0), "{}", text(&matched.stderr));
    let list_field = path_str(&list);
    assert_eq!(
        text(&matched.stdout),
        format!(
            "\"{root}/a\\xFF.png\",0,{list_field},{root}/a\\xFF.png\n\
             \"{root}/b,c.png\",0,{list_field},\"{root}/b,c.png\"\n"
        )
    );

    // Messages name the files without loss too.
    fs::write(&ff, "not an image").unwrap();
    fs::write(&fe, "not an image").unwrap();
    let failed = cargo_bin_cmd!("vigil")
        .args(["hash", "--backend", "cpu"])
        .args([&ff, &fe])
        .output()
        .unwrap();
    let stderr = text(&failed.stderr);
    assert!(
        stderr.contains(&format!("vigil: \"{root}/a\\xFF.png\": ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("vigil: \"{root}/a\\xFE.png\": ")),
        "{stderr}"
    );
}

#[test]
fn decoder_messages_end_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // A JPEG that stops after its first marker: the decoder's message ends with a line break.
    let jpeg = dir.path().join("cut.jpg");
    fs::write(&jpeg, b"\xff\xd8\xff\xe0\0\0\0\0\0\0\0\0\0\0\0\0").unwrap();
    let out = vigil(&["hash", "--backend", "cpu", path_str(&jpeg)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!("vigil: {}: ", path_str(&jpeg))),
        "{stderr}"
    );
    assert!(!stderr.contains("\\n"), "{stderr:?}");
    assert!(!stderr.trim_end().ends_with('"'), "{stderr:?}");
}

#[test]
fn binary_and_utf16_lists_say_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("a.png");
    write_png(&png, 1);
    let utf16 = dir.path().join("utf16.txt");
    let text16: Vec<u8> = std::iter::once(0xFEFF_u16)
        .chain("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n".encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    fs::write(&utf16, text16).unwrap();
    for (list, says) in [
        (&utf16, "looks like a UTF-16 file"),
        (&png, "looks like a binary"),
    ] {
        let out = vigil(&["match", "--list", path_str(list), path_str(&png)]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(says) && stderr.contains("not a hash list"),
            "{stderr}"
        );
        let info = vigil(&["list", "info", path_str(list)]);
        assert!(text(&info.stderr).contains(says));
    }
}

#[test]
fn hash_output_reads_back_as_a_list() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("a.png");
    write_png(&png, 5);
    for (flags, format) in [
        (&["--dihedral"][..], "dihedral"),
        (&["--json"][..], "json"),
        (&["--json", "--dihedral"][..], "json"),
        (&[][..], "hash-quality"),
    ] {
        let out = cargo_bin_cmd!("vigil")
            .args(["hash", "--backend", "cpu"])
            .args(flags)
            .arg(&png)
            .output()
            .unwrap();
        let list: PathBuf = dir.path().join(format!("list-{}.txt", flags.join("")));
        fs::write(&list, &out.stdout).unwrap();
        let info = vigil(&["list", "info", path_str(&list)]);
        assert_eq!(
            info.status.code(),
            Some(0),
            "{flags:?}: {}",
            text(&info.stderr)
        );
        assert!(text(&info.stdout).contains(&format!("format: {format}\nentries: 1\n")));
        let matched = vigil(&[
            "match",
            "--backend",
            "cpu",
            "--list",
            path_str(&list),
            path_str(&png),
        ]);
        assert_eq!(
            matched.status.code(),
            Some(0),
            "{flags:?}: {}",
            text(&matched.stderr)
        );
        assert!(
            text(&matched.stdout).ends_with(&format!(
                ",0,{},{}\n",
                path_str(&list),
                path_str(&png)
            )),
            "{}",
            text(&matched.stdout)
        );
    }
}

#[test]
fn match_refuses_image_options_with_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    fs::write(
        &list,
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n",
    )
    .unwrap();
    for flag in ["--exif", "--cpp-cli", "--dihedral"] {
        let out = vigil(&[
            "match",
            "--list",
            path_str(&list),
            "--hashes",
            path_str(&list),
            flag,
        ]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("cannot be used with") && stderr.contains(flag),
            "{stderr}"
        );
    }
    let out = vigil(&[
        "match",
        "--list",
        path_str(&list),
        "--hashes",
        path_str(&list),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
