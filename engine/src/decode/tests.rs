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
    // The decoder's 1-byte pixels, hashed as they are (no 8-bit copy), and the inflated rows
    // (a filter byte a row) that decode/png.rs holds beside them.
    assert_eq!(
        decoded_bytes_estimate(&path),
        Some(40 * 30 + (40 * 30 + 30))
    );
    let rgba = dir.join("rgba.png");
    image::RgbaImage::new(40, 30).save(&rgba).unwrap();
    // The decoder's 4-byte pixels plus the 3-byte RGB copy, and the inflated rows.
    assert_eq!(
        decoded_bytes_estimate(&rgba),
        Some(40 * 30 * 7 + (40 * 30 * 4 + 30))
    );
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

fn photo(width: u32, height: u32) -> image::RgbImage {
    let pixels = crate::synthetic::synthetic_frame(width, height, PixelFormat::Rgb8, 3);
    image::RgbImage::from_raw(width, height, pixels).unwrap()
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

/// The PDQ hash of decoded pixels.
fn pdq(image: &DecodedImage) -> crate::PdqHash {
    crate::hash(&image.frame().unwrap())
}

#[test]
fn an_empty_file_says_so() {
    let error = decode_bytes(b"", "empty.jpg", &DecodeOptions::default()).unwrap_err();
    assert!(
        error.to_string().contains("empty file (0 bytes)"),
        "{error}"
    );
}

/// Every format: a file cut to half, or missing its last bytes, is an error that says
/// "truncated", never the hash of what arrived. The one exception is a file that lost only bytes
/// that hold no pixel, at its very end: PNG's IEND checksum (4 bytes, in an ICO too), GIF's
/// trailer, block terminator and the bits after the image data's end code. Such a file may
/// decode, and then to the whole file's pixels (as in Pillow, which also takes a PNG missing all
/// of IEND).
#[test]
fn truncated_files_are_errors_in_every_format() {
    let rgb = DynamicImage::ImageRgb8(photo(64, 48));
    let rgba = DynamicImage::ImageRgba8(rgb.to_rgba8());
    for (format, name, image, pixel_free_end) in [
        (ImageFormat::Png, "t.png", &rgb, 4),
        (ImageFormat::Jpeg, "t.jpg", &rgb, 0),
        (ImageFormat::Gif, "t.gif", &rgba, 4),
        (ImageFormat::WebP, "t.webp", &rgb, 0),
        (ImageFormat::Bmp, "t.bmp", &rgb, 0),
        (ImageFormat::Tiff, "t.tif", &rgb, 0),
        (ImageFormat::Pnm, "t.ppm", &rgb, 0),
        (ImageFormat::Qoi, "t.qoi", &rgb, 0),
        (ImageFormat::Tga, "t.tga", &rgb, 0),
        (ImageFormat::Ico, "t.ico", &rgba, 4),
    ] {
        let bytes = encode(image, format);
        let options = DecodeOptions::default();
        let whole = decode_bytes(&bytes, name, &options).unwrap();
        let n = bytes.len();
        for keep in [
            n / 2,
            n / 3 * 2,
            n - 16,
            n - 12,
            n - 8,
            n - 5,
            n - 4,
            n - 3,
            n - 2,
            n - 1,
        ] {
            let what = format!("{format:?} cut to {keep} of {n} bytes");
            match decode_bytes(&bytes[..keep], name, &options) {
                Ok(decoded) => assert!(
                    n - keep <= pixel_free_end && decoded == whole,
                    "{what}: decoded"
                ),
                Err(error) => assert!(error.to_string().contains("truncated"), "{what}: {error}"),
            }
        }
    }
}

/// The camera trailer after a JPEG's end marker (Samsung's SEF, an MPO's second image) is not
/// part of the picture: Pillow ignores it, and so does vigil.
#[test]
fn bytes_after_a_jpeg_end_marker_are_ignored() {
    let bytes = encode(&DynamicImage::ImageRgb8(photo(64, 48)), ImageFormat::Jpeg);
    let options = DecodeOptions::default();
    let whole = decode_bytes(&bytes, "t.jpg", &options).unwrap();
    let trailer = [&bytes[..], b"\0\0\x01\n\x0e\0Image_UTC_Data\xFF\xD8 SEFT"].concat();
    assert_eq!(decode_bytes(&trailer, "t.jpg", &options).unwrap(), whole);
}

/// What `ffmpeg -f image2` writes (PPM, PGM, PBM, PAM), QOI, TGA and ICO decode to the pixels
/// they were written from, and hash as those pixels do.
#[test]
fn pnm_qoi_tga_and_ico_files_hash_as_their_pixels() {
    use image::codecs::pnm::{PnmEncoder, PnmSubtype, SampleEncoding};
    let (w, h) = (97, 61);
    let rgb = photo(w, h);
    let grey = DynamicImage::ImageRgb8(rgb.clone()).to_luma8();
    // PBM: the encoder takes 0 (black) and 1 (white); decoders give 0 and 255.
    let bits = image::GrayImage::from_fn(w, h, |x, y| image::Luma([(grey[(x, y)][0] > 128) as u8]));
    let black_white: Vec<u8> = bits.as_raw().iter().map(|&b| b * 255).collect();
    let pnm = |image: DynamicImage, subtype: PnmSubtype| {
        let mut bytes = Vec::new();
        image
            .write_with_encoder(PnmEncoder::new(&mut bytes).with_subtype(subtype))
            .unwrap();
        bytes
    };
    let rgb_pixels = (rgb.as_raw().clone(), PixelFormat::Rgb8);
    let cases = [
        (
            "ppm",
            pnm(
                DynamicImage::ImageRgb8(rgb.clone()),
                PnmSubtype::Pixmap(SampleEncoding::Binary),
            ),
            rgb_pixels.clone(),
        ),
        (
            "pgm",
            pnm(
                DynamicImage::ImageLuma8(grey.clone()),
                PnmSubtype::Graymap(SampleEncoding::Binary),
            ),
            (grey.as_raw().clone(), PixelFormat::Luma8),
        ),
        (
            "pbm",
            pnm(
                DynamicImage::ImageLuma8(bits),
                PnmSubtype::Bitmap(SampleEncoding::Binary),
            ),
            (black_white, PixelFormat::Luma8),
        ),
        (
            "pam",
            pnm(
                DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(rgb.clone()).to_rgba8()),
                PnmSubtype::ArbitraryMap,
            ),
            rgb_pixels.clone(),
        ),
        (
            "qoi",
            encode(&DynamicImage::ImageRgb8(rgb.clone()), ImageFormat::Qoi),
            rgb_pixels.clone(),
        ),
        (
            "tga",
            encode(&DynamicImage::ImageRgb8(rgb.clone()), ImageFormat::Tga),
            rgb_pixels.clone(),
        ),
        (
            "ico",
            encode(
                &DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(rgb.clone()).to_rgba8()),
                ImageFormat::Ico,
            ),
            rgb_pixels.clone(),
        ),
    ];
    for (extension, bytes, (pixels, format)) in cases {
        let name = format!("image.{extension}");
        let decoded = decode_bytes(&bytes, &name, &DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{extension}: {e}"));
        let expected = DecodedImage {
            pixels,
            width: w,
            height: h,
            format,
        };
        assert_eq!(decoded, expected, "{extension}");
        assert_eq!(pdq(&decoded), pdq(&expected), "{extension}");
    }
}

