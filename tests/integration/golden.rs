//! Golden hashes: the project's own inputs, recomputed and compared exactly.
//!
//! The inputs come from `vigil_tests::golden` (a deterministic generator) and the PNG files under
//! `golden/inputs/`; the expected hashes from `golden/manifest.csv`. Any difference fails, and the
//! failure lists every differing case with the command that regenerates the manifest.

use std::collections::BTreeSet;

use vigil::{Frame, Hash256, PixelFormat};
use vigil_tests::golden::{self, Case, FILE_KIND, Kind, REGENERATE, Row, SplitMix64};

fn manifest() -> Vec<Row> {
    golden::read_manifest().unwrap_or_else(|e| panic!("{e}\nto create it: {REGENERATE}"))
}

fn fail_with(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} golden difference(s):\n  {}\nIf the change is intended, regenerate with:\n  {REGENERATE}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn every_case_matches_the_manifest() {
    let recorded: Vec<Row> = manifest()
        .into_iter()
        .filter(|r| r.kind != FILE_KIND)
        .collect();
    let cases = golden::cases();
    let mut problems = Vec::new();
    let mut computed = Vec::new();
    for result in golden::compute_case_rows(&cases) {
        match result {
            Ok(row) => computed.push(row),
            Err(e) => problems.push(e),
        }
    }
    problems.extend(golden::compare(&recorded, &computed));
    fail_with(&problems);
}

#[test]
fn png_inputs_decode_and_hash_as_recorded() {
    let recorded = manifest();
    let mut problems = Vec::new();
    for input in golden::png_inputs() {
        let name = input.name();
        let Some(old) = recorded.iter().find(|r| r.name == name) else {
            problems.push(format!("{name}: not in the manifest"));
            continue;
        };
        match Row::for_png(&input) {
            Ok(row) => problems.extend(row.differences(old)),
            Err(e) => {
                problems.push(e);
                continue;
            }
        }
        // The file holds exactly the generated pixels, in the generated format.
        let decoded = vigil::decode::decode_file(&input.path(), &Default::default()).unwrap();
        let case = &input.case;
        if (decoded.width, decoded.height, decoded.format) != (case.width, case.height, case.format)
        {
            problems.push(format!(
                "{name}: decodes as {}x{} {}, generated {}x{} {}",
                decoded.width,
                decoded.height,
                decoded.format.name(),
                case.width,
                case.height,
                case.format.name()
            ));
        } else if decoded.pixels != case.generate() {
            problems.push(format!(
                "{name}: decoded pixels differ from the generated ones"
            ));
        }
    }
    for stray in golden::stray_inputs().unwrap() {
        problems.push(format!("inputs/{stray}: not a golden input"));
    }
    fail_with(&problems);
}

#[test]
fn manifest_covers_formats_strides_kinds_and_sizes() {
    let rows = manifest();
    let generated: Vec<&Row> = rows.iter().filter(|r| r.kind != FILE_KIND).collect();
    for format in PixelFormat::ALL {
        assert!(
            generated.iter().any(|r| r.format == format),
            "no golden case in {}",
            format.name()
        );
    }
    for kind in Kind::ALL {
        assert!(
            generated.iter().any(|r| r.kind == kind.name()),
            "no golden case of kind {kind}"
        );
    }
    let padded = |r: &&Row| r.stride > r.width as usize * r.format.bytes_per_pixel();
    assert!(generated.iter().any(padded), "no case with a padded stride");
    for (width, height) in [(5, 5), (4000, 3000)] {
        assert!(
            generated
                .iter()
                .any(|r| (r.width, r.height) == (width, height)),
            "no case of {width}x{height}"
        );
    }
    let files = rows.iter().filter(|r| r.kind == FILE_KIND).count();
    assert!((6..=10).contains(&files), "{files} PNG inputs");
}

#[test]
fn case_names_are_unique_and_pngs_are_packed_rgb_or_grey() {
    let mut names = BTreeSet::new();
    for case in golden::cases() {
        assert!(names.insert(case.name.clone()), "{} twice", case.name);
    }
    for input in golden::png_inputs() {
        assert!(names.insert(input.name()), "{} twice", input.name());
        assert!(!input.case.is_padded(), "{}", input.name());
        assert!(
            matches!(input.case.format, PixelFormat::Rgb8 | PixelFormat::Luma8),
            "{}",
            input.name()
        );
    }
}

