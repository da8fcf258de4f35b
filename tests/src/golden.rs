//! The deterministic generator of golden inputs and the manifest format.
//!
//! Every golden input is made here from a [`Case`]: a kind of picture, a seed, a size, a pixel
//! format and a row stride. The pictures come from integer arithmetic and a [`SplitMix64`]
//! generator only, so they are the same bytes on every machine and every Rust version; the
//! manifest records the blake3 of each buffer so that a change of generator is told apart from a
//! change of engine.
//!
//! A few cases are also written as PNG files under `golden/inputs/` ([`png_inputs`]), so the
//! command-line tool has real files to hash. Their manifest rows have kind `file` and record the
//! blake3 of the PNG bytes.
//!
//! Bytes that the engine must not read (row padding, the alpha channel, the chroma planes of
//! I420 and NV12) are filled with junk from a second generator ([`Case::generate_with_junk`]), so a
//! test can change the junk and require the same hashes.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use vigil::{DihedralHashes, Frame, Hash256, PixelFormat};

/// The command that rewrites `golden/` from the generator and the current engine.
pub const REGENERATE: &str = "cargo run -p vigil-tests --release --bin vigil-golden -- --write";

/// The first line of `golden/manifest.csv`.
pub const HEADER: &str =
    "name,kind,seed,width,height,format,stride,input_blake3,quality,hash,dihedral";

/// The kind recorded in the manifest for a PNG file under `golden/inputs/`.
pub const FILE_KIND: &str = "file";

/// The `golden/` directory at the root of the workspace.
pub fn golden_dir() -> PathBuf {
    let tests_crate = Path::new(env!("CARGO_MANIFEST_DIR"));
    tests_crate.parent().unwrap_or(tests_crate).join("golden")
}

/// `golden/manifest.csv`.
pub fn manifest_path() -> PathBuf {
    golden_dir().join("manifest.csv")
}

/// `golden/inputs/`, where the PNG inputs live.
pub fn inputs_dir() -> PathBuf {
    golden_dir().join("inputs")
}

// ---------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny, well-mixed, fully specified generator.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`; the tiny modulo bias does not matter here).
    pub fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n.max(1))) as u32
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(hi - lo + 1)
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }

    /// A colour whose channels are each in `lo..=hi`.
    pub fn colour(&mut self, lo: u8, hi: u8) -> [u8; 3] {
        [0; 3].map(|_| self.between(u32::from(lo), u32::from(hi)) as u8)
    }

    /// Fills `bytes` with random bytes.
    pub fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Kinds of picture
// ---------------------------------------------------------------------------------------------

