//! Concurrency (issue 14, item 3). One `BatchHasher` and one `Matcher` shared by eight threads,
//! each hashing and matching the frames in its own order and batch sizes, give exactly what
//! hashing and matching one frame at a time gives: on the CPU and on the GPU, with every matcher
//! index. And the video `FrameChecker`, driven by producers and consumers that pick at random
//! between `submit`, `try_submit`, `submit_all`, `recv`, `try_recv` and `recv_timeout`, delivers
//! every submitted frame exactly once, in the order of the sequence numbers `submit` returned, with
//! the hash the sequential path gives; a round that deadlocks fails instead of hanging.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use vigil::lists::HashList;
use vigil::matcher::{IndexChoice, MatchOptions, Matcher, Query, QueryOutcome};
use vigil::video::{CheckedFrame, CheckedFrames, FrameChecker, FramePosition, TrySubmitError};
use vigil::{Backend, BatchHasher, DihedralHashes, Error, Frame, Hash256, PdqHash, PixelFormat};
use vigil_tests::golden::SplitMix64;
use vigil_tests::gpu::gpu_or_skip;

/// A frame's pixels with their layout, owned so that threads can share them.
struct OwnedFrame {
    bytes: Vec<u8>,
    width: u32,
    height: u32,
    stride: usize,
    format: PixelFormat,
}

impl OwnedFrame {
    /// A frame of `width`×`height` (either may be 0, which `Frame::new` must refuse) whose rows
    /// carry 0–7 junk bytes of padding, whose I420/NV12 buffers hold chroma rows after the Y
    /// plane, and whose last row is sometimes cut at its pixels (the stride need not pad it).
    fn random(rng: &mut SplitMix64, width: u32, height: u32, format: PixelFormat) -> Self {
        let row_bytes = width as usize * format.bytes_per_pixel();
        let stride = row_bytes + rng.below(8) as usize;
        let planar = matches!(format, PixelFormat::I420 | PixelFormat::Nv12);
        let chroma_rows = if planar { height.div_ceil(2) } else { 0 };
        let mut len = stride * (height + chroma_rows) as usize;
        if !planar && height > 0 && rng.below(2) == 0 {
            len -= stride - row_bytes;
        }
        let mut bytes = vec![0u8; len];
        match rng.below(8) {
            // Flat: quality 0, so the matcher must answer "low quality".
            0 => bytes.fill(rng.byte()),
            // Noise: hashes far from everything else.
            1 => rng.fill(&mut bytes),
            // Smooth structure plus a little noise: real bits and a quality that is matched.
            _ => {
                let (fx, fy) = (rng.between(1, 9) as usize, rng.between(1, 9) as usize);
                let offset = rng.byte();
                for (k, byte) in bytes.iter_mut().enumerate() {
                    let (x, y) = (k % stride.max(1), k / stride.max(1));
                    *byte = ((x * fx / 7 + y * fy / 5) as u8)
                        .wrapping_add(offset)
                        .wrapping_add(rng.byte() >> 3);
                }
            }
        }
        OwnedFrame {
            bytes,
            width,
            height,
            stride,
            format,
        }
    }

    fn frame(&self) -> vigil::Result<Frame<'_>> {
        Frame::new(
            &self.bytes,
            self.width,
            self.height,
            self.stride,
            self.format,
        )
    }

    fn describe(&self) -> String {
        format!(
            "{}x{} {} stride {}",
            self.width,
            self.height,
            self.format.name(),
            self.stride
        )
    }
}

/// What hashing and matching one frame at a time gives.
struct Expected {
    pdq: PdqHash,
    dihedral: DihedralHashes,
    /// Per matcher: the outcome of the frame's original query, then of its dihedral query.
    outcomes: Vec<[QueryOutcome; 2]>,
}

/// Which of a frame's two queries.
#[derive(Clone, Copy, Debug)]
enum QueryKind {
    Original = 0,
    Dihedral = 1,
}

