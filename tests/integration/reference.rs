//! Compatibility with Meta's reference PDQ hashes, by Meta's definition of a correct port:
//! (1) the very pixels the reference hashed give exactly its hashes, all eight orientations;
//! (2) from the original files, hashes with quality ≥ 80 are within 10 bits (vigil: exactly
//! equal, every file, since JPEGs are decoded by libjpeg-turbo as Pillow decodes them).
//! Each test prints its distance table.

use std::collections::BTreeSet;
use std::path::Path;

use vigil::decode::{DecodeOptions, decode_file};
use vigil::plan::FramePlan;
use vigil::stages::bits::orient;
use vigil::{Dihedral, Frame, Hash256};
use vigil_tests::reference::{Expected, median, model_dct, read_expected, reference_dir_or_skip};

/// Bits where vigil and the reference disagree on the reference's own pixels, each explained by
/// the diagnosis the test prints: the reference's float32 rounding puts a DCT value on the other
/// side of the median, where exact arithmetic (vigil, and a float64 model) does not.
///
/// q0003 (quality 3, nearly flat) under rotate180 and flip-1 (the same block values, transposed):
/// the exact median is 0.0886286 (float64 model; vigil 0.0886303), but the reference's float32
/// pipeline puts the coefficient holding the median at 0.0889356, 3.1e-4 too high, so it sets
/// that bit and clears bit 236/206 (0.0887065 exact, above the exact median): 2 bits each. The
/// reference's original-orientation hash of the same image is reproduced exactly.
const PINNED_FLOAT32_EXCEPTIONS: &[(&str, Dihedral)] = &[
    (
        "reg-test-input/labelme-subset/q0003.png",
        Dihedral::Rotate180,
    ),
    (
        "reg-test-input/labelme-subset/q0003.png",
        Dihedral::FlipMinus1,
    ),
];

