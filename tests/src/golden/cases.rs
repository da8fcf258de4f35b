//! The golden cases (a kind, a seed, a size, a pixel format, a stride) and the PNG files made from some of them.

use super::*;

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
                    other => unimplemented!("golden frames in {other:?}"),
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