/// Hashable frames with their sequential results, and the matchers those results came from.
struct HashedSet {
    frames: Vec<OwnedFrame>,
    expected: Vec<Expected>,
    matchers: Vec<(IndexChoice, Arc<Matcher>)>,
}

/// `count` random frames in every format, of sizes from 1×1 (too small to hash: zeros) to
/// `max_side` on a side, most under 100; zero-sized ones are checked to be refused first.
fn random_frames(seed: u64, count: usize, max_side: u32) -> Vec<OwnedFrame> {
    let mut rng = SplitMix64::new(seed);
    let tiny = [
        (1, 1),
        (1, 9),
        (9, 1),
        (2, 3),
        (4, 4),
        (4, 5),
        (5, 4),
        (5, 5),
    ];
    let refused = [(0, 0), (0, 7), (9, 0)];
    for (k, (width, height)) in refused.into_iter().enumerate() {
        let format = PixelFormat::ALL[k % PixelFormat::ALL.len()];
        let owned = OwnedFrame::random(&mut rng, width, height, format);
        assert!(
            matches!(owned.frame(), Err(Error::EmptyFrame { .. })),
            "a {width}x{height} frame is refused"
        );
    }
    (0..count)
        .map(|k| {
            let format = PixelFormat::ALL[k % PixelFormat::ALL.len()];
            let (width, height) = match tiny.get(k / 2) {
                // Each tiny size twice, in formats rotating through all of them.
                Some(&size) => size,
                None if rng.below(4) == 0 => (rng.between(1, 16), rng.between(1, 16)),
                None if rng.below(4) == 0 => (rng.between(5, max_side), rng.between(5, max_side)),
                None => (
                    rng.between(5, max_side.min(96)),
                    rng.between(5, max_side.min(96)),
                ),
            };
            OwnedFrame::random(&mut rng, width, height, format)
        })
        .collect()
}

/// Flips `bits` distinct random bits of `hash`.
fn flip(rng: &mut SplitMix64, hash: Hash256, bits: usize) -> Hash256 {
    let mut positions: Vec<usize> = (0..256).collect();
    let mut bytes = *hash.as_bytes();
    for k in 0..bits {
        let pick = k + rng.below((256 - k) as u32) as usize;
        positions.swap(k, pick);
        bytes[positions[k] / 8] ^= 1 << (positions[k] % 8);
    }
    Hash256::from_bytes(bytes)
}

/// Two lists near the frames' hashes, so that matches occur: entries a few bits from a third of
/// the frames (from their original orientation or another, so some match only dihedral queries),
/// random entries that match nothing, and degenerate entries that must never match.
fn lists_near(rng: &mut SplitMix64, hashes: &[DihedralHashes]) -> [(HashList, u32); 2] {
    [("near", 31, 40), ("strict", 8, 12)].map(|(name, threshold, most_flipped)| {
        let mut entries = Vec::new();
        let mut qualities = Vec::new();
        for all in hashes {
            if rng.below(3) == 0 {
                let orientation = if rng.below(2) == 0 {
                    0
                } else {
                    rng.below(8) as usize
                };
                let bits = rng.below(most_flipped + 1) as usize;
                entries.push(flip(rng, all.hashes[orientation], bits));
                qualities.push(Some(rng.between(50, 100) as u8));
            }
        }
        for _ in 0..50 {
            entries.push(flip(rng, Hash256::ZERO, 128));
            qualities.push(None);
        }
        entries.extend([
            Hash256::ZERO,
            Hash256::from_bytes([0xff; 32]),
            hashes[0].hashes[0],
        ]);
        qualities.extend([Some(100), Some(100), Some(0)]);
        let list = HashList::from_hashes(name, entries, qualities).expect("valid list");
        (list, threshold)
    })
}

