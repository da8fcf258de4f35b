//! End-to-end tests of robust queries: `vigil match --robust`, `vigil hash --variants` and the
//! `vigil robustness` evaluation on Meta's reference photos (a small bound, in the test command).

mod common;

use std::path::{Path, PathBuf};

use common::{path_str, text, vigil};

fn reference_photos() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/pdq"
    ))
}

/// A photo of Meta's set, and the same photo letterboxed into a square with black bars.
fn photo_and_letterboxed(dir: &Path) -> (PathBuf, PathBuf) {
    let source = reference_photos().join("bridge-mods/aaa-orig.jpg");
    let photo = image::open(&source).expect("reference photo").to_rgb8();
    let (w, h) = photo.dimensions();
    let side = w.max(h);
    let mut boxed = image::RgbImage::new(side, side);
    image::imageops::overlay(
        &mut boxed,
        &photo,
        i64::from((side - w) / 2),
        i64::from((side - h) / 2),
    );
    let boxed_path = dir.join("boxed.png");
    boxed.save(&boxed_path).expect("write letterboxed copy");
    (source, boxed_path)
}

#[test]
fn a_letterboxed_copy_is_found_by_a_robust_query_and_not_by_a_plain_one() {
    let dir = tempfile::tempdir().unwrap();
    let (photo, boxed) = photo_and_letterboxed(dir.path());
    let list = dir.path().join("known.csv");
    let hashed = vigil(&["hash", path_str(&photo)]);
    std::fs::write(&list, &hashed.stdout).unwrap();

    let plain = vigil(&["match", "--list", path_str(&list), path_str(&boxed)]);
    assert_eq!(
        plain.status.code(),
        Some(1),
        "a plain query misses it: {}",
        text(&plain.stdout)
    );

    let robust = vigil(&[
        "match",
        "--robust",
        "--json",
        "--list",
        path_str(&list),
        path_str(&boxed),
    ]);
    assert_eq!(robust.status.code(), Some(0), "{}", text(&robust.stderr));
    let line: serde_json::Value = serde_json::from_slice(&robust.stdout).expect("one JSON line");
    assert_eq!(line["type"], "match");
    assert!(line["distance"].as_u64().unwrap() <= 31);
    assert!(
        line["variant"].as_str().unwrap().starts_with("region"),
        "{line}"
    );

    let text_out = vigil(&[
        "match",
        "--robust",
        "--list",
        path_str(&list),
        path_str(&boxed),
    ]);
    let fields: Vec<String> = text(&text_out.stdout)
        .trim()
        .split(',')
        .map(str::to_owned)
        .collect();
    assert_eq!(
        fields.len(),
        6,
        "QUERY,DISTANCE,ORIENTATION,VARIANT,LIST,ID"
    );
    assert_eq!(fields[2], "original");
    assert!(fields[3].starts_with("region"));
}

#[test]
fn hash_variants_lists_the_plain_hash_first_and_every_variant() {
    let dir = tempfile::tempdir().unwrap();
    let (photo, boxed) = photo_and_letterboxed(dir.path());
    let plain = text(&vigil(&["hash", path_str(&boxed)]).stdout);
    let variants = vigil(&["hash", "--variants", path_str(&boxed)]);
    assert!(variants.status.success());
    let lines: Vec<String> = text(&variants.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines[0], format!("{},plain", plain.trim()));
    assert!(lines.len() > 10, "turns, zooms and regions: {lines:?}");
    assert!(lines.iter().any(|l| l.ends_with(",region0")));

    let json = vigil(&[
        "hash",
        "--variants",
        "--json",
        "--rotations",
        "none",
        "--zooms",
        "none",
        "--no-overlay-removal",
        path_str(&boxed),
    ]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["regions"][0]["kind"], "flat_borders");
    assert!(
        value["variants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["variant"].as_str().unwrap().starts_with("region"))
    );
    assert!(value["gate_quality"].as_u64().unwrap() >= 50);
    let _ = photo;
}

/// The evaluation on a few of Meta's photos: robust queries are never worse than plain ones, and
/// no edited copy matches another photo.
#[test]
fn robustness_on_reference_photos() {
    let photos = reference_photos();
    let out = vigil(&[
        "robustness",
        "--json",
        "--backend",
        "cpu",
        "--limit",
        "5",
        "--max-side",
        "512",
        "--edits",
        "none,letterbox,pad10-grey,rotate2,crop2,darken30",
        path_str(&photos.join("reg-test-input")),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["photos"], 5);
    assert_eq!(report["false_matches"], 0);
    for edit in report["edits"].as_array().unwrap() {
        let recall = &edit["recall"];
        let (plain, robust) = (
            recall["plain"].as_f64().unwrap(),
            recall["robust"].as_f64().unwrap(),
        );
        assert!(robust >= plain, "{edit}");
        if edit["edit"] == "none" {
            assert_eq!(robust, 100.0);
        }
    }
}

#[test]
fn variant_options_need_the_option_that_uses_them() {
    let dir = tempfile::tempdir().unwrap();
    let (photo, _) = photo_and_letterboxed(dir.path());
    let out = vigil(&["hash", "--rotations", "2", path_str(&photo)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("need --variants"),
        "{}",
        text(&out.stderr)
    );
    let out = vigil(&["hash", "--variants", "--rotations", "40", path_str(&photo)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("up to 15 degrees"),
        "{}",
        text(&out.stderr)
    );
}
