//! `vigil robustness`: how well plain, dihedral and robust queries find edited copies of photos,
//! and how many false matches the robust variants cost, measured on a folder of photos.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use image::{RgbImage, imageops};
use rayon::prelude::*;
use vigil::decode::{DecodeOptions, decode_file};
use vigil::files::walk::{Input, expand};
use vigil::robust::{RobustHashes, hash_robust_batch};
use vigil::{Backend, BatchHasher, DEFAULT_THRESHOLD, Frame, Hash256, MIN_QUALITY, PixelFormat};

use crate::edits::{self, Edits};
use crate::engine_values::engine_value;
use crate::robust_args::RobustArgs;
use crate::{Outcome, report_error};

const AFTER_HELP: &str = "\
Each photo is scaled to fit --max-side and hashed: that hash is the list entry. Photos within
--duplicate-bits of an earlier one (near-duplicates) and photos under quality 50 are left out. Every edit
is applied to every photo and the edited copy is queried three ways:
  plain     its PDQ hash (what HMA and pdqhash users match)
  dihedral  its 8 rotation and flip hashes
  robust    the dihedral hashes and every variant (content regions, turns, zooms), gated on the
            larger of PDQ's quality and the contrast-normalised quality
Recall: the share of edited copies matched to their own photo (distance <= threshold, quality
gate passed). Mean bits: the mean of the nearest distance to the own photo. False matches: edited
copies within the threshold of a different photo, over all pairs, with every robust variant on;
nearest other: the smallest such distance (the margin).

Examples:
  vigil robustness photos/
  vigil robustness --edits pad10-black,rotate5 --limit 20 --json photos/";

/// Options of `vigil robustness`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct RobustnessArgs {
    /// Photos: files and directories (walked for image files).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// The edits to apply, comma-separated, or `all`.
    #[arg(long, value_name = "EDITS", default_value = "all", value_parser = edits::by_names)]
    pub edits: Edits,

    /// Use at most this many distinct photos (0: all).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub limit: usize,

    /// Photos are scaled to fit this many pixels on their long side first.
    #[arg(long, value_name = "PIXELS", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(i64::from(MIN_SIDE)..=16384))]
    pub max_side: u32,

    /// Photos within this many bits of an earlier one, in any orientation, are near-duplicates
    /// (the same picture recoloured or re-cut) and left out. Distinct photos lie 86 bits or more
    /// apart in the set README.md measures.
    #[arg(long, value_name = "BITS", default_value_t = 2 * DEFAULT_THRESHOLD)]
    pub duplicate_bits: u32,

    /// Match at up to this many bits.
    #[arg(long, value_name = "BITS", default_value_t = DEFAULT_THRESHOLD)]
    pub threshold: u32,

    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Where to hash (`auto`, `cpu`, `gpu`); every backend gives the same hashes.
    #[arg(long, value_name = "BACKEND", default_value = "auto", value_parser = engine_value::<Backend>())]
    pub backend: Backend,

    /// Also write every edited copy to this folder, as PNG (`NNNN-PHOTO-EDIT.png`: the photo's number and file name, characters other than letters, digits, `.`, `_` and `-` replaced by `_`), to look at.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,

    /// The robust variants.
    #[command(flatten)]
    pub robust: RobustArgs,
}

/// Photos under this many pixels on a side (after scaling) are left out: the edits draw text
/// and borders in proportion to the photo and need room.
const MIN_SIDE: u32 = 64;

/// One photo: its pixels and its hash (the list entry).
struct Photo {
    path: PathBuf,
    pixels: RgbImage,
    hash: Hash256,
}

/// What one query way found for one edited copy.
#[derive(Clone, Copy, Default)]
struct Found {
    matched: bool,
    distance: u32,
}

/// The queries of one edited copy of one photo.
struct Trial {
    plain: Found,
    dihedral: Found,
    robust: Found,
    /// Other photos within the threshold of a robust hash (gate passed).
    false_matches: u32,
    /// The smallest distance from any robust hash to another photo.
    nearest_other: u32,
    hashes: usize,
    /// Sum and sum of squares of every robust hash's distance to every other photo.
    other_distances: (f64, f64, u64),
}

#[derive(serde::Serialize)]
struct Recall {
    plain: f64,
    dihedral: f64,
    robust: f64,
}