impl HashedSet {
    fn new(seed: u64, count: usize, max_side: u32) -> Self {
        let frames = random_frames(seed, count, max_side);
        // One frame at a time on the CPU: the reference for every backend and thread.
        let dihedral: Vec<DihedralHashes> = frames
            .iter()
            .map(|owned| vigil::hash_dihedral(&owned.frame().expect("valid frame")))
            .collect();
        let lists = lists_near(&mut SplitMix64::new(seed ^ 0x1157), &dihedral);
        let matchers: Vec<(IndexChoice, Arc<Matcher>)> = IndexChoice::ALL
            .into_iter()
            .map(|index| {
                let mut matcher = Matcher::new(MatchOptions::default().index(index));
                for (list, threshold) in &lists {
                    matcher
                        .add_list(list.clone(), *threshold)
                        .expect("indexable list");
                }
                (index, Arc::new(matcher))
            })
            .collect();
        let expected: Vec<Expected> = frames
            .iter()
            .zip(dihedral)
            .map(|(owned, dihedral)| {
                let pdq = vigil::hash(&owned.frame().expect("valid frame"));
                assert_eq!(pdq, dihedral.original(), "{}", owned.describe());
                let outcomes = matchers
                    .iter()
                    .map(|(_, matcher)| {
                        [Query::original(pdq), Query::dihedral(&dihedral)]
                            .map(|query| matcher.match_queries(&[query]).remove(0))
                    })
                    .collect();
                Expected {
                    pdq,
                    dihedral,
                    outcomes,
                }
            })
            .collect();
        let set = HashedSet {
            frames,
            expected,
            matchers,
        };
        set.assert_meaningful();
        set
    }

    /// The indexes agree, and the set exercises every outcome: a test where nothing matches
    /// would prove little.
    fn assert_meaningful(&self) {
        let count = |kind: QueryKind, what: fn(&QueryOutcome) -> bool| {
            self.expected
                .iter()
                .filter(|e| what(&e.outcomes[0][kind as usize]))
                .count()
        };
        let matched = |o: &QueryOutcome| matches!(o, QueryOutcome::Matched(m) if !m.is_empty());
        let low = |o: &QueryOutcome| matches!(o, QueryOutcome::LowQuality(_));
        let unmatched = |o: &QueryOutcome| matches!(o, QueryOutcome::Matched(m) if m.is_empty());
        for kind in [QueryKind::Original, QueryKind::Dihedral] {
            for (what, name) in [(matched as fn(&_) -> bool, "match"), (low, "low quality")] {
                assert!(count(kind, what) > 0, "no {kind:?} query gets {name}");
            }
            assert!(count(kind, unmatched) > 0, "every {kind:?} query matches");
        }
        assert!(
            count(QueryKind::Dihedral, matched) > count(QueryKind::Original, matched),
            "some frames match only in another orientation"
        );
        for expected in &self.expected {
            assert!(
                expected.outcomes.windows(2).all(|w| w[0] == w[1]),
                "the indexes disagree"
            );
        }
    }

    /// `threads` threads hash and match every frame through `hasher` and the shared matchers,
    /// each in its own shuffled order and batches of 1 to `largest_batch` frames, mixing original
    /// and dihedral queries in each batch; every result must equal the sequential one.
    fn assert_shared_use_gives_sequential_results(
        &self,
        hasher: &Arc<BatchHasher>,
        threads: usize,
        largest_batch: u32,
        seed: u64,
    ) {
        // All threads start together so that their calls overlap.
        let start = Barrier::new(threads);
        let differences: Vec<String> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|thread| {
                    let (hasher, start) = (Arc::clone(hasher), &start);
                    let mut rng = SplitMix64::new(seed.wrapping_add(thread as u64 * 0x9e37));
                    scope.spawn(move || {
                        start.wait();
                        self.hash_and_match_in_random_batches(&hasher, &mut rng, largest_batch)
                            .into_iter()
                            .map(|d| format!("thread {thread}: {d}"))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().expect("thread ran to the end"))
                .collect()
        });
        assert!(
            differences.is_empty(),
            "{} results differ from the sequential ones, the first:\n{}",
            differences.len(),
            differences[..differences.len().min(20)].join("\n")
        );
    }