/// Luma8 hashes exactly as the RGB frame with R = G = B: the engine's exactness by construction.
#[test]
fn luma8_cases_equal_their_rgb8_expansion() {
    let grey_cases = golden::cases()
        .into_iter()
        .chain(golden::png_inputs().into_iter().map(|i| i.case))
        .filter(|c| c.format == PixelFormat::Luma8);
    let mut checked = 0;
    for case in grey_cases {
        let bytes = case.generate();
        let grey = vigil::hash_dihedral(&case.frame(&bytes).unwrap());
        let rgb: Vec<u8> = case
            .packed_plane(&bytes)
            .into_iter()
            .flat_map(|g| [g; 3])
            .collect();
        let expanded = Frame::packed(&rgb, case.width, case.height, PixelFormat::Rgb8).unwrap();
        assert_eq!(vigil::hash_dihedral(&expanded), grey, "{}", case.name);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} Luma8 cases");
}

/// I420 and NV12 hash their Y plane only: equal to the Luma8 hash of the packed Y plane.
#[test]
fn yuv_cases_equal_the_luma8_hash_of_their_y_plane() {
    let yuv_cases = golden::cases()
        .into_iter()
        .filter(|c| matches!(c.format, PixelFormat::I420 | PixelFormat::Nv12));
    let mut checked = 0;
    for case in yuv_cases {
        let bytes = case.generate();
        assert!(bytes.len() > case.plane_len(), "{}: no chroma", case.name);
        let yuv = vigil::hash_dihedral(&case.frame(&bytes).unwrap());
        let y = case.packed_plane(&bytes);
        let luma = Frame::packed(&y, case.width, case.height, PixelFormat::Luma8).unwrap();
        assert_eq!(vigil::hash_dihedral(&luma), yuv, "{}", case.name);
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} YUV cases");
}

/// Padding, alpha and chroma are junk: other junk must give the same hashes.
#[test]
fn junk_bytes_are_never_read() {
    let yuv = |c: &Case| matches!(c.format, PixelFormat::I420 | PixelFormat::Nv12);
    let with_junk = golden::cases()
        .into_iter()
        .filter(|c| c.is_padded() || c.format.bytes_per_pixel() == 4 || yuv(c));
    let mut checked = 0;
    for case in with_junk.filter(|c| u64::from(c.width) * u64::from(c.height) <= 2_100_000) {
        let (bytes, other) = (case.generate(), case.generate_with_junk(0x5eed));
        let has_junk = case.is_padded() || yuv(&case);
        assert!(
            !has_junk || bytes != other,
            "{}: junk did not change",
            case.name
        );
        assert_eq!(
            vigil::hash_dihedral(&case.frame(&other).unwrap()),
            vigil::hash_dihedral(&case.frame(&bytes).unwrap()),
            "{}",
            case.name
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} cases with junk");
}

#[test]
fn generation_is_deterministic() {
    // SplitMix64's published first output from seed 0.
    assert_eq!(SplitMix64::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
    for case in golden::cases()
        .iter()
        .filter(|c| c.width * c.height < 100_000)
    {
        assert_eq!(case.generate(), case.generate(), "{}", case.name);
    }
}

#[test]
fn manifest_lines_round_trip() {
    let text = std::fs::read_to_string(golden::manifest_path()).unwrap();
    let rows = golden::parse_manifest(&text).unwrap();
    assert_eq!(golden::manifest_text(&rows), text);
    for row in &rows {
        assert_eq!(Row::parse(&row.to_line()).as_ref(), Ok(row));
        assert!(row.differences(row).is_empty());
    }
    // A changed hash is reported with both values.
    let mut changed = rows[0].clone();
    changed.dihedral[0] = Hash256::ZERO;
    changed.quality = 42;
    let differences = changed.differences(&rows[0]);
    assert!(
        differences[0].contains(&format!("hash {} -> {}", rows[0].hash(), Hash256::ZERO)),
        "{differences:?}"
    );
    assert!(differences[0].contains("-> 42"), "{differences:?}");
    assert!(Row::parse("too,few,fields").is_err());
}

#[test]
fn a_case_that_is_not_in_the_manifest_is_reported() {
    let case = Case::new(Kind::Flat, 7, 5, 5, PixelFormat::Rgb8);
    let row = Row::for_case(&case, &case.generate()).unwrap();
    let problems = golden::compare(&[], std::slice::from_ref(&row));
    assert_eq!(
        problems,
        vec![format!("{}: not in the manifest", case.name)]
    );
    let problems = golden::compare(std::slice::from_ref(&row), &[]);
    assert!(problems[0].contains("no longer generated"), "{problems:?}");
}