#[test]
fn reference_pixels_hash_exactly() {
    let Some(dir) = reference_dir_or_skip("reference_pixels_hash_exactly") else {
        return;
    };
    let dir = dir.join("pdq-pixels");
    let expected = read_expected(&dir.join("expected-pdqhash-dihedral.csv"));
    assert_eq!(expected.len(), 31, "the reference set has 31 images");
    println!(
        "\nvigil vs pdqhash on the reference's own pixels (pdq-pixels/), distance per orientation"
    );
    println!(
        "{:<48} {:>7}  {}",
        "image",
        "quality",
        Dihedral::ALL.map(|d| format!("{:>9}", d.name())).join("")
    );
    let mut mismatches = BTreeSet::new();
    let mut quality_mismatches = Vec::new();
    for case in &expected {
        let image = decode_file(&dir.join(&case.path), &DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let frame = image.frame().expect("valid frame");
        let ours = vigil::hash_dihedral(&frame);
        let distances: Vec<u32> = ours
            .hashes
            .iter()
            .zip(&case.hashes)
            .map(|(a, b)| a.distance(b))
            .collect();
        println!(
            "{:<48} {:>3}/{:<3}  {}",
            case.path,
            ours.quality,
            case.quality,
            distances
                .iter()
                .map(|d| format!("{d:>9}"))
                .collect::<String>()
        );
        if ours.quality != case.quality {
            quality_mismatches.push(format!(
                "{}: {} vs {}",
                case.path, ours.quality, case.quality
            ));
        }
        for (orientation, &distance) in Dihedral::ALL.iter().zip(&distances) {
            if distance != 0 {
                explain(
                    &frame,
                    case,
                    *orientation,
                    &ours.hashes[*orientation as usize],
                );
                mismatches.insert((case.path.as_str(), orientation.name()));
            }
        }
    }
    let pinned: BTreeSet<_> = PINNED_FLOAT32_EXCEPTIONS
        .iter()
        .map(|(p, d)| (*p, d.name()))
        .collect();
    assert!(
        quality_mismatches.is_empty(),
        "quality differs: {quality_mismatches:?}"
    );
    assert_eq!(
        mismatches, pinned,
        "hashes differing from the reference must be exactly the pinned, explained exceptions"
    );
}

/// Prints, for every differing bit, the reference's float32 value, the float64 (near-exact) value,
/// vigil's exact fixed-point value and the three medians; and checks that the disagreement is the
/// reference's float32 rounding: the float32 model reproduces the reference's bit and the float64
/// model agrees with vigil.
fn explain(frame: &Frame<'_>, case: &Expected, orientation: Dihedral, ours: &Hash256) {
    let f32_block = orient(&model_dct::<f32>(frame), orientation);
    let f64_block = orient(&model_dct::<f64>(frame), orientation);
    let stages = vigil::cpu::stage_outputs(frame).expect("hashable frame");
    let ours_block = orient(&stages.dct, orientation);
    let plan = FramePlan::new(frame.width(), frame.height());
    // vigil's B is the luma-domain value times 2^30 · S, S = 2^27 · Dr · Dc / 2^b.
    let b = plan.channel_shift + plan.luma_shift;
    let scale = 2f64.powi(57 - b as i32)
        * plan.vertical.denominator as f64
        * plan.horizontal.denominator as f64;
    let (m32, m64, m_ours) = (median(&f32_block), median(&f64_block), {
        let mut s = ours_block;
        s.sort_unstable();
        s[127]
    });
    println!(
        "  {} {}: medians float32 {:.9} float64 {:.9} vigil {:.9}",
        case.path,
        orientation.name(),
        m32,
        m64,
        m_ours as f64 / scale
    );
    let reference = &case.hashes[orientation as usize];
    for k in 0..256 {
        if reference.bit(k) != ours.bit(k) {
            println!(
                "    bit {k:>3} (u={:>2}, v={:>2}): reference {} vigil {} | float32 {:.9} float64 {:.9} vigil {:.9}",
                k / 16,
                k % 16,
                reference.bit(k) as u8,
                ours.bit(k) as u8,
                f32_block[k],
                f64_block[k],
                ours_block[k] as f64 / scale
            );
            assert_eq!(
                f32_block[k] > m32,
                reference.bit(k),
                "float32 model reproduces the reference's bit {k}"
            );
            assert_eq!(
                f64_block[k] > m64,
                ours.bit(k),
                "float64 model agrees with vigil on bit {k}"
            );
        }
    }
}

/// Hashes from the original files, decoded as vigil decodes files (JPEG by libjpeg-turbo, as
/// Pillow does): every file equals the reference's hash, which is stricter than Meta's
/// criterion (quality ≥ 80 within 10 bits).
#[test]
fn reference_files_hash_exactly() {
    let Some(dir) = reference_dir_or_skip("reference_files_hash_exactly") else {
        return;
    };
    let pdq = dir.join("pdq");
    let plain = DecodeOptions::default();
    let exif = DecodeOptions::default().apply_exif(true);
    let mut failures = Vec::new();
    for (csv, options) in [
        ("expected-pdqhash.csv", &plain),
        ("expected-pdqhash-exif.csv", &exif),
    ] {
        println!("\nvigil vs pdqhash from the original files ({csv})");
        println!("{:<52} {:>8} {:>8}", "file", "quality", "distance");
        let mut distances = Vec::new();
        for case in read_expected(&pdq.join(csv)) {
            match hash_file(&pdq.join(&case.path), options) {
                Ok((hash, quality)) => {
                    let distance = hash.distance(&case.hashes[0]);
                    println!(
                        "{:<52} {:>3}/{:<4} {:>8}",
                        case.path, quality, case.quality, distance
                    );
                    if case.quality >= 80 {
                        distances.push(distance);
                    }
                    // Meta's criterion is 10 bits at quality >= 80; JPEGs decoded by
                    // libjpeg-turbo (the `turbojpeg` feature this crate enables, Pillow's
                    // decoder) give Pillow's pixels, so every file must hash exactly.
                    if distance != 0 {
                        failures.push(format!("{csv}: {}: {distance} bits", case.path));
                    }
                }
                // Every reference file decodes today (alpha, palette, CMYK, grey, WebP, ...):
                // one that stops decoding is a regression, not a skip.
                Err(e) => failures.push(format!("{csv}: {}: not decodable: {e}", case.path)),
            }
        }
        summarize(csv, &distances);
    }
    assert!(
        failures.is_empty(),
        "not equal to the reference: {failures:?}"
    );
}

/// The C++ command-line tool's path (images over 512 px first resized to 512×512): hashes in
/// lists made with that tool are reproduced within 10 bits with `cpp_cli_resize`.
#[test]
fn reference_cpp_cli_within_ten_bits() {
    let Some(dir) = reference_dir_or_skip("reference_cpp_cli_within_ten_bits") else {
        return;
    };
    let pdq = dir.join("pdq");
    let text =
        std::fs::read_to_string(pdq.join("expected-cpp-cli.csv")).expect("expected-cpp-cli.csv");
    let options = DecodeOptions::default().cpp_cli_resize(true);
    println!("\nvigil --cpp-cli vs the C++ CLI's published hashes (expected-cpp-cli.csv)");
    let mut distances = Vec::new();
    let mut failures = Vec::new();
    for line in text.lines().skip(1) {
        let Some((path, hex)) = line.split_once(',') else {
            continue;
        };
        let Some(relative) = path.strip_prefix("../../../../data/") else {
            println!("{path:<52} skipped: not an image of pdq/data");
            continue;
        };
        let file = pdq.join(relative);
        if !file.exists() {
            println!("{relative:<52} skipped: not in ../shared/reference/pdq");
            continue;
        }
        let expected: Hash256 = hex.parse().expect("hex");
        let (hash, quality) = hash_file(&file, &options).unwrap_or_else(|e| panic!("{e}"));
        let distance = hash.distance(&expected);
        println!("{relative:<52} quality {quality:>3} distance {distance:>3}");
        distances.push(distance);
        if quality >= 80 && distance > 10 {
            failures.push(format!("{relative}: {distance}"));
        }
    }
    summarize("expected-cpp-cli.csv", &distances);
    assert!(!distances.is_empty(), "no C++ CLI reference image found");
    assert!(
        failures.is_empty(),
        "over 10 bits from the C++ CLI: {failures:?}"
    );
}

fn hash_file(path: &Path, options: &DecodeOptions) -> vigil::Result<(Hash256, u8)> {
    let image = decode_file(path, options)?;
    let pdq = vigil::hash(&image.frame()?);
    Ok((pdq.hash, pdq.quality))
}

fn summarize(what: &str, distances: &[u32]) {
    if distances.is_empty() {
        return;
    }
    let mean = distances.iter().sum::<u32>() as f64 / distances.len() as f64;
    let max = distances.iter().max().copied().unwrap_or(0);
    let exact = distances.iter().filter(|&&d| d == 0).count();
    println!(
        "{what}: {} images, mean {mean:.2} bits, max {max}, exact {exact}",
        distances.len()
    );
}
