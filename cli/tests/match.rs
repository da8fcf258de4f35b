//! End-to-end tests of `vigil match` and `vigil list`.

mod common;

use std::path::{Path, PathBuf};

use vigil::Hash256;
use vigil::decode::{DecodeOptions, decode_file};

use common::{path_str, text, vigil};

/// A square image with diagonal structure (so its rotations hash differently), `side` pixels.
fn write_image(path: &Path, side: u32, seed: u32) {
    let image = image::GrayImage::from_fn(side, side, |x, y| {
        let ramp = (x * 5 + y * 2 + seed * 31) % 200;
        let blob = if (x / 9 + 2 * (y / 13) + seed).is_multiple_of(3) {
            55
        } else {
            0
        };
        image::Luma([(ramp + blob) as u8])
    });
    image.save(path).expect("write test image");
}

fn library_hash(path: &Path) -> (Hash256, u8) {
    let image = decode_file(path, &DecodeOptions::default()).expect("decode");
    let pdq = vigil::hash(&image.frame().expect("frame"));
    (pdq.hash, pdq.quality)
}

/// `hash` with its first `bits` bits (of byte order) flipped.
fn flipped(hash: &Hash256, bits: usize) -> Hash256 {
    let mut bytes = *hash.as_bytes();
    for bit in 0..bits {
        bytes[bit / 8] ^= 1 << (bit % 8);
    }
    Hash256::from_bytes(bytes)
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write fixture");
        path
    }
}

#[test]
fn an_image_matches_its_listed_hash_and_exit_status_says_so() {
    let fx = Fixture::new();
    let image = fx.path("upload.png");
    write_image(&image, 96, 1);
    let (hash, quality) = library_hash(&image);
    assert!(quality >= 50, "fixture quality {quality}");
    let list = fx.write(
        "known.txt",
        &format!("{hash},100,case-17\n{},100,other\n", flipped(&hash, 100)),
    );
    let output = vigil(&["match", "--list", path_str(&list), path_str(&image)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!("{},0,{},case-17\n", image.display(), list.display())
    );

    // A file name cannot add a line or shift the fields: it is quoted and escaped.
    let forged = fx.path("x.png\nffff,0,known.txt,case-17");
    std::fs::copy(&image, &forged).expect("copy");
    let output = vigil(&["match", "--list", path_str(&list), path_str(&forged)]);
    let printed = text(&output.stdout);
    assert_eq!(printed.lines().count(), 1, "{printed}");
    assert!(
        printed.starts_with('"') && printed.contains("x.png\\nffff"),
        "{printed}"
    );

    let other = fx.path("other.png");
    write_image(&other, 96, 7);
    let output = vigil(&["match", "--list", path_str(&list), path_str(&other)]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stdout), "");
}