#[derive(serde::Serialize)]
struct EditReport {
    edit: &'static str,
    copies: usize,
    recall: Recall,
    mean_bits: Recall,
    false_matches: u64,
    nearest_other: u32,
    /// The photos whose edited copy the robust query did not find (JSON only): where to look.
    robust_misses: Vec<String>,
}

#[derive(serde::Serialize)]
struct Report {
    photos: usize,
    near_duplicates_left_out: usize,
    low_quality_left_out: usize,
    too_small_left_out: usize,
    unreadable: usize,
    threshold: u32,
    mean_hashes_per_robust_query: f64,
    /// Every robust hash against every other photo: the distances' mean and standard deviation,
    /// and the chance that one such pair is within the threshold by a normal tail (what the
    /// arithmetic of false matches in README.md starts from).
    other_distance_mean: f64,
    other_distance_sd: f64,
    pair_false_match_probability: f64,
    pairs_compared: u64,
    false_matches: u64,
    nearest_other: u32,
    edits: Vec<EditReport>,
}

pub fn run(args: &RobustnessArgs) -> Result<Outcome, String> {
    let hasher = BatchHasher::new(args.backend).map_err(|e| e.to_string())?;
    let (photos, mut report) = load_photos(args)?;
    if photos.len() < 2 {
        return Err(format!(
            "need at least 2 distinct photos of quality {MIN_QUALITY} or more; found {}",
            photos.len()
        ));
    }
    let options = args.robust.options();
    let known: Vec<Hash256> = photos.iter().map(|photo| photo.hash).collect();
    // One photo's edited copies at a time, all its edits as one batch; photos in parallel.
    let trials: Vec<Vec<Trial>> = photos
        .par_iter()
        .enumerate()
        .map(|(i, photo)| {
            let copies: Vec<RgbImage> = args
                .edits
                .0
                .iter()
                .map(|edit| edit.apply(&photo.pixels))
                .collect();
            if let Some(dir) = &args.save {
                for (edit, copy) in args.edits.0.iter().zip(&copies) {
                    let path = dir.join(format!(
                        "{i:04}-{}-{}.png",
                        safe_stem(&photo.path),
                        edit.name
                    ));
                    if let Err(error) = copy.save(&path) {
                        report_error(&format!("{}: {error}", path.display()));
                    }
                }
            }
            let frames: Vec<Frame<'_>> = copies
                .iter()
                .map(|copy| {
                    Frame::packed(
                        copy.as_raw(),
                        copy.width(),
                        copy.height(),
                        PixelFormat::Rgb8,
                    )
                    .expect("edits make valid images")
                })
                .collect();
            hash_robust_batch(&hasher, &frames, &options)
                .iter()
                .map(|hashes| judge(hashes, i, &known, args.threshold))
                .collect()
        })
        .collect();
    let mut hashes = 0usize;
    for (e, edit) in args.edits.0.iter().enumerate() {
        let of_edit: Vec<&Trial> = trials.iter().map(|per_photo| &per_photo[e]).collect();
        let share = |f: fn(&Trial) -> Found| {
            of_edit.iter().filter(|t| f(t).matched).count() as f64 * 100.0 / of_edit.len() as f64
        };
        let mean = |f: fn(&Trial) -> Found| {
            of_edit
                .iter()
                .map(|t| f64::from(f(t).distance))
                .sum::<f64>()
                / of_edit.len() as f64
        };
        hashes += of_edit.iter().map(|t| t.hashes).sum::<usize>();
        let false_matches = of_edit.iter().map(|t| u64::from(t.false_matches)).sum();
        let nearest_other = of_edit.iter().map(|t| t.nearest_other).min().unwrap_or(256);
        report.false_matches += false_matches;
        report.nearest_other = report.nearest_other.min(nearest_other);
        report.edits.push(EditReport {
            edit: edit.name,
            copies: of_edit.len(),
            recall: Recall {
                plain: share(|t| t.plain),
                dihedral: share(|t| t.dihedral),
                robust: share(|t| t.robust),
            },
            mean_bits: Recall {
                plain: mean(|t| t.plain),
                dihedral: mean(|t| t.dihedral),
                robust: mean(|t| t.robust),
            },
            false_matches,
            nearest_other,
            robust_misses: photos
                .iter()
                .zip(&of_edit)
                .filter(|(_, t)| !t.robust.matched)
                .map(|(photo, _)| photo.path.display().to_string())
                .collect(),
        });
    }
    let queries = (photos.len() * args.edits.0.len()) as u64;
    report.mean_hashes_per_robust_query = hashes as f64 / queries as f64;
    report.pairs_compared = queries * (photos.len() as u64 - 1);
    let (sum, squares, count) = trials.iter().flatten().fold((0.0, 0.0, 0), |acc, t| {
        (
            acc.0 + t.other_distances.0,
            acc.1 + t.other_distances.1,
            acc.2 + t.other_distances.2,
        )
    });
    let mean = sum / count.max(1) as f64;
    let sd = (squares / count.max(1) as f64 - mean * mean)
        .max(0.0)
        .sqrt();
    report.other_distance_mean = mean;
    report.other_distance_sd = sd;
    report.pair_false_match_probability =
        normal_tail((f64::from(args.threshold) + 0.5 - mean) / sd.max(1e-9));
    print_report(&report, args.json).map_err(|e| format!("cannot write the report: {e}"))?;
    Ok(Outcome::Success)
}