/// What a golden input depicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Photo-like texture: a few octaves of smooth value noise, coloured at the coarsest octave.
    Photo,
    /// Smooth horizontal gradient between two colours.
    GradientH,
    /// Smooth vertical gradient.
    GradientV,
    /// Smooth diagonal gradient.
    GradientD,
    /// Smooth radial gradient around a random centre.
    GradientR,
    /// Text-like edges: glyph-like strokes in lines, a title bar and a box on light paper.
    Text,
    /// White noise, every channel independent.
    Noise,
    /// Checkerboard of two colours with a random square size.
    Checker,
    /// One-pixel lines (a grid and a diagonal) on a light background.
    Lines,
    /// One flat colour.
    Flat,
    /// Every byte 0 (alpha included): the lower fixed-point bound.
    Black,
    /// Every byte 255 (alpha included): the upper fixed-point bound.
    White,
    /// One-pixel checkerboard of 0 and 255: the largest differences between neighbours.
    Checker1,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 13] = [
        Kind::Photo,
        Kind::GradientH,
        Kind::GradientV,
        Kind::GradientD,
        Kind::GradientR,
        Kind::Text,
        Kind::Noise,
        Kind::Checker,
        Kind::Lines,
        Kind::Flat,
        Kind::Black,
        Kind::White,
        Kind::Checker1,
    ];

    /// Stable name, as in case names and the manifest.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Photo => "photo",
            Kind::GradientH => "hgradient",
            Kind::GradientV => "vgradient",
            Kind::GradientD => "dgradient",
            Kind::GradientR => "rgradient",
            Kind::Text => "text",
            Kind::Noise => "noise",
            Kind::Checker => "checker",
            Kind::Lines => "lines",
            Kind::Flat => "flat",
            Kind::Black => "black",
            Kind::White => "white",
            Kind::Checker1 => "checker1",
        }
    }

    /// Parses a [`Kind::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Kinds made only of 0 and 255, whose alpha bytes copy the pixel (rather than junk) so that
    /// every byte of a row sits at the extreme.
    const fn is_extreme(self) -> bool {
        matches!(self, Kind::Black | Kind::White | Kind::Checker1)
    }

    /// Draws the picture: `width × height` RGB pixels, packed.
    fn draw(self, width: usize, height: usize, rng: &mut SplitMix64) -> Vec<u8> {
        let mut rgb = Rgb::new(width, height);
        match self {
            Kind::Photo => photo(&mut rgb, rng),
            Kind::GradientH => gradient(&mut rgb, rng, |x, _| (x, width - 1)),
            Kind::GradientV => gradient(&mut rgb, rng, |_, y| (y, height - 1)),
            Kind::GradientD => gradient(&mut rgb, rng, |x, y| (x + y, width + height - 2)),
            Kind::GradientR => radial_gradient(&mut rgb, rng),
            Kind::Text => text(&mut rgb, rng),
            Kind::Noise => rng.fill(&mut rgb.pixels),
            Kind::Checker => checker(&mut rgb, rng),
            Kind::Lines => lines(&mut rgb, rng),
            Kind::Flat => rgb.fill(rng.colour(0, 255)),
            Kind::Black => rgb.fill([0; 3]),
            Kind::White => rgb.fill([255; 3]),
            Kind::Checker1 => {
                rgb.fill_with(|x, y| if (x + y) & 1 == 0 { [0; 3] } else { [255; 3] })
            }
        }
        rgb.pixels
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A packed RGB picture being drawn.
struct Rgb {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Rgb {
    fn new(width: usize, height: usize) -> Self {
        Rgb {
            width,
            height,
            pixels: vec![0; width * height * 3],
        }
    }

    fn fill(&mut self, colour: [u8; 3]) {
        self.fill_rect(0, 0, self.width, self.height, colour);
    }

    fn fill_with(&mut self, mut colour: impl FnMut(usize, usize) -> [u8; 3]) {
        let width = self.width;
        for (i, px) in self.pixels.chunks_exact_mut(3).enumerate() {
            px.copy_from_slice(&colour(i % width, i / width));
        }
    }

    /// Fills `x0..x1 × y0..y1`, clipped to the picture.
    fn fill_rect(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, colour: [u8; 3]) {
        let (x1, y1) = (x1.min(self.width), y1.min(self.height));
        for y in y0..y1 {
            for x in x0..x1 {
                let at = (y * self.width + x) * 3;
                self.pixels[at..at + 3].copy_from_slice(&colour);
            }
        }
    }
}

/// `a + (b − a)·t / 2^16` per channel, rounded; `t` in `0..=2^16`.
fn mix(a: [u8; 3], b: [u8; 3], t: u64) -> [u8; 3] {
    let mut out = [0; 3];
    for c in 0..3 {
        out[c] = ((u64::from(a[c]) * (65536 - t) + u64::from(b[c]) * t + 32768) >> 16) as u8;
    }
    out
}

/// Integer smoothstep on `t` in `0..=256`: `t²(3·256 − 2t) / 256²`, also in `0..=256`.
fn smoothstep(t: i64) -> i64 {
    t * t * (768 - 2 * t) / 65536
}

/// One octave of value noise: a lattice of random values every `cell` pixels.
struct Octave {
    cell: usize,
    columns: usize,
    amplitude: i64,
    lattice: Vec<[u8; 3]>,
    /// For every x: the lattice column left of it and the smoothed weight of the right one.
    xs: Vec<(usize, i64)>,
}

impl Octave {
    fn new(rgb: &Rgb, cell: usize, amplitude: i64, coloured: bool, rng: &mut SplitMix64) -> Self {
        let (columns, rows) = (rgb.width / cell + 2, rgb.height / cell + 2);
        let lattice = (0..columns * rows)
            .map(|_| {
                if coloured {
                    rng.colour(0, 255)
                } else {
                    [rng.byte(); 3]
                }
            })
            .collect();
        let xs = (0..rgb.width).map(|x| Self::split(x, cell)).collect();
        Octave {
            cell,
            columns,
            amplitude,
            lattice,
            xs,
        }
    }

    /// Lattice index below `p` and the smoothed weight (0..=256) of the next one.
    fn split(p: usize, cell: usize) -> (usize, i64) {
        (p / cell, smoothstep((p % cell * 256 / cell) as i64))
    }

    /// Adds this octave's contribution at `(x, y)` to `sum`, centred on 0.
    fn add(&self, x: usize, (gy, ty): (usize, i64), sum: &mut [i64; 3]) {
        let (gx, tx) = self.xs[x];
        let corner = |dx: usize, dy: usize| self.lattice[(gy + dy) * self.columns + gx + dx];
        let (a, b, c, d) = (corner(0, 0), corner(1, 0), corner(0, 1), corner(1, 1));
        for ch in 0..3 {
            let top = i64::from(a[ch]) * (256 - tx) + i64::from(b[ch]) * tx;
            let bottom = i64::from(c[ch]) * (256 - tx) + i64::from(d[ch]) * tx;
            let value = top * (256 - ty) + bottom * ty; // scale 2^16: 0..=255·2^16
            sum[ch] += ((value - (128 << 16)) * self.amplitude) >> 23;
        }
    }
}

/// Value noise: up to 8 octaves of random lattices (cells halving, amplitudes × 3/5), smoothly
/// interpolated and summed around grey 128,
/// with a random tint. The coarsest octave has a value per channel (colour); finer ones share
/// one value (texture).
fn photo(rgb: &mut Rgb, rng: &mut SplitMix64) {
    let tint = [0; 3].map(|_| rng.between(0, 60) as i64 - 30);
    let mut octaves = Vec::new();
    let (mut cell, mut amplitude) = ((rgb.width.max(rgb.height) / 3).max(2), 110);
    while octaves.len() < 8 {
        octaves.push(Octave::new(rgb, cell, amplitude, octaves.is_empty(), rng));
        if cell == 2 {
            break;
        }
        (cell, amplitude) = ((cell / 2).max(2), amplitude * 3 / 5);
    }
    let width = rgb.width;
    for (y, row) in rgb.pixels.chunks_exact_mut(width * 3).enumerate() {
        let ys: Vec<(usize, i64)> = octaves.iter().map(|o| Octave::split(y, o.cell)).collect();
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let mut sum = tint;
            for (octave, &y_split) in octaves.iter().zip(&ys) {
                octave.add(x, y_split, &mut sum);
            }
            for (p, s) in px.iter_mut().zip(sum) {
                *p = (128 + s).clamp(0, 255) as u8;
            }
        }
    }
}

/// A linear gradient between two random colours; `position(x, y)` is `(p, span)`, `p ≤ span`.
fn gradient(
    rgb: &mut Rgb,
    rng: &mut SplitMix64,
    position: impl Fn(usize, usize) -> (usize, usize),
) {
    let (from, to) = (rng.colour(0, 255), rng.colour(0, 255));
    rgb.fill_with(|x, y| {
        let (p, span) = position(x, y);
        mix(from, to, (p as u64 * 65536) / span.max(1) as u64)
    });
}

/// A radial gradient around a random centre, reaching the far colour at the farthest corner.
fn radial_gradient(rgb: &mut Rgb, rng: &mut SplitMix64) {
    let (from, to) = (rng.colour(0, 255), rng.colour(0, 255));
    let cx = rng.below(rgb.width as u32) as i64;
    let cy = rng.below(rgb.height as u32) as i64;
    let distance = |x: i64, y: i64| ((x - cx).pow(2) as u64 + (y - cy).pow(2) as u64).isqrt();
    let (w, h) = (rgb.width as i64 - 1, rgb.height as i64 - 1);
    let farthest = [(0, 0), (w, 0), (0, h), (w, h)]
        .map(|(x, y)| distance(x, y))
        .into_iter()
        .max()
        .unwrap_or(1)
        .max(1);
    rgb.fill_with(|x, y| {
        let d = distance(x as i64, y as i64).min(farthest);
        mix(from, to, d * 65536 / farthest)
    });
}

/// Text-like edges: a dark title bar, lines of glyphs from a random 3×5 "font" with word gaps
/// and ragged line ends, and a one-pixel box, all in dark ink on light paper.
fn text(rgb: &mut Rgb, rng: &mut SplitMix64) {
    let (width, height) = (rgb.width, rgb.height);
    let paper = rng.colour(225, 255);
    let ink = rng.colour(0, 60);
    rgb.fill(paper);
    let scale = (width.min(height) / 120).max(1) * rng.between(1, 2) as usize;
    let (advance, line_height, margin) = (4 * scale, 8 * scale, 2 * scale);
    // Title bar.
    let bar_height = (line_height * 3 / 2).min(height / 4);
    rgb.fill_rect(0, 0, width, bar_height, rng.colour(20, 90));
    // Lines of glyphs.
    let mut top = bar_height + margin;
    while top + 5 * scale <= height {
        let glyphs = (width.saturating_sub(2 * margin) / advance) as u32;
        let length = rng.between(glyphs / 2, glyphs.max(1));
        for g in 0..length as usize {
            if rng.below(6) == 0 {
                continue; // a space between words
            }
            let bits = rng.below(1 << 15);
            let left = margin + g * advance;
            for cell in 0..15 {
                if bits >> cell & 1 == 1 {
                    let (cx, cy) = (left + cell % 3 * scale, top + cell / 3 * scale);
                    rgb.fill_rect(cx, cy, cx + scale, cy + scale, ink);
                }
            }
        }
        top += line_height;
    }
    // A one-pixel box around a random part of the page.
    let (x0, y0) = (
        rng.below(width as u32) as usize,
        rng.below(height as u32) as usize,
    );
    let (x1, y1) = (
        x0 + 1 + rng.below((width - x0) as u32) as usize,
        y0 + 1 + rng.below((height - y0) as u32) as usize,
    );
    rgb.fill_rect(x0, y0, x1, y0 + 1, ink);
    rgb.fill_rect(x0, y1 - 1, x1, y1, ink);
    rgb.fill_rect(x0, y0, x0 + 1, y1, ink);
    rgb.fill_rect(x1 - 1, y0, x1, y1, ink);
}

/// A checkerboard of two random colours with a random square side.
fn checker(rgb: &mut Rgb, rng: &mut SplitMix64) {
    let (a, b) = (rng.colour(0, 255), rng.colour(0, 255));
    let side = rng.between(2, (rgb.width.min(rgb.height) as u32 / 4).max(2)) as usize;
    rgb.fill_with(|x, y| if (x / side + y / side) & 1 == 0 { a } else { b });
}

/// One-pixel lines: a grid with random spacings and the main diagonal, dark on light.
fn lines(rgb: &mut Rgb, rng: &mut SplitMix64) {
    let (paper, ink) = (rng.colour(200, 255), rng.colour(0, 80));
    let (gap_x, gap_y) = (rng.between(3, 12) as usize, rng.between(3, 12) as usize);
    rgb.fill_with(|x, y| {
        if x % gap_x == 0 || y % gap_y == 0 || x == y {
            ink
        } else {
            paper
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

/// One golden input: what to draw and how to lay its bytes out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Unique name: kind, size, format and padding, e.g. `text-333x500-luma8-pad7`.
    pub name: String,
    /// What the picture shows.
    pub kind: Kind,
    /// Seed of the picture's generator.
    pub seed: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Layout of the bytes.
    pub format: PixelFormat,
    /// Bytes from one row to the next; more than a row where the case is padded.
    pub stride: usize,
}

impl Case {
    /// A packed case (stride = one row of pixels).
    pub fn new(kind: Kind, seed: u64, width: u32, height: u32, format: PixelFormat) -> Self {
        Case {
            name: format!("{kind}-{width}x{height}-{}", format.name()),
            kind,
            seed,
            width,
            height,
            format,
            stride: width as usize * format.bytes_per_pixel(),
        }
    }

    /// The same case with `padding` junk bytes after every row.
    pub fn padded(mut self, padding: usize) -> Self {
        self.stride = self.row_bytes() + padding;
        self.name = format!("{}-pad{padding}", self.name);
        self
    }

    /// Bytes of pixels in a row, without padding.
    pub fn row_bytes(&self) -> usize {
        self.width as usize * self.format.bytes_per_pixel()
    }

    /// Whether rows carry padding bytes.
    pub fn is_padded(&self) -> bool {
        self.stride > self.row_bytes()
    }

    /// Length of the hashed plane: `height` rows of `stride` bytes.
    pub fn plane_len(&self) -> usize {
        self.stride * self.height as usize
    }

    /// The bytes handed to [`Frame::new`], with the default junk.
    pub fn generate(&self) -> Vec<u8> {
        self.generate_with_junk(self.seed ^ 0x6a75_6e6b_6a75_6e6b)
    }

    /// The bytes handed to [`Frame::new`]: the hashed plane (rows of `stride` bytes), then for
    /// I420 the U and V planes and for NV12 the UV plane. Padding, alpha (except for the extreme
    /// kinds, where alpha copies the pixel) and chroma are junk drawn from `junk_seed`.
    pub fn generate_with_junk(&self, junk_seed: u64) -> Vec<u8> {
        let (width, height) = (self.width as usize, self.height as usize);
        let rgb = self
            .kind
            .draw(width, height, &mut SplitMix64::new(self.seed));
        let mut junk = SplitMix64::new(junk_seed);
        let mut out = vec![0u8; self.plane_len() + self.chroma_len()];
        junk.fill(&mut out);
        let row_bytes = self.row_bytes();
        for (y, row) in out.chunks_exact_mut(self.stride).take(height).enumerate() {
            let source = &rgb[y * width * 3..(y + 1) * width * 3];
            let pixels = source.chunks_exact(3);
            let targets = row[..row_bytes].chunks_exact_mut(self.format.bytes_per_pixel());
            for (px, target) in pixels.zip(targets) {
                let (r, g, b) = (px[0], px[1], px[2]);
                match self.format {
                    PixelFormat::Rgb8 => target.copy_from_slice(px),
                    PixelFormat::Rgba8 => target[..3].copy_from_slice(px),
                    PixelFormat::Bgra8 => target[..3].copy_from_slice(&[b, g, r]),
                    PixelFormat::Luma8 | PixelFormat::I420 | PixelFormat::Nv12 => {
                        target[0] = grey(r, g, b);
                    }
                }
                if self.format.bytes_per_pixel() == 4 && self.kind.is_extreme() {
                    target[3] = r;
                }
            }
        }
        out
    }

    /// Bytes of the chroma planes after the Y plane (zero for the other formats).
    fn chroma_len(&self) -> usize {
        let chroma_rows = (self.height as usize).div_ceil(2);
        match self.format {
            // U then V, each half the width and height, rows of half the stride.
            PixelFormat::I420 => 2 * chroma_rows * self.stride.div_ceil(2),
            // Interleaved UV, rows of the stride rounded up to even (a row is 2·⌈width/2⌉).
            PixelFormat::Nv12 => chroma_rows * (self.stride + self.stride % 2),
            _ => 0,
        }
    }

    /// The frame over `bytes` (as made by [`Case::generate`]).
    pub fn frame<'a>(&self, bytes: &'a [u8]) -> vigil::Result<Frame<'a>> {
        Frame::new(bytes, self.width, self.height, self.stride, self.format)
    }

    /// The pixels of the hashed plane without padding: `height` rows of `row_bytes`.
    pub fn packed_plane(&self, bytes: &[u8]) -> Vec<u8> {
        bytes
            .chunks(self.stride)
            .take(self.height as usize)
            .flat_map(|row| &row[..self.row_bytes().min(row.len())])
            .copied()
            .collect()
    }
}

/// Grey from RGB in integers: `(77·R + 150·G + 29·B + 128) / 256`; 0 and 255 stay exact.
fn grey(r: u8, g: u8, b: u8) -> u8 {
    ((77 * u32::from(r) + 150 * u32::from(g) + 29 * u32::from(b) + 128) >> 8) as u8
}

/// Every generated case, in manifest order. Names are unique.
pub fn cases() -> Vec<Case> {
    use Kind::*;
    use PixelFormat::*;
    vec![
        // Photo-like textures, across sizes and formats; one of the two 4000×3000 cases.
        Case::new(Photo, 1, 5, 5, Rgb8),
        Case::new(Photo, 2, 17, 31, Rgba8),
        Case::new(Photo, 3, 64, 64, Rgb8),
        Case::new(Photo, 4, 65, 127, Bgra8).padded(12),
        Case::new(Photo, 5, 128, 128, Luma8),
        Case::new(Photo, 6, 255, 257, Rgb8).padded(1),
        Case::new(Photo, 7, 333, 500, Nv12),
        Case::new(Photo, 8, 640, 360, Rgb8),
        Case::new(Photo, 9, 1000, 999, Rgba8),
        Case::new(Photo, 10, 1280, 720, I420).padded(64),
        Case::new(Photo, 11, 1920, 1080, Bgra8),
        Case::new(Photo, 12, 4000, 3000, Rgb8),
        // Gradients, every direction.
        Case::new(GradientH, 20, 5, 9, Luma8),
        Case::new(GradientH, 21, 129, 255, Rgb8),
        Case::new(GradientH, 22, 1280, 720, Nv12),
        Case::new(GradientV, 23, 6, 7, Rgba8),
        Case::new(GradientV, 24, 255, 257, Bgra8),
        Case::new(GradientV, 25, 1000, 999, Luma8).padded(24),
        Case::new(GradientD, 26, 63, 64, I420),
        Case::new(GradientD, 27, 333, 500, Rgb8).padded(3),
        Case::new(GradientD, 28, 1920, 1080, Rgba8),
        Case::new(GradientR, 29, 17, 31, Nv12).padded(15),
        Case::new(GradientR, 30, 128, 128, Rgb8),
        Case::new(GradientR, 31, 640, 360, Luma8),
        // Text-like edges; the other 4000×3000 case is a camera-like NV12 frame with aligned rows.
        Case::new(Text, 40, 5, 5, Luma8),
        Case::new(Text, 41, 64, 64, Bgra8),
        Case::new(Text, 42, 129, 255, I420),
        Case::new(Text, 43, 333, 500, Luma8).padded(7),
        Case::new(Text, 44, 640, 360, Rgba8).padded(4),
        Case::new(Text, 45, 1000, 999, Rgb8),
        Case::new(Text, 46, 1920, 1080, Nv12),
        Case::new(Text, 47, 4000, 3000, Nv12).padded(32),
        // White noise.
        Case::new(Noise, 50, 5, 9, Rgb8),
        Case::new(Noise, 51, 6, 7, Luma8).padded(2),
        Case::new(Noise, 52, 63, 64, Rgba8),
        Case::new(Noise, 53, 255, 257, Nv12),
        Case::new(Noise, 54, 640, 360, Bgra8).padded(16),
        Case::new(Noise, 55, 1280, 720, Rgb8),
        // Checkerboards.
        Case::new(Checker, 60, 17, 31, Rgb8),
        Case::new(Checker, 61, 65, 127, Luma8),
        Case::new(Checker, 62, 333, 500, Bgra8),
        Case::new(Checker, 63, 1000, 999, I420),
        // One-pixel lines.
        Case::new(Lines, 70, 6, 7, Bgra8),
        Case::new(Lines, 71, 128, 128, Nv12),
        Case::new(Lines, 72, 129, 255, Rgba8).padded(8),
        Case::new(Lines, 73, 1280, 720, Luma8),
        // Flat colour (quality 0: the DCT is all zero but for DC).
        Case::new(Flat, 80, 5, 5, Bgra8),
        Case::new(Flat, 81, 64, 64, Luma8),
        Case::new(Flat, 82, 255, 257, Rgb8),
        Case::new(Flat, 83, 640, 360, I420),
        // Fixed-point extremes: all 0, all 255, one-pixel 0/255 checkerboard.
        Case::new(Black, 90, 5, 5, Rgba8),
        Case::new(Black, 91, 333, 500, Luma8),
        Case::new(Black, 92, 1920, 1080, Rgb8),
        Case::new(White, 93, 5, 5, Luma8),
        Case::new(White, 94, 129, 255, Bgra8),
        Case::new(White, 95, 1920, 1080, Rgba8),
        Case::new(White, 96, 1280, 720, I420),
        Case::new(Checker1, 97, 6, 7, Rgb8),
        Case::new(Checker1, 98, 65, 127, Nv12),
        Case::new(Checker1, 99, 255, 257, Luma8),
        Case::new(Checker1, 100, 1000, 999, Rgba8),
        Case::new(Checker1, 101, 1920, 1080, Bgra8).padded(4),
    ]
}

/// A case also written as a PNG file under `golden/inputs/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PngInput {
    /// File name under `golden/inputs/`.
    pub file_name: String,
    /// The packed [`PixelFormat::Rgb8`] or [`PixelFormat::Luma8`] case whose pixels it holds.
    pub case: Case,
}

impl PngInput {
    /// The manifest name: `inputs/<file name>`.
    pub fn name(&self) -> String {
        format!("inputs/{}", self.file_name)
    }

    /// Where the file lives.
    pub fn path(&self) -> PathBuf {
        inputs_dir().join(&self.file_name)
    }
}

/// The PNG inputs, in manifest order: RGB and grey, modest sizes.
pub fn png_inputs() -> Vec<PngInput> {
    use Kind::*;
    use PixelFormat::*;
    [
        Case::new(Photo, 200, 320, 240, Rgb8),
        Case::new(Photo, 201, 256, 192, Luma8),
        Case::new(Text, 202, 400, 300, Luma8),
        Case::new(Text, 203, 300, 420, Rgb8),
        Case::new(GradientR, 204, 257, 129, Rgb8),
        Case::new(Checker, 205, 96, 64, Luma8),
        Case::new(Noise, 206, 61, 47, Rgb8),
        Case::new(Lines, 207, 200, 150, Rgb8),
        Case::new(Checker1, 208, 128, 128, Luma8),
    ]
    .into_iter()
    .map(|case| PngInput {
        file_name: format!("{}.png", case.name),
        case,
    })
    .collect()
}

/// Encodes a packed RGB or grey case as PNG.
pub fn encode_png(case: &Case, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let colour = match case.format {
        PixelFormat::Rgb8 => ExtendedColorType::Rgb8,
        PixelFormat::Luma8 => ExtendedColorType::L8,
        other => {
            return Err(format!(
                "{}: cannot write {} as PNG",
                case.name,
                other.name()
            ));
        }
    };
    if case.is_padded() {
        return Err(format!("{}: a PNG input must be packed", case.name));
    }
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(bytes, case.width, case.height, colour)
        .map_err(|e| format!("{}: {e}", case.name))?;
    Ok(png)
}

// ---------------------------------------------------------------------------------------------
// Manifest
// ---------------------------------------------------------------------------------------------

/// One line of `golden/manifest.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Case name, or `inputs/<file>` for a PNG input.
    pub name: String,
    /// [`Kind::name`], or [`FILE_KIND`].
    pub kind: String,
    /// Generator seed (for a PNG input, its case's).
    pub seed: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel format of the hashed frame (for a PNG input, as decoded).
    pub format: PixelFormat,
    /// Row stride of the hashed frame in bytes.
    pub stride: usize,
    /// blake3 (hex) of the buffer handed to [`Frame::new`], or of the PNG file's bytes.
    pub input_blake3: String,
    /// PDQ quality, 0..=100.
    pub quality: u8,
    /// The eight dihedral hashes in [`vigil::Dihedral::ALL`] order; `dihedral[0]` is the hash.
    pub dihedral: [Hash256; 8],
}

