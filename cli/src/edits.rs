//! The edits `vigil robustness` applies to photos: what re-posts do to a known picture (padding,
//! letterboxing, a blurred pillarbox, a post's canvas, a caption band, a watermark, crops, small
//! turns, re-encoding, dimming). They make test inputs; no hash bit depends on their arithmetic.

use image::{Rgb, RgbImage, imageops};

/// One edit, by the name the command line takes.
#[derive(Clone, Copy, Debug)]
pub struct Edit {
    pub name: &'static str,
    apply: fn(&RgbImage) -> RgbImage,
}

impl Edit {
    pub fn apply(&self, photo: &RgbImage) -> RgbImage {
        (self.apply)(photo)
    }
}

/// Every edit, in the order the table prints them.
pub const ALL: &[Edit] = &[
    Edit {
        name: "none",
        apply: |p| p.clone(),
    },
    Edit {
        name: "jpeg70",
        apply: |p| jpeg(p, 70),
    },
    Edit {
        name: "scale50",
        apply: |p| scale(p, 50),
    },
    Edit {
        name: "blur2",
        apply: |p| imageops::blur(p, 2.0),
    },
    Edit {
        name: "pad10-black",
        apply: |p| pad(p, 10, Rgb([0, 0, 0])),
    },
    Edit {
        name: "pad20-black",
        apply: |p| pad(p, 20, Rgb([0, 0, 0])),
    },
    Edit {
        name: "pad10-grey",
        apply: |p| pad(p, 10, Rgb([128, 128, 128])),
    },
    Edit {
        name: "pad15-colour",
        apply: |p| pad(p, 15, Rgb([40, 110, 190])),
    },
    Edit {
        name: "letterbox",
        apply: letterbox_square,
    },
    Edit {
        name: "letterbox+jpeg70",
        apply: |p| jpeg(&letterbox_square(p), 70),
    },
    Edit {
        name: "blurred-pillarbox",
        apply: blurred_pillarbox,
    },
    Edit {
        name: "canvas-post",
        apply: canvas_post,
    },
    Edit {
        name: "caption15",
        apply: caption_band,
    },
    Edit {
        name: "watermark",
        apply: |p| watermark(p, 4, 1, 65, 18),
    },
    Edit {
        name: "watermark-large",
        apply: |p| watermark(p, 2, 2, 90, 10),
    },
    Edit {
        name: "crop2",
        apply: |p| crop(p, 2),
    },
    Edit {
        name: "crop5",
        apply: |p| crop(p, 5),
    },
    Edit {
        name: "crop10",
        apply: |p| crop(p, 10),
    },
    Edit {
        name: "rotate2",
        apply: |p| rotate(p, 2.0),
    },
    Edit {
        name: "rotate5",
        apply: |p| rotate(p, 5.0),
    },
    Edit {
        name: "rotate-3",
        apply: |p| rotate(p, -3.0),
    },
    Edit {
        name: "flip",
        apply: |p| imageops::flip_horizontal(p),
    },
    Edit {
        name: "rotate90",
        apply: |p| imageops::rotate90(p),
    },
    Edit {
        name: "darken30",
        apply: |p| map_levels(p, |v| v * 0.7),
    },
    Edit {
        name: "contrast70",
        apply: |p| map_levels(p, |v| 128.0 + (v - 128.0) * 0.7),
    },
];

/// A list of edits (its own type so clap takes the list as one value).
#[derive(Clone, Debug)]
pub struct Edits(pub Vec<Edit>);

/// The edits named in `list` (comma-separated), or every edit for `all`.
pub fn by_names(list: &str) -> Result<Edits, String> {
    if list == "all" {
        return Ok(Edits(ALL.to_vec()));
    }
    list.split(',')
        .map(|name| {
            ALL.iter()
                .find(|edit| edit.name == name.trim())
                .copied()
                .ok_or_else(|| format!("no edit named {name:?} (known: all, {})", names()))
        })
        .collect::<Result<Vec<Edit>, String>>()
        .map(Edits)
}