/// The distinct photos of `args.paths`, scaled and hashed, and the report's counts of those left
/// out.
fn load_photos(args: &RobustnessArgs) -> Result<(Vec<Photo>, Report), String> {
    let mut report = Report {
        photos: 0,
        near_duplicates_left_out: 0,
        low_quality_left_out: 0,
        too_small_left_out: 0,
        unreadable: 0,
        threshold: args.threshold,
        mean_hashes_per_robust_query: 0.0,
        other_distance_mean: 0.0,
        other_distance_sd: 0.0,
        pair_false_match_probability: 0.0,
        pairs_compared: 0,
        false_matches: 0,
        nearest_other: 256,
        edits: Vec::new(),
    };
    let paths: Vec<PathBuf> = expand(&args.paths)
        .filter_map(|input| match input {
            Input::File(path) => Some(path),
            Input::Error { path, message } => {
                report_error(&format!("{}: {message}", path.display()));
                None
            }
        })
        .collect();
    let decoded: Vec<Option<RgbImage>> = paths
        .par_iter()
        .map(|path| match decode_file(path, &DecodeOptions::default()) {
            Ok(image) => Some(fit(to_rgb(&image), args.max_side)),
            Err(error) => {
                report_error(&format!("{}: {error}", path.display()));
                None
            }
        })
        .collect();
    let mut photos: Vec<Photo> = Vec::new();
    for (path, entry) in paths.into_iter().zip(decoded) {
        let Some(pixels) = entry else {
            report.unreadable += 1;
            continue;
        };
        let frame = Frame::packed(
            pixels.as_raw(),
            pixels.width(),
            pixels.height(),
            PixelFormat::Rgb8,
        )
        .map_err(|e| e.to_string())?;
        let all = vigil::hash_dihedral(&frame);
        let pdq = all.original();
        if pixels.width().min(pixels.height()) < MIN_SIDE {
            report.too_small_left_out += 1;
        } else if pdq.quality < MIN_QUALITY {
            report.low_quality_left_out += 1;
        } else if photos.iter().any(|photo| {
            all.hashes
                .iter()
                .any(|h| photo.hash.distance(h) <= args.duplicate_bits)
        }) {
            // A turned or flipped copy of an earlier photo is not a distinct photo either.
            report.near_duplicates_left_out += 1;
        } else if args.limit == 0 || photos.len() < args.limit {
            photos.push(Photo {
                path,
                pixels,
                hash: pdq.hash,
            });
        }
    }
    report.photos = photos.len();
    Ok((photos, report))
}

