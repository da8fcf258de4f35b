//! Robust queries (issue 13) on every backend: an upload's variants are frames of one batch, so
//! the GPU must give exactly the CPU's hashes for every variant of every upload, stage by stage
//! being already checked for ordinary frames. The uploads are Meta's reference photos with the
//! edits robust queries exist for (borders, a band, a turn).

use std::path::PathBuf;

use vigil::robust::{RobustOptions, hash_robust_batch};
use vigil::{BatchHasher, Frame, PixelFormat};
use vigil_tests::gpu::gpu_or_skip;

fn reference_photo(name: &str) -> image::RgbImage {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/pdq"
    ))
    .join(name);
    image::open(&path).expect("reference photo").to_rgb8()
}

/// The photo as it is, in grey bars, under a white band, and turned by a few degrees.
fn uploads() -> Vec<image::RgbImage> {
    let photo = reference_photo("bridge-mods/aaa-orig.jpg");
    let (w, h) = photo.dimensions();
    let mut padded = image::RgbImage::from_pixel(w + 80, h + 60, image::Rgb([128, 128, 128]));
    image::imageops::overlay(&mut padded, &photo, 40, 30);
    let mut banded = image::RgbImage::from_pixel(w, h + h / 6, image::Rgb([250, 250, 250]));
    image::imageops::overlay(&mut banded, &photo, 0, i64::from(h / 6));
    let turned =
        image::imageops::rotate90(&reference_photo("reg-test-input/labelme-subset/q0746.jpg"));
    vec![photo, padded, banded, turned]
}

#[test]
fn robust_hashes_are_the_same_on_the_gpu_as_on_the_cpu() {
    let Some(gpu) = gpu_or_skip("robust_hashes_are_the_same_on_the_gpu_as_on_the_cpu") else {
        return;
    };
    let images = uploads();
    let frames: Vec<Frame<'_>> = images
        .iter()
        .map(|image| {
            Frame::packed(
                image.as_raw(),
                image.width(),
                image.height(),
                PixelFormat::Rgb8,
            )
            .unwrap()
        })
        .collect();
    let options = RobustOptions::default();
    let cpu = hash_robust_batch(
        &BatchHasher::new(vigil::Backend::Cpu).unwrap(),
        &frames,
        &options,
    );
    let gpu = hash_robust_batch(&BatchHasher::with_gpu(gpu), &frames, &options);
    assert_eq!(cpu, gpu);
    // The bordered and banded uploads found their picture.
    assert!(!cpu[1].regions.is_empty() && !cpu[2].regions.is_empty());
    assert!(cpu.iter().all(|hashes| hashes.variants.len() >= 12));
}
