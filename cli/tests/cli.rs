//! End-to-end tests of the `vigil` binary.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::cargo_bin_cmd;
use vigil::decode::{DecodeOptions, decode_file};

const AAA_ORIG_HASH: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

/// A file of the shared reference data, or `None` after printing why the test skips. Under
/// `CI=true` missing data is a failure, never a skip.
fn reference_file(test: &str, relative: &str) -> Option<PathBuf> {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference"
    ))
    .join(relative);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: {} is missing and CI=true: this test must run in CI",
        path.display()
    );
    eprintln!(
        "{test}: skipped: {} not found beside the checkout",
        path.display()
    );
    None
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// A smooth colour pattern with some structure, so that its hash has high quality.
fn write_png(path: &Path, seed: u32) {
    let image = image::RgbImage::from_fn(96, 80, |x, y| {
        let v = (x * 3 + y * 2 + seed * 17) % 256;
        let w = ((x / 8 + y / 8 + seed) % 2) * 120;
        image::Rgb([v as u8, w as u8, ((x * y + seed) % 256) as u8])
    });
    image.save(path).expect("write test PNG");
}

/// What the library says the `hash,quality` of `path` is.
fn library_hash(path: &Path) -> (String, u8) {
    let image = decode_file(path, &DecodeOptions::default()).expect("decode");
    let pdq = vigil::hash(&image.frame().expect("frame"));
    (pdq.hash.to_string(), pdq.quality)
}

/// A tree: `a.png`, `b/c.PNG` (images), `bad.png` (corrupt), `notes.txt` (not an image).
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        write_png(&dir.path().join("a.png"), 1);
        std::fs::create_dir(dir.path().join("b")).expect("mkdir");
        // Saved as PNG under an upper-case extension: `image` picks the format from the name.
        write_png(&dir.path().join("b/c.png"), 2);
        std::fs::rename(dir.path().join("b/c.png"), dir.path().join("b/c.PNG")).expect("rename");
        std::fs::write(dir.path().join("bad.png"), b"\x89PNG\r\n\x1a\nnot really").expect("write");
        std::fs::write(dir.path().join("notes.txt"), b"not an image").expect("write");
        Tree { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The hashed files, in walk order.
    fn images(&self) -> [PathBuf; 2] {
        [self.root().join("a.png"), self.root().join("b/c.PNG")]
    }
}

/// `--exif` turns an EXIF-rotated photo back upright: its hash is then near the reference's
/// with orientation applied, and far from it without.
#[test]
fn exif_flag_applies_the_orientation_tag() {
    let Some(path) = reference_file(
        "exif_flag_applies_the_orientation_tag",
        "pdq/reg-test-input/exif-rotn/exif-rotn-6.jpg",
    ) else {
        return;
    };
    let upright: vigil::Hash256 =
        "55d1fbab9c4d73ec82727ccd013a4c1331fcc203a8cddfc0a63b35f4401d0fe9"
            .parse()
            .unwrap();
    let hash_with = |flags: &[&str]| -> vigil::Hash256 {
        let output = cargo_bin_cmd!("vigil")
            .arg("hash")
            .args(flags)
            .arg(&path)
            .output()
            .expect("run");
        assert!(output.status.success(), "{}", stderr_of(&output));
        stdout_of(&output)[..64].parse().expect("hash")
    };
    assert!(hash_with(&["--exif"]).distance(&upright) <= 10);
    assert!(
        hash_with(&[]).distance(&upright) > 64,
        "EXIF is ignored by default"
    );
}

#[test]
fn reference_png_matches_the_reference_line() {
    let Some(path) = reference_file(
        "reference_png_matches_the_reference_line",
        "pdq-pixels/bridge-mods/aaa-orig.png",
    ) else {
        return;
    };
    let output = cargo_bin_cmd!("vigil")
        .arg("hash")
        .arg(&path)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        stdout_of(&output),
        format!("{AAA_ORIG_HASH},100,{}\n", path.display())
    );
}

#[test]
fn directory_walk_skips_non_images_and_reports_corrupt_files() {
    let tree = Tree::new();
    let output = cargo_bin_cmd!("vigil")
        .arg("hash")
        .arg(tree.root())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let expected: String = tree
        .images()
        .iter()
        .map(|path| {
            let (hash, quality) = library_hash(path);
            format!("{hash},{quality},{}\n", path.display())
        })
        .collect();
    assert_eq!(stdout_of(&output), expected);
    let stderr = stderr_of(&output);
    let bad = tree.root().join("bad.png");
    assert!(
        stderr.starts_with(&format!("vigil: {}: ", bad.display())),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("notes.txt"), "{stderr}");
}