/// The file name of `path` without its extension, in characters safe anywhere in a file name.
fn safe_stem(path: &std::path::Path) -> String {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn to_rgb(image: &vigil::decode::DecodedImage) -> RgbImage {
    let (w, h) = (image.width, image.height);
    let pixels = match image.format {
        PixelFormat::Luma8 => image.pixels.iter().flat_map(|&v| [v, v, v]).collect(),
        _ => image.pixels.clone(),
    };
    RgbImage::from_raw(w, h, pixels).expect("a decoded image holds its pixels")
}

fn fit(photo: RgbImage, max_side: u32) -> RgbImage {
    let (w, h) = photo.dimensions();
    let long = w.max(h);
    if long <= max_side {
        return photo;
    }
    let scale = |n: u32| ((u64::from(n) * u64::from(max_side) / u64::from(long)) as u32).max(1);
    imageops::resize(&photo, scale(w), scale(h), imageops::FilterType::Triangle)
}

/// The three queries of one edited copy of photo `own`, against every photo.
fn judge(hashes: &RobustHashes, own: usize, known: &[Hash256], threshold: u32) -> Trial {
    let nearest = |candidates: &mut dyn Iterator<Item = Hash256>, target: &Hash256| {
        candidates.map(|h| h.distance(target)).min().unwrap_or(256)
    };
    let plain_quality = hashes.plain.quality >= MIN_QUALITY;
    let robust_quality = hashes.gate_quality() >= MIN_QUALITY;
    let plain = nearest(&mut std::iter::once(hashes.plain.hashes[0]), &known[own]);
    let dihedral = nearest(&mut hashes.plain.hashes.iter().copied(), &known[own]);
    let all = || {
        hashes
            .plain
            .hashes
            .iter()
            .copied()
            .chain(hashes.variants.iter().map(|(_, pdq)| pdq.hash))
    };
    let robust = nearest(&mut all(), &known[own]);
    let mut false_matches = 0;
    let mut nearest_other = 256;
    let mut other_distances = (0.0, 0.0, 0);
    for (j, other) in known.iter().enumerate() {
        if j != own {
            for hash in all() {
                let d = f64::from(hash.distance(other));
                other_distances = (
                    other_distances.0 + d,
                    other_distances.1 + d * d,
                    other_distances.2 + 1,
                );
            }
            let d = nearest(&mut all(), other);
            nearest_other = nearest_other.min(d);
            false_matches += u32::from(robust_quality && d <= threshold);
        }
    }
    let found = |distance: u32, gate: bool| Found {
        matched: gate && distance <= threshold,
        distance,
    };
    Trial {
        plain: found(plain, plain_quality),
        dihedral: found(dihedral, plain_quality),
        robust: found(robust, robust_quality),
        false_matches,
        nearest_other,
        hashes: 8 + hashes.variants.len(),
        other_distances,
    }
}

/// P(Z ≤ z) for a standard normal Z: erfc by the Chebyshev fit of Numerical Recipes (relative
/// error under 1.2e-7 everywhere, far tails included).
fn normal_tail(z: f64) -> f64 {
    let x = -z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let poly = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    0.5 * if x >= 0.0 { erfc } else { 2.0 - erfc }
}

fn print_report(report: &Report, json: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, report)?;
        return writeln!(out);
    }
    writeln!(
        out,
        "{} distinct photos ({} near-duplicates, {} under quality {MIN_QUALITY}, {} under {MIN_SIDE} px, {} unreadable left out); threshold {}",
        report.photos,
        report.near_duplicates_left_out,
        report.low_quality_left_out,
        report.too_small_left_out,
        report.unreadable,
        report.threshold
    )?;
    writeln!(
        out,
        "{:<18} {:>8} {:>8} {:>8}   {:>20}   {:>6} {:>8}",
        "edit", "plain", "dihedral", "robust", "mean bits p/d/r", "false", "nearest"
    )?;
    for edit in &report.edits {
        writeln!(
            out,
            "{:<18} {:>7.1}% {:>7.1}% {:>7.1}%   {:>6.1} {:>6.1} {:>6.1}   {:>6} {:>8}",
            edit.edit,
            edit.recall.plain,
            edit.recall.dihedral,
            edit.recall.robust,
            edit.mean_bits.plain,
            edit.mean_bits.dihedral,
            edit.mean_bits.robust,
            edit.false_matches,
            edit.nearest_other
        )?;
    }
    writeln!(
        out,
        "{:.1} hashes per robust query; {} pairs of an edited copy and another photo: {} false matches, nearest other photo {} bits",
        report.mean_hashes_per_robust_query,
        report.pairs_compared,
        report.false_matches,
        report.nearest_other
    )?;
    writeln!(
        out,
        "distances from a robust hash to another photo: mean {:.1}, sd {:.1}; normal tail at the threshold: {:.1e} a pair",
        report.other_distance_mean, report.other_distance_sd, report.pair_false_match_probability
    )
}

#[cfg(test)]
mod tests {
    use super::normal_tail;

    #[test]
    fn the_normal_tail_is_right_in_the_middle_and_far_out() {
        assert!((normal_tail(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_tail(-1.0) - 0.158_655_25).abs() < 1e-7);
        // Φ(−10) = 7.62e-24.
        assert!((normal_tail(-10.0) / 7.619_853e-24 - 1.0).abs() < 1e-5);
    }
}