    /// One thread's work: the differences from the sequential results it found.
    fn hash_and_match_in_random_batches(
        &self,
        hasher: &BatchHasher,
        rng: &mut SplitMix64,
        largest_batch: u32,
    ) -> Vec<String> {
        let mut order: Vec<usize> = (0..self.frames.len()).collect();
        shuffle(rng, &mut order);
        let mut differences = Vec::new();
        let mut rest = &order[..];
        while !rest.is_empty() {
            let size = (rng.between(1, largest_batch) as usize).min(rest.len());
            let (batch, after) = rest.split_at(size);
            rest = after;
            let frames: Vec<Frame<'_>> = batch
                .iter()
                .map(|&i| self.frames[i].frame().expect("valid frame"))
                .collect();
            // Either call first, so the two kinds of batch overlap in other threads.
            let (pdq, dihedral) = if rng.below(2) == 0 {
                let pdq = hasher.hash_batch(&frames);
                (pdq, hasher.hash_dihedral_batch(&frames))
            } else {
                let dihedral = hasher.hash_dihedral_batch(&frames);
                (hasher.hash_batch(&frames), dihedral)
            };
            for (k, &i) in batch.iter().enumerate() {
                let expected = &self.expected[i];
                if pdq[k] != expected.pdq || dihedral[k] != expected.dihedral {
                    differences.push(format!(
                        "frame {i} ({}): hash {:?} dihedral {:?}, sequential {:?} {:?}",
                        self.frames[i].describe(),
                        pdq[k],
                        dihedral[k],
                        expected.pdq,
                        expected.dihedral
                    ));
                }
            }
            // Both queries of every frame of the batch, in random order, against every matcher.
            let mut queries: Vec<(usize, QueryKind)> = (0..batch.len())
                .flat_map(|k| [(k, QueryKind::Original), (k, QueryKind::Dihedral)])
                .collect();
            shuffle(rng, &mut queries);
            let built: Vec<Query> = queries
                .iter()
                .map(|&(k, kind)| match kind {
                    QueryKind::Original => Query::original(pdq[k]),
                    QueryKind::Dihedral => Query::dihedral(&dihedral[k]),
                })
                .collect();
            for (m, (index, matcher)) in self.matchers.iter().enumerate() {
                let outcomes = matcher.match_queries(&built);
                for (&(k, kind), outcome) in queries.iter().zip(&outcomes) {
                    let expected = &self.expected[batch[k]].outcomes[m][kind as usize];
                    if outcome != expected {
                        differences.push(format!(
                            "frame {} {kind:?} query, index {}: {outcome:?}, sequential {expected:?}",
                            batch[k],
                            index.name()
                        ));
                    }
                }
            }
        }
        differences
    }
}

fn shuffle<T>(rng: &mut SplitMix64, items: &mut [T]) {
    for k in (1..items.len()).rev() {
        items.swap(k, rng.below(k as u32 + 1) as usize);
    }
}

#[test]
fn shared_cpu_hasher_and_matchers_give_sequential_results() {
    let started = Instant::now();
    let set = HashedSet::new(0xC0C0_0001, 200, 300);
    let hasher = Arc::new(BatchHasher::new(Backend::Cpu).expect("CPU backend"));
    // Each pass with other orders and batch sizes.
    const PASSES: u64 = 3;
    for pass in 0..PASSES {
        set.assert_shared_use_gives_sequential_results(&hasher, 8, 24, 0xC0C0_0100 + pass);
    }
    println!(
        "{} frames, 8 threads, {PASSES} passes, CPU: {:.1?}",
        set.frames.len(),
        started.elapsed()
    );
}