#[test]
fn all_good_files_exit_zero() {
    let tree = Tree::new();
    let [a, c] = tree.images();
    cargo_bin_cmd!("vigil")
        .arg("hash")
        .arg(&a)
        .arg(&c)
        .assert()
        .success()
        .stderr("");
}

#[test]
fn named_files_are_attempted_whatever_their_extension() {
    let tree = Tree::new();
    let renamed = tree.root().join("image.dat");
    std::fs::copy(tree.root().join("a.png"), &renamed).expect("copy");
    let output = cargo_bin_cmd!("vigil")
        .arg("hash")
        .arg(&renamed)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let (hash, quality) = library_hash(&tree.root().join("a.png"));
    assert_eq!(
        stdout_of(&output),
        format!("{hash},{quality},{}\n", renamed.display())
    );
}

#[test]
fn json_lines_parse_and_include_errors() {
    let tree = Tree::new();
    let output = cargo_bin_cmd!("vigil")
        .args(["hash", "--json"])
        .arg(tree.root())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let lines: Vec<serde_json::Value> = stdout_of(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    let [a, c] = tree.images();
    for (value, path) in [(&lines[0], &a), (&lines[1], &c)] {
        let (hash, quality) = library_hash(path);
        assert_eq!(value["path"], path.to_string_lossy().as_ref());
        assert_eq!(value["hash"], hash.as_str());
        assert_eq!(value["quality"], quality);
        assert!(value.get("dihedral").is_none());
        assert!(value.get("error").is_none());
    }
    let bad = tree.root().join("bad.png");
    assert_eq!(lines[2]["path"], bad.to_string_lossy().as_ref());
    assert!(lines[2]["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(lines[2].get("hash").is_none());
    // Errors are still reported to humans on stderr.
    assert!(stderr_of(&output).contains(&format!("vigil: {}: ", bad.display())));
}

#[test]
fn json_dihedral_object_is_keyed_by_orientation_name() {
    let tree = Tree::new();
    let [a, _] = tree.images();
    let output = cargo_bin_cmd!("vigil")
        .args(["hash", "--json", "--dihedral"])
        .arg(&a)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let value: serde_json::Value =
        serde_json::from_str(stdout_of(&output).trim_end()).expect("JSON");
    let image = decode_file(&a, &DecodeOptions::default()).expect("decode");
    let all = vigil::hash_dihedral(&image.frame().expect("frame"));
    assert_eq!(value["hash"], all.hashes[0].to_string().as_str());
    assert_eq!(value["quality"], all.quality);
    let object = value["dihedral"].as_object().expect("dihedral object");
    assert_eq!(object.len(), 8);
    for orientation in vigil::Dihedral::ALL {
        assert_eq!(
            object[orientation.name()],
            all.get(orientation).to_string().as_str()
        );
    }
}

#[test]
fn dihedral_text_has_ten_fields() {
    let tree = Tree::new();
    let [a, _] = tree.images();
    let output = cargo_bin_cmd!("vigil")
        .args(["hash", "--dihedral"])
        .arg(&a)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = stdout_of(&output);
    let fields: Vec<&str> = stdout.trim_end().split(',').collect();
    assert_eq!(fields.len(), 10, "{stdout}");
    let (hash, quality) = library_hash(&a);
    assert_eq!(fields[0], hash);
    assert!(fields[..8].iter().all(|f| f.len() == 64));
    assert_eq!(fields[8], quality.to_string());
    assert_eq!(fields[9], a.display().to_string());
}

#[test]
fn reference_dihedral_matches_the_reference_line() {
    let test = "reference_dihedral_matches_the_reference_line";
    let (Some(path), Some(csv)) = (
        reference_file(test, "pdq-pixels/bridge-mods/aaa-orig.png"),
        reference_file(test, "pdq-pixels/expected-pdqhash-dihedral.csv"),
    ) else {
        return;
    };
    let expected = std::fs::read_to_string(csv).expect("read csv");
    let line = expected
        .lines()
        .find(|l| l.ends_with(",bridge-mods/aaa-orig.png"))
        .expect("aaa-orig.png in the reference csv");
    let prefix = line.trim_end_matches("bridge-mods/aaa-orig.png");
    let output = cargo_bin_cmd!("vigil")
        .args(["hash", "--dihedral"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output), format!("{prefix}{}\n", path.display()));
}

#[test]
fn missing_file_exits_2_naming_the_path() {
    let tree = Tree::new();
    let missing = tree.root().join("no-such-file.jpg");
    let [a, _] = tree.images();
    assert_fails_alone(&missing, &a);
}

/// `vigil hash BAD GOOD`: exit 2, an error naming BAD first on stderr, and GOOD still hashed.
fn assert_fails_alone(bad: &Path, good: &Path) {
    let output = cargo_bin_cmd!("vigil")
        .arg("hash")
        .arg(bad)
        .arg(good)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with(&format!("vigil: {}: ", bad.display())),
        "{stderr}"
    );
    assert_eq!(stdout_of(&output).lines().count(), 1);
}

#[test]
fn no_path_is_a_usage_error() {
    let output = cargo_bin_cmd!("vigil").arg("hash").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("Usage"));
}

#[test]
fn help_documents_formats_and_exit_status() {
    let output = cargo_bin_cmd!("vigil")
        .args(["hash", "--help"])
        .output()
        .expect("run");
    assert!(output.status.success());
    let help = stdout_of(&output);
    for needle in [
        "--dihedral",
        "--json",
        "--exif",
        "--cpp-cli",
        "Examples",
        "exit status",
    ] {
        assert!(help.contains(needle), "help lacks {needle:?}:\n{help}");
    }
}

#[test]
fn broken_pipe_exits_quietly() {
    let tree = Tree::new();
    let [a, _] = tree.images();
    // ~100 bytes a line: far more than a pipe buffer holds, so vigil must block writing and then
    // meet the closed pipe, whatever the scheduling.
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("hash")
        .args(std::iter::repeat_n(&a, 3000))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read a line");
    assert!(first.ends_with(&format!(",{}\n", a.display())), "{first}");
    // The reader is dropped here, closing the pipe.
    let output = child.wait_with_output().expect("wait");
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn output_keeps_input_order_across_chunks() {
    let tree = Tree::new();
    let [a, c] = tree.images();
    // More files than one parallel chunk, alternating so that any reordering shows.
    let inputs: Vec<&PathBuf> = (0..150).map(|i| if i % 3 == 0 { &c } else { &a }).collect();
    let output = cargo_bin_cmd!("vigil")
        .arg("hash")
        .args(&inputs)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let line_a = {
        let (hash, quality) = library_hash(&a);
        format!("{hash},{quality},{}", a.display())
    };
    let line_c = {
        let (hash, quality) = library_hash(&c);
        format!("{hash},{quality},{}", c.display())
    };
    let expected: Vec<&str> = inputs
        .iter()
        .map(|p| {
            if *p == &c {
                line_c.as_str()
            } else {
                line_a.as_str()
            }
        })
        .collect();
    assert_eq!(stdout_of(&output).lines().collect::<Vec<_>>(), expected);
}

/// CRC-32 (IEEE), as PNG chunks carry.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    chunk.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    chunk
}

#[test]
fn oversized_image_is_refused_without_decoding() {
    let tree = Tree::new();
    // A valid PNG header claiming 40000x40000 RGB (4.8 GB of pixels) and no real data.
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&40_000u32.to_be_bytes());
    ihdr.extend_from_slice(&40_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    let bomb = tree.root().join("bomb.png");
    std::fs::write(&bomb, png).expect("write");
    let [a, _] = tree.images();
    assert_fails_alone(&bomb, &a);
}

/// A JPEG cut in half is refused as truncated (it used to hash, 58 bits from the whole file's
/// hash, at quality 100), and an empty file says it is empty; the other file is still hashed.
#[test]
fn truncated_and_empty_files_fail_alone_saying_why() {
    let tree = Tree::new();
    let [a, _] = tree.images();
    let image = image::open(&a).expect("open");
    let whole = tree.root().join("whole.jpg");
    image.save(&whole).expect("write JPEG");
    let bytes = std::fs::read(&whole).expect("read");
    for (name, content, message) in [
        ("half.jpg", &bytes[..bytes.len() / 2], "truncated file"),
        ("no-end.jpg", &bytes[..bytes.len() - 2], "truncated file"),
        ("empty.png", &[][..], "empty file (0 bytes)"),
    ] {
        let bad = tree.root().join(name);
        std::fs::write(&bad, content).expect("write");
        assert_fails_alone(&bad, &a);
        let output = cargo_bin_cmd!("vigil")
            .arg("hash")
            .arg(&bad)
            .output()
            .expect("run");
        assert!(
            stderr_of(&output).contains(message),
            "{name}: {}",
            stderr_of(&output)
        );
    }
}

/// PPM, PGM, PAM, QOI, TGA and ICO files (the first three as `ffmpeg -f image2` writes frames)
/// are walked and hash as the PNG of the same pixels.
#[test]
fn pnm_qoi_tga_and_ico_files_are_walked_and_hashed() {
    let tree = Tree::new();
    let [a, _] = tree.images();
    let rgb = image::open(&a).expect("open").to_rgb8();
    let dir = tree.root().join("formats");
    std::fs::create_dir(&dir).expect("mkdir");
    let names = ["a.ppm", "b.pam", "c.qoi", "d.tga", "e.ico"];
    for name in names {
        let image = if name.ends_with(".ico") || name.ends_with(".pam") {
            image::DynamicImage::ImageRgba8(image::DynamicImage::ImageRgb8(rgb.clone()).to_rgba8())
        } else {
            image::DynamicImage::ImageRgb8(rgb.clone())
        };
        image.save(dir.join(name)).expect("write");
    }
    let grey = image::DynamicImage::ImageRgb8(rgb.clone()).to_luma8();
    grey.save(dir.join("f.pgm")).expect("write PGM");
    grey.save(dir.join("f.png")).expect("write PNG");
    let output = cargo_bin_cmd!("vigil")
        .arg("hash")
        .arg(&dir)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let (rgb_hash, _) = library_hash(&a);
    let (grey_hash, _) = library_hash(&dir.join("f.png"));
    let stdout = stdout_of(&output);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), names.len() + 2, "{stdout}");
    for line in lines {
        let expected = if line.ends_with("f.pgm") || line.ends_with("f.png") {
            &grey_hash
        } else {
            &rgb_hash
        };
        assert!(line.starts_with(expected.as_str()), "{line}");
    }
}