impl Row {
    /// The row of a generated case, from its bytes (as made by [`Case::generate`]).
    pub fn for_case(case: &Case, bytes: &[u8]) -> Result<Row, String> {
        let frame = case
            .frame(bytes)
            .map_err(|e| format!("{}: {e}", case.name))?;
        Ok(Row::new(
            case.name.clone(),
            case.kind.name().to_owned(),
            case.seed,
            &frame,
            bytes,
        ))
    }

    /// The row of a PNG input, decoded from its file with the default options.
    pub fn for_png(input: &PngInput) -> Result<Row, String> {
        let path = input.path();
        let file = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let decoded =
            vigil::decode::decode_file(&path, &Default::default()).map_err(|e| e.to_string())?;
        let frame = decoded
            .frame()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Row::new(
            input.name(),
            FILE_KIND.to_owned(),
            input.case.seed,
            &frame,
            &file,
        ))
    }

    fn new(name: String, kind: String, seed: u64, frame: &Frame<'_>, input: &[u8]) -> Row {
        let DihedralHashes { hashes, quality } = vigil::hash_dihedral(frame);
        Row {
            name,
            kind,
            seed,
            width: frame.width(),
            height: frame.height(),
            format: frame.format(),
            stride: frame.stride(),
            input_blake3: blake3::hash(input).to_hex().to_string(),
            quality,
            dihedral: hashes,
        }
    }

    /// The PDQ hash (the original orientation).
    pub fn hash(&self) -> Hash256 {
        self.dihedral[0]
    }

    /// The `:`-joined dihedral hashes, as in the manifest.
    pub fn dihedral_field(&self) -> String {
        self.dihedral.map(|h| h.to_string()).join(":")
    }

    /// The manifest line (without newline).
    pub fn to_line(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{},{},{},{}",
            self.name,
            self.kind,
            self.seed,
            self.width,
            self.height,
            self.format.name(),
            self.stride,
            self.input_blake3,
            self.quality,
            self.hash(),
            self.dihedral_field()
        )
    }

    /// Parses a manifest line.
    pub fn parse(line: &str) -> Result<Row, String> {
        let fields: Vec<&str> = line.split(',').collect();
        let [
            name,
            kind,
            seed,
            width,
            height,
            format,
            stride,
            blake,
            quality,
            hash,
            dihedral,
        ] = fields[..]
        else {
            return Err(format!("expected 11 fields, got {}: {line}", fields.len()));
        };
        let number = |what: &str, text: &str| -> Result<u64, String> {
            text.parse()
                .map_err(|_| format!("{name}: bad {what} {text:?}"))
        };
        let small = |what: &str, text: &str| -> Result<u32, String> {
            text.parse()
                .map_err(|_| format!("{name}: bad {what} {text:?}"))
        };
        let parse_hash = |text: &str| -> Result<Hash256, String> {
            text.parse().map_err(|e| format!("{name}: {e}"))
        };
        let hashes: Vec<Hash256> = dihedral
            .split(':')
            .map(parse_hash)
            .collect::<Result<_, _>>()?;
        let dihedral: [Hash256; 8] = hashes
            .try_into()
            .map_err(|v: Vec<Hash256>| format!("{name}: {} dihedral hashes, not 8", v.len()))?;
        if parse_hash(hash)? != dihedral[0] {
            return Err(format!("{name}: hash is not the first dihedral hash"));
        }
        if blake.len() != 64 || !blake.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{name}: bad blake3 {blake:?}"));
        }
        if kind != FILE_KIND && Kind::from_name(kind).is_none() {
            return Err(format!("{name}: unknown kind {kind:?}"));
        }
        Ok(Row {
            name: name.to_owned(),
            kind: kind.to_owned(),
            seed: number("seed", seed)?,
            width: small("width", width)?,
            height: small("height", height)?,
            format: PixelFormat::from_name(format)
                .ok_or_else(|| format!("{name}: unknown format {format:?}"))?,
            stride: number("stride", stride)? as usize,
            input_blake3: blake.to_owned(),
            quality: quality
                .parse()
                .ok()
                .filter(|q| *q <= 100)
                .ok_or_else(|| format!("{name}: bad quality {quality:?}"))?,
            dihedral,
        })
    }

    /// What differs from `old` (the recorded row) in `self` (the recomputed one), one entry per
    /// kind of difference; empty when they are equal.
    pub fn differences(&self, old: &Row) -> Vec<String> {
        let name = &self.name;
        let mut out = Vec::new();
        let definition = |r: &Row| {
            format!(
                "{} seed {} {}x{} {} stride {}",
                r.kind,
                r.seed,
                r.width,
                r.height,
                r.format.name(),
                r.stride
            )
        };
        if definition(self) != definition(old) {
            out.push(format!(
                "{name}: case changed: {} -> {}",
                definition(old),
                definition(self)
            ));
        }
        if self.input_blake3 != old.input_blake3 {
            let cause = if self.kind == FILE_KIND {
                "the PNG file changed"
            } else {
                "the generator changed"
            };
            out.push(format!(
                "{name}: input drift ({cause}, not the engine): blake3 {} -> {}",
                old.input_blake3, self.input_blake3
            ));
        }
        if self.hash() != old.hash() || self.quality != old.quality {
            out.push(format!(
                "{name}: hash {} -> {}, quality {} -> {}",
                old.hash(),
                self.hash(),
                old.quality,
                self.quality
            ));
        }
        for (i, orientation) in vigil::Dihedral::ALL.into_iter().enumerate().skip(1) {
            if self.dihedral[i] != old.dihedral[i] {
                out.push(format!(
                    "{name}: dihedral {} {} -> {}",
                    orientation.name(),
                    old.dihedral[i],
                    self.dihedral[i]
                ));
            }
        }
        out
    }
}