#[test]
fn shared_gpu_hasher_and_matchers_give_sequential_results() {
    let test = "shared_gpu_hasher_and_matchers_give_sequential_results";
    let Some(gpu) = gpu_or_skip(test) else {
        return;
    };
    let started = Instant::now();
    // Software Vulkan is slow: fewer and smaller frames. A cap of 4 frames a GPU batch makes most
    // calls several batches in flight at once, from every thread.
    let set = HashedSet::new(0x6E0_0001, 96, 128);
    let hasher = Arc::new(BatchHasher::with_gpu(gpu.with_max_batch_frames(4)));
    set.assert_shared_use_gives_sequential_results(&hasher, 8, 9, 0x6E0_0002);
    // The CPU fallback would hide a GPU batch that failed: its results are right either way.
    let gpu = hasher.gpu().expect("a GPU hasher");
    assert!(!gpu.is_lost(), "the device is not lost");
    assert_eq!(
        gpu.cpu_fallbacks(),
        0,
        "every batch ran on the shaders: none failed under concurrent use and fell back to the CPU"
    );
    println!(
        "{} frames, 8 threads, GPU: {:.1?}",
        set.frames.len(),
        started.elapsed()
    );
}

/// One round of the frame checker: its settings and threads, all drawn from `seed`.
#[derive(Clone, Copy, Debug)]
struct Round {
    seed: u64,
    capacity: usize,
    batch_size: usize,
    producers: u64,
    consumers: u64,
    frames_per_producer: u64,
    /// Dihedral hashes and a matcher, so results carry all three.
    matched: bool,
}

impl Round {
    fn new(seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        Round {
            seed,
            // Capacity is raised to the batch size when below: sometimes equal, sometimes not.
            capacity: rng.between(1, 4) as usize,
            batch_size: rng.between(1, 3) as usize,
            producers: u64::from(rng.between(1, 3)),
            consumers: u64::from(rng.between(1, 3)),
            frames_per_producer: u64::from(rng.between(1, 16)),
            matched: rng.below(2) == 0,
        }
    }
}

/// A frame a producer submitted: where it says it is, and which pool frame it is.
struct Submitted {
    sequence: u64,
    position: FramePosition,
    frame: usize,
}

/// A random short pause, from none to a few hundred microseconds, so that threads interleave
/// differently at every step.
fn pause(rng: &mut SplitMix64) {
    match rng.below(8) {
        0..=3 => {}
        4 | 5 => std::thread::yield_now(),
        6 => std::thread::sleep(Duration::from_micros(u64::from(rng.below(50)))),
        _ => std::thread::sleep(Duration::from_micros(u64::from(rng.below(400)))),
    }
}

/// How often the paths that only some interleavings take were taken, over all rounds: printed,
/// so that a run shows the interleavings it covered.
#[derive(Default)]
struct Tally {
    /// `try_submit` refused a frame: `capacity` frames in flight.
    full: AtomicU64,
    /// `try_recv` found no result ready.
    nothing_ready: AtomicU64,
    /// `recv_timeout` timed out.
    timed_out: AtomicU64,
    /// Results delivered, and those taken by a consumer other than the first.
    delivered: AtomicU64,
    delivered_to_others: AtomicU64,
}