/// Without the `avif` / `heic` features, such files are refused with a message naming the
/// feature (and directory walks take them, so that they are not passed over in silence).
#[cfg(not(any(feature = "avif", feature = "heic")))]
#[test]
fn avif_and_heic_without_their_features_name_them() {
    let tree = Tree::new();
    let [a, _] = tree.images();
    for (name, brand, message) in [
        (
            "photo.avif",
            b"avif",
            "AVIF support is not built in; build with --features avif",
        ),
        (
            "photo.heic",
            b"heic",
            "HEIC support is not built in; build with --features heic",
        ),
    ] {
        let mut bytes = b"\0\0\0\x18ftyp".to_vec();
        bytes.extend_from_slice(brand);
        bytes.extend_from_slice(b"\0\0\0\0mif1miaf\0\0\0\x08meta");
        let path = tree.root().join(name);
        std::fs::write(&path, bytes).expect("write");
        assert_fails_alone(&path, &a);
        let output = cargo_bin_cmd!("vigil")
            .arg("hash")
            .arg(&path)
            .output()
            .expect("run");
        assert!(
            stderr_of(&output).contains(message),
            "{}",
            stderr_of(&output)
        );
    }
    let output = cargo_bin_cmd!("vigil")
        .arg("hash")
        .arg(tree.root())
        .output()
        .expect("run");
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("photo.avif") && stderr.contains("photo.heic"),
        "{stderr}"
    );
}

/// A 17000×1000 panorama (Pillow hashes it) is over vigil's 16384-pixel side: the error names
/// the size and the limit, and `--cpp-cli` (which shrinks it to 512×512 first) hashes it.
#[test]
fn a_panorama_over_the_side_limit_names_it_and_hashes_with_cpp_cli() {
    let tree = Tree::new();
    let path = tree.root().join("panorama.png");
    image::GrayImage::from_fn(17000, 1000, |x, y| {
        image::Luma([((x / 40) ^ (y / 40)) as u8])
    })
    .save(&path)
    .expect("write");
    let output = cargo_bin_cmd!("vigil")
        .arg("hash")
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("17000x1000") && stderr.contains("16384"),
        "{stderr}"
    );
    let output = cargo_bin_cmd!("vigil")
        .args(["hash", "--cpp-cli"])
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output).lines().count(), 1);
}
