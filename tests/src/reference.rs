//! Paths to the shared reference data, readers for its CSV files, and a float model of Meta's
//! reference PDQ used only to *explain* a disagreement (never to decide a bit of vigil's).

use std::path::{Path, PathBuf};

use vigil::{Frame, Hash256, PixelFormat};

/// `../shared/reference` beside the checkout, if present.
pub fn reference_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference");
    dir.is_dir().then_some(dir)
}

/// The reference directory, or `None` after printing why the caller skips. Under `CI=true` a
/// missing directory is a failure, never a skip.
pub fn reference_dir_or_skip(test: &str) -> Option<PathBuf> {
    let dir = reference_dir();
    if dir.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: ../shared/reference is missing and CI=true: this test must run in CI"
        );
        eprintln!("{test}: skipped: ../shared/reference not found beside the checkout");
    }
    dir
}

/// One line of an `expected-pdqhash*.csv` file: hashes (1 or 8), quality, relative path.
#[derive(Clone, Debug)]
pub struct Expected {
    pub hashes: Vec<Hash256>,
    pub quality: u8,
    pub path: String,
}

/// Reads `hash[,hash...],quality,path` lines.
pub fn read_expected(csv: &Path) -> Vec<Expected> {
    let text = std::fs::read_to_string(csv).unwrap_or_else(|e| panic!("{}: {e}", csv.display()));
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let (path, rest) = fields.split_last().expect("non-empty line");
            let (quality, hashes) = rest.split_last().expect("quality field");
            Expected {
                hashes: hashes
                    .iter()
                    .map(|h| h.parse().expect("hex hash"))
                    .collect(),
                quality: quality.parse().expect("quality"),
                path: path.to_string(),
            }
        })
        .collect()
}

/// A float emulation of the reference pipeline up to the 16×16 DCT block, in the precision `F`.
/// With `f32` it follows the reference's own operation order (so it reproduces its rounding);
/// with `f64` it is close to exact arithmetic.
pub fn model_dct<F: Real>(frame: &Frame<'_>) -> [F; 256] {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let mut luma = vec![F::zero(); w * h];
    for y in 0..h {
        let row = frame.row(y);
        for x in 0..w {
            luma[y * w + x] = match frame.format() {
                PixelFormat::Rgb8 | PixelFormat::Rgba8 | PixelFormat::Bgra8 => {
                    let bpp = frame.format().bytes_per_pixel();
                    let p = &row[x * bpp..];
                    let (r, g, b) = if frame.format() == PixelFormat::Bgra8 {
                        (p[2], p[1], p[0])
                    } else {
                        (p[0], p[1], p[2])
                    };
                    F::from_f32(0.299) * F::from_u8(r)
                        + F::from_f32(0.587) * F::from_u8(g)
                        + F::from_f32(0.114) * F::from_u8(b)
                }
                _ => F::from_u8(row[x]),
            };
        }
    }
    let (wr, wc) = (w.div_ceil(128), h.div_ceil(128));
    let mut tmp = vec![F::zero(); w * h];
    for _ in 0..2 {
        for y in 0..h {
            box_1d(&luma[y * w..], &mut tmp[y * w..], w, 1, wr);
        }
        for x in 0..w {
            box_1d(&tmp[x..], &mut luma[x..], h, w, wc);
        }
    }
    let mut a = [[F::zero(); 64]; 64];
    for (i, a_row) in a.iter_mut().enumerate() {
        let y = (2 * i + 1) * h / 128;
        for (j, v) in a_row.iter_mut().enumerate() {
            *v = luma[y * w + (2 * j + 1) * w / 128];
        }
    }
    let scale = (2.0f64 / 64.0).sqrt() as f32;
    let d: Vec<[F; 64]> = (0..16)
        .map(|u| {
            std::array::from_fn(|i| {
                let angle =
                    (std::f64::consts::PI / 2.0 / 64.0) * (u + 1) as f64 * (2 * i + 1) as f64;
                F::from_f32((scale as f64 * angle.cos()) as f32)
            })
        })
        .collect();
    let mut t = [[F::zero(); 64]; 16];
    for u in 0..16 {
        for j in 0..64 {
            let mut sum = F::zero();
            for (i, a_row) in a.iter().enumerate() {
                sum = sum + d[u][i] * a_row[j];
            }
            t[u][j] = sum;
        }
    }
    let mut b = [F::zero(); 256];
    for u in 0..16 {
        for v in 0..16 {
            let mut sum = F::zero();
            for j in 0..64 {
                sum = sum + t[u][j] * d[v][j];
            }
            b[u * 16 + v] = sum;
        }
    }
    b
}

/// The reference's `box1DFloat`: a running sum over a window clipped at the ends.
fn box_1d<F: Real>(input: &[F], output: &mut [F], len: usize, stride: usize, window: usize) {
    let half = (window + 2) / 2;
    let (phase1, phase2, phase3, phase4) = (half - 1, window - half + 1, len - window, half - 1);
    let (mut li, mut ri, mut oi) = (0, 0, 0);
    let mut sum = F::zero();
    let mut count = 0u32;
    for _ in 0..phase1 {
        sum = sum + input[ri];
        count += 1;
        ri += stride;
    }
    for _ in 0..phase2 {
        sum = sum + input[ri];
        count += 1;
        output[oi] = sum / F::from_u32(count);
        ri += stride;
        oi += stride;
    }
    for _ in 0..phase3 {
        sum = sum + input[ri];
        sum = sum - input[li];
        output[oi] = sum / F::from_u32(count);
        li += stride;
        ri += stride;
        oi += stride;
    }
    for _ in 0..phase4 {
        sum = sum - input[li];
        count -= 1;
        output[oi] = sum / F::from_u32(count);
        li += stride;
        oi += stride;
    }
}

/// The 128th smallest value (the reference's Torben median of 256 values).
pub fn median<F: Real>(values: &[F; 256]) -> F {
    let mut sorted = *values;
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    sorted[127]
}

/// Float types the model runs in.
pub trait Real:
    Copy
    + PartialOrd
    + std::fmt::Display
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
{
    fn zero() -> Self;
    fn from_f32(v: f32) -> Self;
    fn from_u8(v: u8) -> Self;
    fn from_u32(v: u32) -> Self;
    fn to_f64(self) -> f64;
}

impl Real for f32 {
    fn zero() -> Self {
        0.0
    }
    fn from_f32(v: f32) -> Self {
        v
    }
    fn from_u8(v: u8) -> Self {
        v as f32
    }
    fn from_u32(v: u32) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Real for f64 {
    fn zero() -> Self {
        0.0
    }
    fn from_f32(v: f32) -> Self {
        v as f64
    }
    fn from_u8(v: u8) -> Self {
        v as f64
    }
    fn from_u32(v: u32) -> Self {
        v as f64
    }
    fn to_f64(self) -> f64 {
        self
    }
}