/// The names of every edit, comma-separated.
pub fn names() -> String {
    ALL.iter()
        .map(|edit| edit.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Encoded as JPEG at `quality` and decoded again.
fn jpeg(photo: &RgbImage, quality: u8) -> RgbImage {
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    photo
        .write_with_encoder(encoder)
        .expect("encoding to memory cannot fail");
    image::load_from_memory(&bytes)
        .expect("a JPEG just written decodes")
        .to_rgb8()
}

fn scale(photo: &RgbImage, percent: u32) -> RgbImage {
    let (w, h) = photo.dimensions();
    imageops::resize(
        photo,
        (w * percent / 100).max(1),
        (h * percent / 100).max(1),
        imageops::FilterType::Triangle,
    )
}

/// `photo` on a canvas `percent` larger on each side, centred.
fn pad(photo: &RgbImage, percent: u32, colour: Rgb<u8>) -> RgbImage {
    let (w, h) = photo.dimensions();
    let (dx, dy) = (w * percent / 100, h * percent / 100);
    let mut canvas = RgbImage::from_pixel(w + 2 * dx, h + 2 * dy, colour);
    imageops::overlay(&mut canvas, photo, i64::from(dx), i64::from(dy));
    canvas
}

/// `photo` in black bars to a square.
fn letterbox_square(photo: &RgbImage) -> RgbImage {
    let (w, h) = photo.dimensions();
    let side = w.max(h);
    let mut canvas = RgbImage::from_pixel(side, side, Rgb([0, 0, 0]));
    imageops::overlay(
        &mut canvas,
        photo,
        i64::from((side - w) / 2),
        i64::from((side - h) / 2),
    );
    canvas
}

/// `photo` fitted into a 9:16 portrait frame whose rest is a blurred, enlarged copy of it (as
/// short-video apps pillarbox a landscape picture).
fn blurred_pillarbox(photo: &RgbImage) -> RgbImage {
    let (w, h) = photo.dimensions();
    let (cw, ch) = (w, w * 16 / 9);
    let fitted_h = (h * cw / w).min(ch);
    let fitted = imageops::resize(photo, cw, fitted_h, imageops::FilterType::Triangle);
    let background = imageops::resize(
        photo,
        cw * ch / fitted_h.max(1),
        ch,
        imageops::FilterType::Triangle,
    );
    let background =
        imageops::crop_imm(&background, (background.width() - cw) / 2, 0, cw, ch).to_image();
    let mut canvas = imageops::blur(
        &imageops::resize(&background, cw / 8, ch / 8, imageops::FilterType::Triangle),
        3.0,
    );
    canvas = imageops::resize(&canvas, cw, ch, imageops::FilterType::Triangle);
    imageops::overlay(&mut canvas, &fitted, 0, i64::from((ch - fitted_h) / 2));
    canvas
}

/// `photo` at 70% of a white post: a header with an avatar and a name, a caption under it.
fn canvas_post(photo: &RgbImage) -> RgbImage {
    let (w, h) = photo.dimensions();
    let (pw, ph) = (w * 7 / 10, h * 7 / 10);
    let picture = imageops::resize(photo, pw, ph, imageops::FilterType::Triangle);
    let header = h / 8;
    let (cw, ch) = (w, header + ph + h / 5);
    let mut canvas = RgbImage::from_pixel(cw, ch, Rgb([255, 255, 255]));
    let avatar = header / 2;
    fill_disc(
        &mut canvas,
        (w - pw) / 2 + avatar / 2,
        header / 2,
        avatar / 2,
        Rgb([90, 140, 200]),
    );
    text_lines(
        &mut canvas,
        (w - pw) / 2 + avatar * 2,
        header / 3,
        pw / 2,
        1,
        header / 4,
        Rgb([20, 20, 20]),
        1,
    );
    imageops::overlay(
        &mut canvas,
        &picture,
        i64::from((w - pw) / 2),
        i64::from(header),
    );
    text_lines(
        &mut canvas,
        (w - pw) / 2,
        header + ph + h / 40,
        pw,
        3,
        h / 40,
        Rgb([30, 30, 30]),
        2,
    );
    canvas
}

/// A white band of 15% of the height on top with two lines of dark text.
fn caption_band(photo: &RgbImage) -> RgbImage {
    let (w, h) = photo.dimensions();
    let band = h * 15 / 100;
    let mut canvas = RgbImage::from_pixel(w, h + band, Rgb([250, 250, 250]));
    text_lines(
        &mut canvas,
        w / 20,
        band / 5,
        w * 9 / 10,
        2,
        band / 5,
        Rgb([15, 15, 15]),
        3,
    );
    imageops::overlay(&mut canvas, photo, 0, i64::from(band));
    canvas
}

/// `lines` lines of white text, `percent` opaque, in the lower right corner, 1/`width_part` of
/// the width wide (the mild one: a quarter, one line, 65%; the large one: half, two lines, 90%).
fn watermark(
    photo: &RgbImage,
    width_part: u32,
    lines: u32,
    percent: u32,
    height_part: u32,
) -> RgbImage {
    let (w, h) = photo.dimensions();
    let mut marked = photo.clone();
    let (mw, line) = (w / width_part, (h / height_part).max(4));
    let (x0, y0) = (w - mw - w / 30, h - (lines + 1) * line - h / 30);
    let mut mask = RgbImage::new(w, h);
    text_lines(&mut mask, x0, y0, mw, lines, line, Rgb([255, 255, 255]), 4);
    for (x, y, m) in mask.enumerate_pixels() {
        if m[0] > 0 {
            let p = marked.get_pixel_mut(x, y);
            for c in 0..3 {
                p[c] = ((u32::from(p[c]) * (100 - percent) + 255 * percent) / 100) as u8;
            }
        }
    }
    marked
}

/// `percent` of each side cut away.
fn crop(photo: &RgbImage, percent: u32) -> RgbImage {
    let (w, h) = photo.dimensions();
    let (dx, dy) = (w * percent / 100, h * percent / 100);
    imageops::crop_imm(photo, dx, dy, w - 2 * dx, h - 2 * dy).to_image()
}

/// Turned `degrees` counter-clockwise about the centre on a canvas of the same size, corners
/// black (as most editors turn without expanding), bilinear.
fn rotate(photo: &RgbImage, degrees: f64) -> RgbImage {
    let (w, h) = photo.dimensions();
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (f64::from(x) + 0.5 - cx, f64::from(y) + 0.5 - cy);
        // The source point that lands here: the inverse turn (y grows downwards).
        let sx = cos * dx - sin * dy + cx - 0.5;
        let sy = sin * dx + cos * dy + cy - 0.5;
        if sx < -0.5 || sy < -0.5 || sx > f64::from(w) - 0.5 || sy > f64::from(h) - 0.5 {
            return Rgb([0, 0, 0]);
        }
        let (x0, y0) = (sx.floor().max(0.0) as u32, sy.floor().max(0.0) as u32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (
            (sx - f64::from(x0)).clamp(0.0, 1.0),
            (sy - f64::from(y0)).clamp(0.0, 1.0),
        );
        let mut out = [0u8; 3];
        for (c, value) in out.iter_mut().enumerate() {
            let at = |x: u32, y: u32| f64::from(photo.get_pixel(x, y)[c]);
            let top = at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx;
            let bottom = at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx;
            *value = (top * (1.0 - fy) + bottom * fy).round() as u8;
        }
        Rgb(out)
    })
}

fn map_levels(photo: &RgbImage, f: impl Fn(f64) -> f64) -> RgbImage {
    let table: Vec<u8> = (0..256)
        .map(|v| f(f64::from(v)).round().clamp(0.0, 255.0) as u8)
        .collect();
    let mut out = photo.clone();
    for p in out.pixels_mut() {
        for c in 0..3 {
            p[c] = table[p[c] as usize];
        }
    }
    out
}

fn fill_disc(canvas: &mut RgbImage, cx: u32, cy: u32, r: u32, colour: Rgb<u8>) {
    let r2 = i64::from(r) * i64::from(r);
    for y in cy.saturating_sub(r)..(cy + r).min(canvas.height()) {
        for x in cx.saturating_sub(r)..(cx + r).min(canvas.width()) {
            let (dx, dy) = (i64::from(x) - i64::from(cx), i64::from(y) - i64::from(cy));
            if dx * dx + dy * dy <= r2 {
                canvas.put_pixel(x, y, colour);
            }
        }
    }
}

/// `lines` lines of text-like strokes: words of random length made of letter-sized blocks with
/// gaps, `height` tall, from (`x0`, `y0`) across `width`, one line every 1.8 heights.
#[expect(
    clippy::too_many_arguments,
    reason = "a drawing helper called from four edits"
)]
fn text_lines(
    canvas: &mut RgbImage,
    x0: u32,
    y0: u32,
    width: u32,
    lines: u32,
    height: u32,
    colour: Rgb<u8>,
    seed: u64,
) {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = |n: u32| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % u64::from(n.max(1))) as u32
    };
    let letter = (height * 6 / 10).max(2);
    for line in 0..lines {
        let top = y0 + line * height * 18 / 10;
        let mut x = x0;
        while x + letter < x0 + width {
            let word = 2 + next(7);
            for _ in 0..word {
                if x + letter >= x0 + width {
                    break;
                }
                // A letter: a vertical stroke and a bar at a random height.
                let stroke = (letter / 4).max(1);
                let bar = next(height.max(1));
                for y in top..(top + height).min(canvas.height()) {
                    for dx in 0..letter {
                        let xx = x + dx;
                        if xx >= canvas.width() {
                            continue;
                        }
                        let in_stroke = dx < stroke
                            || (dx >= letter - stroke && next(2) == 0 && y > top + height / 3);
                        let in_bar = y >= top + bar.min(height - 1)
                            && y < top + bar.min(height - 1) + stroke;
                        if in_stroke || in_bar {
                            canvas.put_pixel(xx, y, colour);
                        }
                    }
                }
                x += letter + letter / 3;
            }
            x += letter;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_edit_gives_a_picture_of_a_sensible_size() {
        let photo = RgbImage::from_fn(160, 120, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 100])
        });
        for edit in ALL {
            let out = edit.apply(&photo);
            assert!(
                out.width() >= 60 && out.height() >= 60,
                "{}: {:?}",
                edit.name,
                out.dimensions()
            );
        }
        assert_eq!(by_names("crop2,rotate5").unwrap().0.len(), 2);
        assert!(by_names("crop3").is_err());
    }
}