impl Tally {
    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Submits `round.frames_per_producer` random pool frames, choosing each time between submit,
/// try_submit (retried while full) and submit_all of a few frames.
fn produce(
    checker: &FrameChecker,
    pool: &HashedSet,
    round: Round,
    producer: u64,
    tally: &Tally,
) -> Vec<Submitted> {
    let mut rng = SplitMix64::new(round.seed ^ (producer + 1).wrapping_mul(0xA5A5_5A5A_1234));
    let mut submitted = Vec::new();
    let next = |rng: &mut SplitMix64, k: u64| {
        let frame = rng.below(pool.frames.len() as u32) as usize;
        let position = FramePosition {
            index: (producer << 32) | k,
            timestamp: Duration::from_millis(k * 40),
        };
        (frame, position)
    };
    let mut k = 0;
    while k < round.frames_per_producer {
        pause(&mut rng);
        match rng.below(3) {
            0 => {
                let (frame, position) = next(&mut rng, k);
                let view = pool.frames[frame].frame().expect("valid frame");
                let sequence = checker.submit(&view, position).expect("checker open");
                submitted.push(Submitted {
                    sequence,
                    position,
                    frame,
                });
                k += 1;
            }
            1 => {
                let (frame, position) = next(&mut rng, k);
                let mut view = pool.frames[frame].frame().expect("valid frame");
                let sequence = loop {
                    match checker.try_submit(view, position) {
                        Ok(sequence) => break sequence,
                        Err(TrySubmitError::Full(back)) => {
                            view = back;
                            Tally::count(&tally.full);
                            pause(&mut rng);
                        }
                        Err(TrySubmitError::Closed(_)) => panic!("closed while submitting"),
                    }
                };
                submitted.push(Submitted {
                    sequence,
                    position,
                    frame,
                });
                k += 1;
            }
            _ => {
                let count = u64::from(rng.between(1, 4)).min(round.frames_per_producer - k);
                let picked: Vec<(usize, FramePosition)> =
                    (k..k + count).map(|k| next(&mut rng, k)).collect();
                let slice: Vec<(Frame<'_>, FramePosition)> = picked
                    .iter()
                    .map(|&(frame, position)| {
                        (pool.frames[frame].frame().expect("valid frame"), position)
                    })
                    .collect();
                let sequences = checker.submit_all(&slice).expect("checker open");
                assert_eq!(sequences.len(), slice.len());
                for (sequence, (frame, position)) in sequences.into_iter().zip(picked) {
                    submitted.push(Submitted {
                        sequence,
                        position,
                        frame,
                    });
                }
                k += count;
            }
        }
    }
    submitted
}

/// Takes results, choosing each time between recv, try_recv and recv_timeout, until recv says
/// the checker is closed and drained.
fn consume(
    results: CheckedFrames,
    round: Round,
    consumer: u64,
    tally: &Tally,
) -> Vec<CheckedFrame> {
    let mut rng = SplitMix64::new(round.seed ^ (consumer + 1).wrapping_mul(0x5A5A_A5A5_4321));
    let mut taken = Vec::new();
    loop {
        pause(&mut rng);
        let result = match rng.below(3) {
            0 => match results.recv() {
                Some(result) => Some(result),
                None => return taken,
            },
            1 => results.try_recv().or_else(|| {
                Tally::count(&tally.nothing_ready);
                None
            }),
            _ => results
                .recv_timeout(Duration::from_micros(u64::from(rng.below(2000))))
                .or_else(|| {
                    Tally::count(&tally.timed_out);
                    None
                }),
        };
        taken.extend(result);
    }
}

/// Runs one round and checks that every submitted frame came out once, in sequence order for
/// each consumer, with its position and the sequential results.
fn run_round(round: Round, hasher: Arc<BatchHasher>, pool: &HashedSet, tally: &Tally) {
    let (_, matcher) = &pool.matchers[0];
    let mut builder = FrameChecker::builder(hasher)
        .capacity(round.capacity)
        .batch_size(round.batch_size);
    if round.matched {
        builder = builder.matcher(Arc::clone(matcher)).dihedral(true);
    }
    let checker = builder.start().expect("checker starts");
    let (submitted, taken) = std::thread::scope(|scope| {
        let consumers: Vec<_> = (0..round.consumers)
            .map(|c| {
                let results = checker.results();
                scope.spawn(move || consume(results, round, c, tally))
            })
            .collect();
        let producers: Vec<_> = (0..round.producers)
            .map(|p| {
                let checker = &checker;
                scope.spawn(move || produce(checker, pool, round, p, tally))
            })
            .collect();
        let submitted: Vec<Vec<Submitted>> = producers
            .into_iter()
            .map(|p| p.join().expect("producer"))
            .collect();
        checker.close();
        let taken: Vec<Vec<CheckedFrame>> = consumers
            .into_iter()
            .map(|c| c.join().expect("consumer"))
            .collect();
        (submitted, taken)
    });
    assert!(
        checker.finish().is_empty(),
        "the consumers took every result"
    );

    let total = round.producers * round.frames_per_producer;
    let mut by_sequence = BTreeMap::new();
    for (p, frames) in submitted.iter().enumerate() {
        // One thread's submissions are ordered among themselves, submit_all's included.
        assert!(
            frames.windows(2).all(|w| w[0].sequence < w[1].sequence),
            "producer {p}'s sequence numbers increase"
        );
        for frame in frames {
            by_sequence.insert(frame.sequence, frame);
        }
    }
    assert!(
        by_sequence.keys().copied().eq(0..total),
        "sequence numbers are 0..{total}, each once"
    );
    let mut delivered = 0;
    for (c, results) in taken.iter().enumerate() {
        assert!(
            results.windows(2).all(|w| w[0].sequence < w[1].sequence),
            "consumer {c} takes results in sequence order: {:?}",
            results.iter().map(|r| r.sequence).collect::<Vec<_>>()
        );
        for result in results {
            let submitted = by_sequence
                .remove(&result.sequence)
                .unwrap_or_else(|| panic!("sequence {} delivered twice", result.sequence));
            let expected = &pool.expected[submitted.frame];
            let frame = pool.frames[submitted.frame].describe();
            assert_eq!(
                result.position, submitted.position,
                "sequence {}",
                result.sequence
            );
            assert_eq!(
                result.hash, expected.pdq,
                "sequence {} ({frame})",
                result.sequence
            );
            if round.matched {
                assert_eq!(
                    result.dihedral.as_deref(),
                    Some(&expected.dihedral),
                    "{frame}"
                );
                let outcome = &expected.outcomes[0][QueryKind::Dihedral as usize];
                assert_eq!(result.matches.as_ref(), Some(outcome), "{frame}");
            } else {
                assert!(result.dihedral.is_none() && result.matches.is_none());
            }
            delivered += 1;
            Tally::count(&tally.delivered);
            if c > 0 {
                Tally::count(&tally.delivered_to_others);
            }
        }
    }
    assert!(
        by_sequence.is_empty(),
        "never delivered: {:?}",
        by_sequence.keys()
    );
    assert_eq!(delivered, total);
}

#[test]
fn frame_checker_delivers_every_frame_once_in_order_under_random_interleavings() {
    const ROUNDS: u64 = 1000;
    // Far above a round's time (milliseconds): reaching it means a deadlock.
    const ROUND_LIMIT: Duration = Duration::from_secs(30);
    let started = Instant::now();
    let pool = Arc::new(HashedSet::new(0xC4EC_0001, 36, 64));
    let hasher = Arc::new(BatchHasher::new(Backend::Cpu).expect("CPU backend"));
    let tally = Arc::new(Tally::default());
    for n in 0..ROUNDS {
        let round = Round::new(0xC4EC_1000 + n);
        let (done, finished) = mpsc::channel();
        let (hasher, pool, tally) = (Arc::clone(&hasher), Arc::clone(&pool), Arc::clone(&tally));
        let thread = std::thread::spawn(move || {
            run_round(round, hasher, &pool, &tally);
            let _ = done.send(());
        });
        match finished.recv_timeout(ROUND_LIMIT) {
            Ok(()) => thread.join().expect("round thread"),
            Err(RecvTimeoutError::Timeout) => {
                panic!("{round:?} did not finish in {ROUND_LIMIT:?}: deadlock")
            }
            Err(RecvTimeoutError::Disconnected) => {
                let panic = thread.join().expect_err("the round panicked");
                let message = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)");
                panic!("{round:?} failed: {message}");
            }
        }
    }
    let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    println!(
        "{ROUNDS} checker rounds, {} frames ({} to a second or third consumer): try_submit full \
         {} times, try_recv empty {}, recv_timeout timed out {}; {:.1?}",
        read(&tally.delivered),
        read(&tally.delivered_to_others),
        read(&tally.full),
        read(&tally.nothing_ready),
        read(&tally.timed_out),
        started.elapsed()
    );
}
