//! The kinds of picture a golden input can be, each painted by integer arithmetic.

use super::*;

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
    pub(super) const fn is_extreme(self) -> bool {
        matches!(self, Kind::Black | Kind::White | Kind::Checker1)
    }

    /// Draws the picture: `width × height` RGB pixels, packed.
    pub(super) fn draw(self, width: usize, height: usize, rng: &mut SplitMix64) -> Vec<u8> {
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