#[test]
fn dihedral_matches_a_rotated_copy_and_names_the_orientation() {
    let fx = Fixture::new();
    let original = fx.path("original.png");
    write_image(&original, 128, 3);
    let rotated = fx.path("rotated.png");
    let pixels = image::open(&original).expect("reopen");
    image::imageops::rotate90(&pixels)
        .save(&rotated)
        .expect("write rotated");
    let (hash, _) = library_hash(&original);
    let list = fx.write("known.txt", &format!("{hash}\n"));
    let plain = vigil(&["match", "--list", path_str(&list), path_str(&rotated)]);
    assert_eq!(plain.status.code(), Some(1), "{}", text(&plain.stdout));
    let output = vigil(&[
        "match",
        "--dihedral",
        "--json",
        "--list",
        path_str(&list),
        path_str(&rotated),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    assert_eq!(line["type"], "match");
    assert_eq!(line["id"], "1");
    assert!(line["distance"].as_u64().unwrap() <= 31);
    let orientation = line["orientation"].as_str().unwrap();
    assert!(
        orientation == "rotate90" || orientation == "rotate270",
        "{orientation}"
    );
}

#[test]
fn thresholds_are_inclusive_global_and_per_list() {
    let fx = Fixture::new();
    let query: Hash256 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
        .parse()
        .unwrap();
    let list = fx.write(
        "known.txt",
        &format!("{}\n{}\n", flipped(&query, 31), flipped(&query, 32)),
    );
    let queries = fx.write("queries.txt", &format!("{query}\n"));
    let run = |list_arg: &str, extra: &[&str]| {
        let mut args = vec!["match", "--hashes", path_str(&queries), "--list", list_arg];
        args.extend_from_slice(extra);
        let output = vigil(&args);
        (output.status.code(), text(&output.stdout))
    };
    let name = path_str(&list);
    for index in ["auto", "flat", "mih"] {
        assert_eq!(
            run(name, &["--index", index]),
            (Some(0), format!("1,31,{name},1\n")),
            "{index}"
        );
    }
    let both = run(name, &["--threshold", "32"]).1;
    assert_eq!(both.lines().count(), 2);
    assert_eq!(run(&format!("{name}:30"), &[]), (Some(1), String::new()));
    assert_eq!(
        run(&format!("{name}:32"), &["--threshold", "0"])
            .1
            .lines()
            .count(),
        2
    );
    let refused = vigil(&[
        "match",
        "--hashes",
        path_str(&queries),
        "--list",
        name,
        "--index",
        "mih",
        "--threshold",
        "64",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("use the flat index"));
}

#[test]
fn reference_needles_match_as_brute_force_says_with_every_index() {
    let reference = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/pdq/reg-test-input"
    ));
    let (haystack, needles) = (
        reference.join("haystack.txt"),
        reference.join("needles.txt"),
    );
    if !haystack.is_file() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing and CI=true",
            haystack.display()
        );
        eprintln!("skipped: {} not found", haystack.display());
        return;
    }
    let read = |path: &Path| -> Vec<Hash256> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect()
    };
    let (hay, needle) = (read(&haystack), read(&needles));
    let mut expected = String::new();
    for (q, query) in needle.iter().enumerate() {
        let mut near: Vec<(u32, usize)> = hay
            .iter()
            .enumerate()
            .map(|(i, h)| (h.distance(query), i))
            .filter(|&(d, _)| d <= 31)
            .collect();
        near.sort();
        for (d, i) in near {
            expected.push_str(&format!("{},{d},{},{}\n", q + 1, haystack.display(), i + 1));
        }
    }
    assert!(expected.lines().count() > 100);
    for index in ["flat", "mih", "auto"] {
        let output = vigil(&[
            "match",
            "--index",
            index,
            "--list",
            path_str(&haystack),
            "--hashes",
            path_str(&needles),
        ]);
        assert_eq!(output.status.code(), Some(0));
        assert_eq!(text(&output.stdout), expected, "{index}");
    }
}

#[test]
fn low_quality_queries_and_degenerate_entries() {
    let fx = Fixture::new();
    let hash: Hash256 = "b062eb9d2ab170c0567fcb672d9a5548c5612982dd5e374a7424ebbc8b135cb5"
        .parse()
        .unwrap();
    let zero = Hash256::ZERO;
    let list = fx.write("known.txt", &format!("{hash},100,real\n{zero},100,blank\n"));
    let queries = fx.write(
        "queries.txt",
        &format!("id,hash,quality\nlow,{hash},49\nok,{hash},50\nblank,{zero},0\n"),
    );
    let args = ["match", "--json", "--list", path_str(&list), "--hashes"];
    let output = vigil(&[&args[..], &[path_str(&queries)]].concat());
    assert_eq!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("1 degenerate entries left out of matching: blank (all-zero hash)"));
    assert!(stderr.contains("low: quality 49 is under 50"), "{stderr}");
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["type"].as_str().unwrap(), l["query"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [("skipped", "low"), ("match", "ok"), ("skipped", "blank")]
    );
    assert_eq!(lines[1]["id"], "real");
    assert_eq!(lines[1]["quality"], 50);
    assert_eq!(lines[1]["threshold"], 31);
    assert_eq!(lines[1]["hash"], hash.to_string());

    let with_low = vigil(&[&args[..], &[path_str(&queries), "--include-low-quality"]].concat());
    let matched: Vec<serde_json::Value> = text(&with_low.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The all-zero query is matched now, but the all-zero entry never is.
    let queries_matched: Vec<&str> = matched
        .iter()
        .map(|l| l["query"].as_str().unwrap())
        .collect();
    assert_eq!(queries_matched, ["low", "ok"]);
}