/// Parses a whole manifest (header and rows); names must be unique.
pub fn parse_manifest(text: &str) -> Result<Vec<Row>, String> {
    let mut lines = text.lines();
    match lines.next() {
        Some(HEADER) => {}
        other => return Err(format!("manifest header is {other:?}, expected {HEADER:?}")),
    }
    let rows: Vec<Row> = lines
        .filter(|l| !l.trim().is_empty())
        .map(Row::parse)
        .collect::<Result<_, _>>()?;
    let mut seen = BTreeMap::new();
    for row in &rows {
        if seen.insert(row.name.as_str(), ()).is_some() {
            return Err(format!("manifest names {} twice", row.name));
        }
    }
    Ok(rows)
}

/// Reads and parses `golden/manifest.csv`.
pub fn read_manifest() -> Result<Vec<Row>, String> {
    let path = manifest_path();
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_manifest(&text)
}

/// The manifest text for `rows`, header first, one line each, newline-terminated.
pub fn manifest_text(rows: &[Row]) -> String {
    let mut text = format!("{HEADER}\n");
    for row in rows {
        text.push_str(&row.to_line());
        text.push('\n');
    }
    text
}

/// Regenerates and hashes every case, on all cores, in the order of `cases`.
pub fn compute_case_rows(cases: &[Case]) -> Vec<Result<Row, String>> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![None; cases.len()]);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let row = Row::for_case(case, &case.generate());
                    if let Ok(mut results) = results.lock() {
                        results[i] = Some(row);
                    }
                }
            });
        }
    });
    let results: Vec<Option<Result<Row, String>>> = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    results
        .into_iter()
        .zip(cases)
        .map(|(row, case)| row.unwrap_or_else(|| Err(format!("{}: not computed", case.name))))
        .collect()
}

