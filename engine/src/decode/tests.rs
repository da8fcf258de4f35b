//! Decoding tests: pixel conversions, limits, truncated files, formats.

use super::*;

#[test]
fn a_decoder_panic_is_an_error_for_that_file() {
    let error = guarded(|| -> u32 { panic!("bad chunk") }).unwrap_err();
    assert!(error.contains("bad chunk"), "{error}");
    assert_eq!(guarded(|| 7), Ok(7));
}

/// `image` written as a PNG and decoded back as vigil decodes files.
fn png_round_trip(image: DynamicImage) -> DecodedImage {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    decode_bytes(&bytes, "test.png", &DecodeOptions::default()).unwrap()
}

/// 16-bit channels are scaled to 8 bits, alpha dropped (not composited), grey kept as one
/// channel: the pixels Pillow's `convert("RGB")` hands the reference.
#[test]
fn sixteen_bit_alpha_and_grey_files_become_8_bit_rgb_or_grey() {
    let grey16 = image::ImageBuffer::from_pixel(6, 5, image::Luma([0xFFFFu16]));
    let decoded = png_round_trip(DynamicImage::ImageLuma16(grey16));
    assert_eq!(decoded.format, PixelFormat::Luma8);
    assert!(decoded.pixels.iter().all(|&p| p == 255));

    let rgba16 = image::ImageBuffer::from_pixel(6, 5, image::Rgba([0x8080u16, 0, 0xFFFF, 0]));
    let decoded = png_round_trip(DynamicImage::ImageRgba16(rgba16));
    assert_eq!(decoded.format, PixelFormat::Rgb8);
    assert_eq!(
        &decoded.pixels[..3],
        &[128, 0, 255],
        "alpha 0 is dropped, not composited"
    );

    let grey_alpha = image::ImageBuffer::from_pixel(6, 5, image::LumaA([77u8, 3]));
    let decoded = png_round_trip(DynamicImage::ImageLumaA8(grey_alpha));
    assert_eq!(decoded.format, PixelFormat::Luma8);
    assert!(decoded.pixels.iter().all(|&p| p == 77));
}

#[test]
fn the_estimate_reads_the_header_only() {
    let dir = std::env::temp_dir().join(format!("vigil-estimate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("grey.png");
    image::GrayImage::new(40, 30).save(&path).unwrap();
    // The decoder's 1-byte pixels plus the 3-byte copy.
    assert_eq!(decoded_bytes_estimate(&path), Some(40 * 30 * 4));
    std::fs::write(&path, b"not an image").unwrap();
    assert_eq!(decoded_bytes_estimate(&path), None);
    assert_eq!(decoded_bytes_estimate(&dir.join("missing.png")), None);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `width`×`height` RGBA16 but whose data is a few bytes.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (
            *b"IHDR",
            [
                &width.to_be_bytes()[..],
                &height.to_be_bytes(),
                &[16, 6, 0, 0, 0],
            ]
            .concat(),
        ),
        (
            *b"IDAT",
            vec![0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        ),
        (*b"IEND", vec![]),
    ] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let body = [&kind[..], &data].concat();
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    png
}

#[test]
fn decompression_bomb_is_refused_before_allocating() {
    let error = decode_bytes(
        &png_bomb(16000, 16000),
        "bomb.png",
        &DecodeOptions::default(),
    )
    .expect_err("2 GB of pixels must be refused");
    assert!(error.to_string().contains("over the limit"), "{error}");
}

#[test]
fn oversized_and_truncated_files_are_errors() {
    let too_wide = decode_bytes(&png_bomb(40000, 1), "wide.png", &DecodeOptions::default());
    assert!(too_wide.is_err());
    for bytes in [
        &b""[..],
        b"\x89PNG\r\n",
        b"not an image at all",
        &png_bomb(64, 64)[..40],
    ] {
        assert!(decode_bytes(bytes, "bad", &DecodeOptions::default()).is_err());
    }
}