#[test]
fn errors_exit_2_and_name_the_file_and_line() {
    let fx = Fixture::new();
    let good = fx.write("good.txt", &format!("{}\n", "ab".repeat(32)));
    let bad = fx.write("bad.txt", &format!("{}\nnot-a-hash\n", "ab".repeat(32)));
    let image = fx.path("a.png");
    write_image(&image, 64, 2);
    let output = vigil(&["match", "--list", path_str(&bad), path_str(&image)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains(&format!("{}:2: expected a hash", bad.display())),
        "{}",
        text(&output.stderr)
    );
    // An image that fails makes the status 2 even when another matched.
    let (hash, _) = library_hash(&image);
    let list = fx.write("known.txt", &format!("{hash}\n"));
    let broken = fx.write("broken.png", "not a png");
    let output = vigil(&[
        "match",
        "--list",
        path_str(&list),
        path_str(&image),
        path_str(&broken),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(text(&output.stdout).lines().count(), 1);
    assert!(text(&output.stderr).contains("broken.png"));
    // Usage errors.
    for args in [
        vec!["match", "--list", path_str(&good)],
        vec![
            "match",
            "--list",
            path_str(&good),
            "--dihedral",
            "--hashes",
            path_str(&good),
        ],
        vec!["match", path_str(&image)],
    ] {
        assert_eq!(vigil(&args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn list_convert_round_trips_and_a_damaged_binary_is_refused() {
    let fx = Fixture::new();
    let source = fx.write(
        "known.txt",
        &format!(
            "{},100,a.jpg\n{},0,b, with comma.jpg\n",
            "ab".repeat(32),
            "cd".repeat(32)
        ),
    );
    let binary = fx.path("known.bin");
    let back = fx.path("known.csv");
    let convert = vigil(&["list", "convert", path_str(&source), path_str(&binary)]);
    assert_eq!(convert.status.code(), Some(0), "{}", text(&convert.stderr));
    let convert = vigil(&["list", "convert", path_str(&binary), path_str(&back)]);
    assert_eq!(convert.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&back).unwrap(),
        format!(
            "hash,quality,id\n{},100,a.jpg\n{},0,\"b, with comma.jpg\"\n",
            "ab".repeat(32),
            "cd".repeat(32)
        )
    );
    let info = vigil(&["list", "info", path_str(&binary)]);
    assert_eq!(info.status.code(), Some(0));
    let info = text(&info.stdout);
    assert!(info.contains("format: binary\nentries: 2\n"), "{info}");
    assert!(
        // Ids are quoted as every command quotes names.
        info.contains("degenerate: 1\n  \"b, with comma.jpg\": quality 0\n"),
        "{info}"
    );

    let mut bytes = std::fs::read(&binary).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&binary, bytes).unwrap();
    let output = vigil(&[
        "match",
        "--list",
        path_str(&binary),
        "--hashes",
        path_str(&source),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("damaged binary hash list: checksum mismatch"));
    let info = vigil(&["list", "info", path_str(&fx.path("missing.bin"))]);
    assert_eq!(info.status.code(), Some(2));
}

#[test]
fn vpdq_lists_are_read() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/vpdq/expected/chair-19-sd-bar.txt"
    ));
    if !path.is_file() {
        assert!(std::env::var("CI").as_deref() != Ok("true"));
        eprintln!("skipped: {} not found", path.display());
        return;
    }
    let frames = std::fs::read_to_string(path).unwrap().lines().count();
    let info = vigil(&["list", "info", path_str(path)]);
    assert_eq!(info.status.code(), Some(0));
    assert!(text(&info.stdout).contains(&format!("format: vpdq\nentries: {frames}\n")));
    // A video's frames match themselves: frame N of the query list is entry N at distance 0.
    let output = vigil(&[
        "match",
        "--list",
        path_str(path),
        "--hashes",
        path_str(path),
        "--threshold",
        "0",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let first = text(&output.stdout).lines().next().unwrap().to_owned();
    assert_eq!(first, format!("0,0,{},0", path.display()));
}

/// The demo list `scripts/demo` checks golden/inputs against stays in step with the inputs: it
/// matches a near duplicate (3 bits) and, with `--dihedral`, a rotated copy, and nothing else.
#[test]
fn bundled_demo_list_matches_its_two_inputs() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let list = format!("{root}/golden/demo-list.csv");
    let inputs = format!("{root}/golden/inputs");
    let output = vigil(&["match", "--list", &list, "--dihedral", &inputs]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let matches: Vec<Vec<String>> = text(&output.stdout)
        .lines()
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect();
    let summary: Vec<(&str, &str, &str, &str)> = matches
        .iter()
        .map(|f| {
            let file = f[0].rsplit('/').next().unwrap_or_default();
            (file, f[1].as_str(), f[2].as_str(), f[4].as_str())
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("photo-320x240-rgb8.png", "3", "original", "demo-0001"),
            ("text-400x300-luma8.png", "0", "rotate90", "demo-0002"),
        ]
    );
}