/// TGA has no signature: a file is known by its `.tga` extension, from a path as from a name.
#[test]
fn a_tga_file_is_known_by_its_extension() {
    let rgb = photo(40, 30);
    let bytes = encode(&DynamicImage::ImageRgb8(rgb.clone()), ImageFormat::Tga);
    let dir = std::env::temp_dir().join(format!("vigil-tga-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("picture.TGA");
    std::fs::write(&path, &bytes).unwrap();
    let decoded = decode_file(&path, &DecodeOptions::default()).unwrap();
    assert_eq!(decoded.pixels, rgb.into_raw());
    assert!(decoded_bytes_estimate(&path).is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A 17000×1000 panorama is over [`MAX_SIDE`], the bound of the hash's integer filter: the error
/// names the size and the limit (not the `image` crate's "Image size exceeds limit"). Resized
/// for the C++ CLI first, as that CLI does, it hashes.
#[test]
fn a_side_over_max_side_is_refused_with_the_size_and_the_limit() {
    let panorama = image::GrayImage::from_fn(17000, 1000, |x, y| image::Luma([(x / 7 + y) as u8]));
    let bytes = encode(&DynamicImage::ImageLuma8(panorama), ImageFormat::Png);
    let error = decode_bytes(&bytes, "wide.png", &DecodeOptions::default()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("17000x1000") && message.contains("16384"),
        "{message}"
    );
    let options = DecodeOptions {
        cpp_cli_resize: true,
        ..DecodeOptions::default()
    };
    let resized = decode_bytes(&bytes, "wide.png", &options).unwrap();
    assert_eq!((resized.width, resized.height), (512, 512));
}

/// Without the `avif` / `heic` features an AVIF or HEIC file is refused with a message naming
/// the feature, not "format not supported".
#[test]
fn heif_files_without_their_feature_name_it() {
    let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf\0\0\0\x08meta";
    let heic = b"\0\0\0\x1cftypheic\0\0\0\0mif1heicmiaf\0\0\0\x08meta";
    for (bytes, feature, message) in [
        (
            &avif[..],
            cfg!(feature = "avif"),
            "AVIF support is not built in; build with --features avif",
        ),
        (
            &heic[..],
            cfg!(feature = "heic"),
            "HEIC support is not built in; build with --features heic",
        ),
    ] {
        let error = decode_bytes(bytes, "x", &DecodeOptions::default())
            .unwrap_err()
            .to_string();
        if feature {
            assert!(!error.contains("not built in"), "{error}");
        } else {
            assert!(error.contains(message), "{error}");
        }
    }
}

/// `rgb` encoded by libheif (AV1 through libaom, HEVC through x265) at quality 90.
#[cfg(any(feature = "avif", feature = "heic"))]
fn heif_encode(rgb: &image::RgbImage, format: libheif_rs::CompressionFormat) -> Vec<u8> {
    use libheif_rs::{Channel, ColorSpace, EncoderQuality, HeifContext, LibHeif, RgbChroma};
    let (w, h) = rgb.dimensions();
    let mut image = libheif_rs::Image::new(w, h, ColorSpace::Rgb(RgbChroma::Rgb)).unwrap();
    image.create_plane(Channel::Interleaved, w, h, 8).unwrap();
    let planes = image.planes_mut();
    let plane = planes.interleaved.unwrap();
    for (y, row) in rgb.as_raw().chunks_exact(w as usize * 3).enumerate() {
        plane.data[y * plane.stride..][..row.len()].copy_from_slice(row);
    }
    let library = LibHeif::new();
    let mut encoder = library.encoder_for_format(format).unwrap();
    encoder.set_quality(EncoderQuality::Lossy(90)).unwrap();
    let mut context = HeifContext::new().unwrap();
    context.encode_image(&image, &mut encoder, None).unwrap();
    context.write_to_bytes().unwrap()
}

/// An AVIF or HEIC file hashes within a few bits of the pixels it was encoded from (the codecs
/// are lossy), a truncated one is an error, and the estimate reads its header.
#[cfg(any(feature = "avif", feature = "heic"))]
#[test]
fn avif_and_heic_files_hash_as_their_pixels_within_a_few_bits() {
    let (w, h) = (320, 240);
    let rgb = photo(w, h);
    let original = DecodedImage {
        pixels: rgb.as_raw().clone(),
        width: w,
        height: h,
        format: PixelFormat::Rgb8,
    };
    let mut formats = Vec::new();
    if cfg!(feature = "avif") {
        formats.push(("avif", libheif_rs::CompressionFormat::Av1));
    }
    if cfg!(feature = "heic") {
        formats.push(("heic", libheif_rs::CompressionFormat::Hevc));
    }
    for (extension, format) in formats {
        let bytes = heif_encode(&rgb, format);
        let name = format!("photo.{extension}");
        let decoded = decode_bytes(&bytes, &name, &DecodeOptions::default()).unwrap();
        assert_eq!((decoded.width, decoded.height), (w, h), "{extension}");
        let (got, want) = (pdq(&decoded), pdq(&original));
        let bits = got.hash.distance(&want.hash);
        eprintln!(
            "{extension}: {bits} bits from the source pixels, quality {}",
            got.quality
        );
        assert!(bits <= 12, "{extension}: {bits} bits");
        assert!(got.quality.abs_diff(want.quality) <= 5, "{extension}");

        for keep in [bytes.len() / 2, bytes.len() - 4] {
            let error = decode_bytes(&bytes[..keep], &name, &DecodeOptions::default())
                .expect_err(extension)
                .to_string();
            assert!(error.contains("truncated"), "{extension}: {error}");
        }

        let small = DecodeOptions {
            max_alloc: 1000,
            ..DecodeOptions::default()
        };
        let error = decode_bytes(&bytes, &name, &small).unwrap_err().to_string();
        assert!(error.contains("over the limit"), "{extension}: {error}");

        let dir = std::env::temp_dir().join(format!("vigil-heif-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(&name);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            decode_file(&path, &DecodeOptions::default()).unwrap(),
            decoded
        );
        assert_eq!(
            decoded_bytes_estimate(&path),
            Some(heif::bytes_needed(w, h))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// A file larger than `max_alloc` is refused before it is read whole, and the count the files
/// pipeline reports is what was read (the limit and one byte), with no second look at the file.
#[test]
fn a_file_over_the_allocation_limit_is_refused_unread() {
    let bytes = encode(&DynamicImage::ImageRgb8(photo(40, 30)), ImageFormat::Png);
    let dir = std::env::temp_dir().join(format!("vigil-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("large.png");
    std::fs::write(&path, &bytes).unwrap();
    let small = DecodeOptions::default().max_alloc(100);
    let (refused, read) = super::decode_file_counted(&path, &small);
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("more than 100 bytes"), "{message}");
    assert_eq!(read, 101);
    let (decoded, read) = super::decode_file_counted(&path, &DecodeOptions::default());
    assert!(decoded.is_ok());
    assert_eq!(read, bytes.len() as u64);
    let (missing, read) = super::decode_file_counted(&dir.join("missing.png"), &small);
    assert!(missing.is_err());
    assert_eq!(read, 0, "a file that cannot be opened counts no bytes");
    std::fs::remove_dir_all(&dir).unwrap();
}
