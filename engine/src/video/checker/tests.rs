//! The checker's order, backpressure, matching and failure handling.

use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::lists::HashList;
use crate::matcher::MatchOptions;
use crate::{Backend, Hash256};

/// A 48×32 grey frame different for every `seed`.
fn pixels(seed: u64) -> Vec<u8> {
    (0..48 * 32u64)
        .map(|i| ((i % 48) * (i / 48 + 1) * (seed % 13 + 1) + seed * 17) as u8)
        .collect()
}

fn luma(pixels: &[u8]) -> Frame<'_> {
    Frame::packed(pixels, 48, 32, PixelFormat::Luma8).unwrap()
}

fn at(index: u64) -> FramePosition {
    FramePosition {
        index,
        timestamp: Duration::from_millis(index * 40),
    }
}

fn checker(batch: usize, capacity: usize) -> FrameChecker {
    let hasher = Arc::new(BatchHasher::new(Backend::Cpu).unwrap());
    FrameChecker::builder(hasher)
        .batch_size(batch)
        .capacity(capacity)
        .start()
        .unwrap()
}

#[test]
fn results_come_in_submission_order_with_their_hashes() {
    let checker = checker(3, 100);
    for i in 0..20 {
        let frame_pixels = pixels(i);
        assert_eq!(checker.submit(&luma(&frame_pixels), at(i)), Ok(i));
    }
    let results = checker.finish();
    assert_eq!(results.len(), 20);
    for (i, result) in results.iter().enumerate() {
        let i = i as u64;
        assert_eq!((result.sequence, result.position), (i, at(i)));
        assert_eq!(result.hash, crate::hash(&luma(&pixels(i))));
        assert!(result.dihedral.is_none() && result.matches.is_none());
    }
}

#[test]
fn every_format_and_stride_is_copied_as_hashed() {
    let (w, h) = (40u32, 24u32);
    let checker = checker(4, 64);
    let mut expected = Vec::new();
    for (n, format) in PixelFormat::ALL.into_iter().enumerate() {
        let stride = w as usize * format.bytes_per_pixel() + 7;
        // I420/NV12 buffers hold their chroma after the Y plane.
        let rows = if format.bytes_per_pixel() == 1 {
            h * 2
        } else {
            h
        } as usize;
        let data: Vec<u8> = (0..stride * rows).map(|i| (i * 31 % 253) as u8).collect();
        let frame = Frame::new(&data, w, h, stride, format).unwrap();
        expected.push(crate::hash(&frame));
        checker.submit(&frame, at(n as u64)).unwrap();
    }
    let hashes: Vec<PdqHash> = checker.finish().into_iter().map(|r| r.hash).collect();
    assert_eq!(hashes, expected);
}

#[test]
fn try_submit_says_full_and_hands_the_frame_back() {
    let checker = checker(2, 4);
    let frame_pixels = pixels(1);
    let frame = luma(&frame_pixels);
    for i in 0..4 {
        assert_eq!(checker.try_submit(frame, at(i)).ok(), Some(i));
    }
    match checker.try_submit(frame, at(4)) {
        Err(TrySubmitError::Full(back)) => {
            assert_eq!(back.data().as_ptr(), frame.data().as_ptr())
        }
        other => panic!("expected Full, got {other:?}"),
    }
    // Taking one result makes room for one frame.
    let results = checker.results();
    assert_eq!(results.recv().map(|r| r.sequence), Some(0));
    assert_eq!(checker.try_submit(frame, at(4)).ok(), Some(4));
    assert!(matches!(
        checker.try_submit(frame, at(5)),
        Err(TrySubmitError::Full(_))
    ));
    checker.close();
    assert!(matches!(
        checker.try_submit(frame, at(5)),
        Err(TrySubmitError::Closed(_))
    ));
    assert_eq!(checker.submit(&frame, at(5)), Err(Closed));
    let rest: Vec<u64> = results.map(|r| r.sequence).collect();
    assert_eq!(rest, [1, 2, 3, 4]);
}