/// Compares recomputed rows with the recorded manifest: every difference, including cases missing
/// from the manifest and manifest rows that no case makes any more.
pub fn compare(recorded: &[Row], computed: &[Row]) -> Vec<String> {
    let old: BTreeMap<&str, &Row> = recorded.iter().map(|r| (r.name.as_str(), r)).collect();
    let new: BTreeMap<&str, &Row> = computed.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut out = Vec::new();
    for row in computed {
        match old.get(row.name.as_str()) {
            Some(old) => out.extend(row.differences(old)),
            None => out.push(format!("{}: not in the manifest", row.name)),
        }
    }
    for row in recorded {
        if !new.contains_key(row.name.as_str()) {
            out.push(format!(
                "{}: in the manifest but no longer generated",
                row.name
            ));
        }
    }
    out
}

/// Hashes every PNG input from its file under `golden/inputs/`, in the order of [`png_inputs`].
pub fn compute_png_rows() -> Vec<Result<Row, String>> {
    png_inputs().iter().map(Row::for_png).collect()
}

/// PNG files under `golden/inputs/` that are not among [`png_inputs`] (file names, sorted).
pub fn stray_inputs() -> Result<Vec<String>, String> {
    let dir = inputs_dir();
    let expected: Vec<String> = png_inputs().into_iter().map(|i| i.file_name).collect();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let mut stray = Vec::new();
    for entry in entries {
        let name = entry
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".png") && !expected.contains(&name) {
            stray.push(name);
        }
    }
    stray.sort();
    Ok(stray)
}