#[test]
fn submit_blocks_until_the_consumer_takes_results() {
    let checker = checker(1, 2);
    let results = checker.results();
    let submitted = AtomicU64::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0..6 {
                checker.submit(&luma(&pixels(i)), at(i)).unwrap();
                submitted.fetch_add(1, Ordering::SeqCst);
            }
        });
        // The producer stops at the capacity while nobody takes results.
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(submitted.load(Ordering::SeqCst), 2);
        for expected in 0..6u64 {
            assert_eq!(results.recv().map(|r| r.sequence), Some(expected));
        }
    });
    assert_eq!(submitted.load(Ordering::SeqCst), 6);
    assert!(results.try_recv().is_none());
}

#[test]
fn many_producers_and_consumers_see_one_order() {
    let checker = checker(4, 8);
    let results = checker.results();
    std::thread::scope(|scope| {
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let results = checker.results();
                scope.spawn(move || results.map(|r| r.sequence).collect::<Vec<_>>())
            })
            .collect();
        let producers: Vec<_> = (0..4u64)
            .map(|p| {
                let checker = &checker;
                scope.spawn(move || {
                    let frames: Vec<Vec<u8>> = (0..25).map(|i| pixels(p * 100 + i)).collect();
                    let batch: Vec<(Frame<'_>, FramePosition)> = frames
                        .iter()
                        .enumerate()
                        .map(|(i, f)| (luma(f), at(i as u64)))
                        .collect();
                    checker.submit_all(&batch).unwrap()
                })
            })
            .collect();
        let mut sequences: Vec<u64> = producers
            .into_iter()
            .flat_map(|p| p.join().unwrap())
            .collect();
        checker.close();
        sequences.sort_unstable();
        assert_eq!(sequences, (0..100).collect::<Vec<_>>());
        let mut seen: Vec<u64> = Vec::new();
        for consumer in consumers {
            let got = consumer.join().unwrap();
            // Each consumer sees an increasing subsequence.
            assert!(got.windows(2).all(|w| w[0] < w[1]));
            seen.extend(got);
        }
        seen.extend(results.map(|r| r.sequence));
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
    });
}

#[test]
fn dropping_the_checker_flushes_to_the_receivers() {
    let checker = checker(16, 64);
    let results = checker.results();
    for i in 0..10 {
        checker.submit(&luma(&pixels(i)), at(i)).unwrap();
    }
    drop(checker);
    let got: Vec<u64> = results.map(|r| r.position.index).collect();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
}

#[test]
fn matches_dihedral_and_downsampling() {
    let frame_pixels = pixels(5);
    let frame = luma(&frame_pixels);
    let rotated_hash = crate::hash_dihedral(&frame).get(crate::Dihedral::Rotate90);
    let list = HashList::parse("known", format!("{rotated_hash},100,case-1\n").as_bytes()).unwrap();
    let mut matcher = Matcher::new(MatchOptions::default());
    matcher.add_list(list, 31).unwrap();
    let hasher = Arc::new(BatchHasher::new(Backend::Cpu).unwrap());
    let checker = FrameChecker::builder(Arc::clone(&hasher))
        .matcher(Arc::new(matcher))
        .dihedral(true)
        .start()
        .unwrap();
    checker.submit(&frame, at(0)).unwrap();
    let result = checker.finish().remove(0);
    let Some(QueryOutcome::Matched(matches)) = result.matches else {
        panic!("matched: {:?}", result.matches)
    };
    assert_eq!(
        (matches[0].distance, matches[0].orientation),
        (0, crate::Dihedral::Rotate90)
    );
    assert_eq!(result.dihedral.unwrap().hashes[1], rotated_hash);

    let checker = FrameChecker::builder(hasher.clone())
        .downsample(16, 8)
        .start()
        .unwrap();
    checker.submit(&frame, at(0)).unwrap();
    let mut small = Vec::new();
    downsample(&frame, 16, 8, &mut small).unwrap();
    let expected = crate::hash(&Frame::packed(&small, 16, 8, PixelFormat::Luma8).unwrap());
    assert_eq!(checker.finish()[0].hash, expected);
    assert!(
        FrameChecker::builder(hasher.clone())
            .downsample(0, 8)
            .start()
            .is_err()
    );
    assert!(
        FrameChecker::builder(hasher)
            .downsample(8, MAX_SIDE + 1)
            .start()
            .is_err()
    );
    assert_ne!(expected.hash, Hash256::ZERO);
}
