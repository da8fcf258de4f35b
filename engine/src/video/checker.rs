//! The streaming frame checker: frames in (any thread, one at a time or in slices), hashes and
//! matches out, in submission order, with bounded memory.
//!
//! [`FrameChecker::submit`] copies the frame into an owned buffer (downscaled first when asked)
//! and queues it; a worker thread takes queued frames in batches of up to
//! [`CheckerBuilder::batch_size`], hashes each batch on the [`BatchHasher`]'s backend, matches it
//! against the attached [`Matcher`] if any, and queues the results, which [`CheckedFrames`]
//! hands out in the order the frames were submitted.
//!
//! **Backpressure.** At most [`CheckerBuilder::capacity`] frames are *in flight*: submitted but
//! their results not yet taken. When the consumer falls behind, [`FrameChecker::submit`] blocks
//! until it catches up and [`FrameChecker::try_submit`] returns [`TrySubmitError::Full`] with the
//! frame, so memory stays bounded and no frame is ever dropped. Someone must take the results:
//! a single thread that only submits blocks for ever once `capacity` frames are in flight. Take
//! results on another thread (below), or use `try_submit` and drain results on `Full`.
//!
//! **Ending.** [`FrameChecker::close`] (or dropping the checker) stops submissions; frames
//! already submitted are still hashed and their results delivered to [`CheckedFrames`], whose
//! iteration ends after the last. [`FrameChecker::finish`] closes, waits, and returns the results
//! that no one has taken yet.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use vigil::video::{FrameChecker, FramePosition};
//! use vigil::{Backend, Frame, BatchHasher, PixelFormat};
//!
//! let hasher = Arc::new(BatchHasher::new(Backend::Cpu)?);
//! let checker = FrameChecker::builder(hasher).batch_size(4).capacity(8).start()?;
//! let results = checker.results();
//!
//! std::thread::scope(|scope| {
//!     // The consumer sees every frame in submission order.
//!     let consumer = scope.spawn(move || results.map(|r| r.sequence).collect::<Vec<_>>());
//!     // Two producers; each frame is copied at submit, so the buffer is reused at once.
//!     let producers: Vec<_> = (0..2u64)
//!         .map(|producer| {
//!             let checker = &checker;
//!             scope.spawn(move || {
//!                 let mut pixels = vec![0u8; 64 * 48];
//!                 for i in 0..10u64 {
//!                     for (p, v) in pixels.iter_mut().enumerate() {
//!                         *v = (p as u64 * (i + producer)) as u8;
//!                     }
//!                     let frame = Frame::packed(&pixels, 64, 48, PixelFormat::Luma8).unwrap();
//!                     let at = FramePosition { index: i, timestamp: Duration::from_millis(40 * i) };
//!                     checker.submit(&frame, at).unwrap(); // blocks while 8 are in flight
//!                 }
//!             })
//!         })
//!         .collect();
//!     for producer in producers {
//!         producer.join().unwrap();
//!     }
//!     checker.close(); // the consumer's iteration ends after the last result
//!     assert_eq!(consumer.join().unwrap(), (0..20).collect::<Vec<_>>());
//! });
//! # Ok::<(), vigil::Error>(())
//! ```

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::downsample::downsample;
use crate::matcher::{Matcher, Query, QueryOutcome};
use crate::{
    ActiveBackend, BatchHasher, DihedralHashes, Error, Frame, MAX_SIDE, PdqHash, PixelFormat,
    Result,
};

/// Where a frame sits in its video: the caller's frame number and timestamp, handed back with
/// its result (the checker does not interpret them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FramePosition {
    /// The frame's number in its video (vPDQ's frame number).
    pub index: u64,
    /// When the frame is shown.
    pub timestamp: Duration,
}

/// The result for one submitted frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedFrame {
    /// Submission order: 0 for the first frame submitted to the checker, then 1, 2, ...
    pub sequence: u64,
    /// As given at submit.
    pub position: FramePosition,
    /// The PDQ hash and quality.
    pub hash: PdqHash,
    /// All eight orientations, when the checker was built with [`CheckerBuilder::dihedral`].
    pub dihedral: Option<Box<DihedralHashes>>,
    /// The matches against the attached matcher's lists (`None` without a matcher).
    pub matches: Option<QueryOutcome>,
}

/// A frame that [`FrameChecker::try_submit`] did not take, handed back.
#[derive(Debug)]
pub enum TrySubmitError<'a> {
    /// `capacity` frames are in flight: take some results, then try again.
    Full(Frame<'a>),
    /// The checker was closed.
    Closed(Frame<'a>),
}

/// [`FrameChecker::submit`] on a closed checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the frame checker is closed: no more frames are taken")]
pub struct Closed;

/// Configures and starts a [`FrameChecker`].
pub struct CheckerBuilder {
    hasher: Arc<BatchHasher>,
    matcher: Option<Arc<Matcher>>,
    batch_size: Option<NonZeroUsize>,
    capacity: Option<NonZeroUsize>,
    downsample: Option<(u32, u32)>,
    dihedral: bool,
}

impl CheckerBuilder {
    /// Matches every frame against `matcher`'s lists.
    pub fn matcher(mut self, matcher: Arc<Matcher>) -> Self {
        self.matcher = Some(matcher);
        self
    }

    /// Most frames hashed as one batch (default: 32 on a GPU; on the CPU twice the worker
    /// threads, 4 to 32). The worker does not wait for a batch to fill: it takes what is queued.
    pub fn batch_size(mut self, frames: usize) -> Self {
        self.batch_size = NonZeroUsize::new(frames);
        self
    }

    /// Most frames in flight: submitted and their results not yet taken (default: 4 batches).
    /// Raised to the batch size if lower.
    pub fn capacity(mut self, frames: usize) -> Self {
        self.capacity = NonZeroUsize::new(frames);
        self
    }

    /// Scales every frame to `width`×`height` by [`downsample`](super::downsample()) before
    /// hashing (vPDQ's `downsample_width`/`downsample_height`).
    pub fn downsample(mut self, width: u32, height: u32) -> Self {
        self.downsample = Some((width, height));
        self
    }

    /// Computes all eight orientations of each frame and matches them all.
    pub fn dihedral(mut self, dihedral: bool) -> Self {
        self.dihedral = dihedral;
        self
    }

    /// Starts the worker thread. Fails on a downsampling size of 0 or over
    /// [`MAX_SIDE`], or when no thread can be started.
    pub fn start(self) -> Result<FrameChecker> {
        if let Some((width, height)) = self.downsample {
            if width == 0 || height == 0 {
                return Err(Error::EmptyFrame { width, height });
            }
            if width > MAX_SIDE || height > MAX_SIDE {
                return Err(Error::FrameTooLarge { width, height });
            }
        }
        let default_batch = if matches!(self.hasher.active(), ActiveBackend::Gpu(_)) {
            // A GPU wants frames by the dozen; the CPU backend one per thread or two.
            32
        } else {
            (2 * rayon::current_num_threads()).clamp(4, 32)
        };
        let batch_size = self.batch_size.map_or(default_batch, NonZeroUsize::get);
        let capacity = self
            .capacity
            .map_or(4 * batch_size, NonZeroUsize::get)
            .max(batch_size);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            queued: Condvar::new(),
            delivered: Condvar::new(),
            taken: Condvar::new(),
        });
        let worker = Worker {
            shared: Arc::clone(&shared),
            hasher: self.hasher,
            matcher: self.matcher,
            batch_size,
            dihedral: self.dihedral,
        };
        let handle = std::thread::Builder::new()
            .name("vigil-frame-checker".into())
            .spawn(move || worker.run())
            .map_err(|source| Error::Io {
                path: "(frame checker thread)".into(),
                source,
            })?;
        Ok(FrameChecker {
            shared,
            worker: Some(handle),
            capacity,
            downsample: self.downsample,
        })
    }
}

/// Hashes (and matches) frames submitted from any number of threads; see the [module](self)
/// docs. `Sync`: share it by reference or in an `Arc`.
pub struct FrameChecker {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
    capacity: usize,
    downsample: Option<(u32, u32)>,
}

/// Hands out results in submission order: an iterator that blocks for the next result and ends
/// once the checker is closed and every result has been taken.
pub struct CheckedFrames {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Frames were queued, or the checker was closed: the worker may have work.
    queued: Condvar,
    /// Results were delivered, or the worker stopped.
    delivered: Condvar,
    /// Results were taken: submitters may have room.
    taken: Condvar,
}

#[derive(Default)]
struct State {
    next_sequence: u64,
    /// Submitted and not yet taken (including frames being copied at submit).
    in_flight: usize,
    queue: VecDeque<QueuedFrame>,
    results: VecDeque<CheckedFrame>,
    /// No more submissions.
    closed: bool,
    /// The worker has delivered its last result (or died).
    worker_done: bool,
    /// Buffers of hashed frames, reused by later submissions.
    spare: Vec<Vec<u8>>,
}

/// A frame copied at submit.
struct QueuedFrame {
    sequence: u64,
    position: FramePosition,
    pixels: Vec<u8>,
    width: u32,
    height: u32,
    format: PixelFormat,
}

impl QueuedFrame {
    fn frame(&self) -> Result<Frame<'_>> {
        Frame::packed(&self.pixels, self.width, self.height, self.format)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent at every unlock, so a panic elsewhere does not spoil it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, condvar: &Condvar, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
    }

    fn close(&self) {
        self.lock().closed = true;
        self.queued.notify_all();
        self.taken.notify_all();
    }
}

impl FrameChecker {
    /// A builder for a checker hashing on `hasher`.
    pub fn builder(hasher: Arc<BatchHasher>) -> CheckerBuilder {
        CheckerBuilder {
            hasher,
            matcher: None,
            batch_size: None,
            capacity: None,
            downsample: None,
            dihedral: false,
        }
    }

    /// A receiver of the results. Several receivers share one stream: each result goes to one.
    pub fn results(&self) -> CheckedFrames {
        CheckedFrames {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Most frames in flight.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Frames submitted so far.
    pub fn submitted(&self) -> u64 {
        self.shared.lock().next_sequence
    }

    /// Copies `frame` and queues it; blocks while `capacity` frames are in flight. Returns the
    /// frame's sequence number (its place in the order of results).
    pub fn submit(&self, frame: &Frame<'_>, position: FramePosition) -> Result<u64, Closed> {
        let mut state = self.shared.lock();
        while state.in_flight >= self.capacity && !state.closed {
            state = self.shared.wait(&self.shared.taken, state);
        }
        if state.closed {
            return Err(Closed);
        }
        Ok(self.copy_and_queue(state, frame, position))
    }

    /// As [`submit`](Self::submit), but never blocks: a full or closed checker hands the frame
    /// back.
    pub fn try_submit<'a>(
        &self,
        frame: Frame<'a>,
        position: FramePosition,
    ) -> Result<u64, TrySubmitError<'a>> {
        let state = self.shared.lock();
        if state.closed {
            return Err(TrySubmitError::Closed(frame));
        }
        if state.in_flight >= self.capacity {
            return Err(TrySubmitError::Full(frame));
        }
        Ok(self.copy_and_queue(state, &frame, position))
    }

    /// Submits `frames` in order (blocking as [`submit`](Self::submit)); returns the sequence
    /// number of each. Frames submitted by other threads meanwhile may come between them.
    pub fn submit_all(&self, frames: &[(Frame<'_>, FramePosition)]) -> Result<Vec<u64>, Closed> {
        frames
            .iter()
            .map(|(frame, position)| self.submit(frame, *position))
            .collect()
    }

    /// Takes a slot (counted in flight), copies the frame outside the lock, then queues it.
    fn copy_and_queue(
        &self,
        mut state: MutexGuard<'_, State>,
        frame: &Frame<'_>,
        position: FramePosition,
    ) -> u64 {
        state.in_flight += 1;
        let mut pixels = state.spare.pop().unwrap_or_default();
        drop(state);
        let (width, height, format) = self.copy_pixels(frame, &mut pixels);
        let mut state = self.shared.lock();
        let sequence = state.next_sequence;
        state.next_sequence += 1;
        state.queue.push_back(QueuedFrame {
            sequence,
            position,
            pixels,
            width,
            height,
            format,
        });
        drop(state);
        self.shared.queued.notify_one();
        sequence
    }

    /// The frame's hashed pixels, packed (or downscaled) into `pixels`; I420 and NV12 keep their
    /// Y plane only, as [`PixelFormat::Luma8`] (which hashes the same).
    fn copy_pixels(&self, frame: &Frame<'_>, pixels: &mut Vec<u8>) -> (u32, u32, PixelFormat) {
        if let Some((width, height)) = self.downsample {
            // The size was checked by `start`, and a valid frame always downsamples.
            if let Ok(format) = downsample(frame, width, height, pixels) {
                return (width, height, format);
            }
        }
        let format = match frame.format() {
            PixelFormat::I420 | PixelFormat::Nv12 => PixelFormat::Luma8,
            other => other,
        };
        pixels.clear();
        for y in 0..frame.height() as usize {
            pixels.extend_from_slice(frame.row(y));
        }
        (frame.width(), frame.height(), format)
    }

    /// Stops taking frames. Frames already submitted are still hashed and their results
    /// delivered; receivers end after the last.
    pub fn close(&self) {
        self.shared.close();
    }

    /// Closes, waits until every submitted frame is hashed, and returns the results no receiver
    /// has taken, in order.
    pub fn finish(mut self) -> Vec<CheckedFrame> {
        self.close();
        self.join_worker();
        let mut state = self.shared.lock();
        let results: Vec<CheckedFrame> = state.results.drain(..).collect();
        state.in_flight -= results.len().min(state.in_flight);
        results
    }

    fn join_worker(&mut self) {
        if let Some(worker) = self.worker.take() {
            // A worker that panicked has already marked itself done (see `DoneGuard`).
            let _ = worker.join();
        }
    }
}

impl Drop for FrameChecker {
    /// Flushes: closes, and waits until the frames already submitted are hashed; their results
    /// stay with the receivers.
    fn drop(&mut self) {
        self.close();
        self.join_worker();
    }
}

impl CheckedFrames {
    /// The next result in submission order: blocks until it is ready; `None` once the checker
    /// is closed and every result has been taken.
    pub fn recv(&self) -> Option<CheckedFrame> {
        let mut state = self.shared.lock();
        loop {
            if let Some(result) = self.take(&mut state) {
                return Some(result);
            }
            if state.worker_done {
                return None;
            }
            state = self.shared.wait(&self.shared.delivered, state);
        }
    }

    /// The next result if it is ready.
    pub fn try_recv(&self) -> Option<CheckedFrame> {
        self.take(&mut self.shared.lock())
    }

    /// Waits up to `timeout` for the next result.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<CheckedFrame> {
        let deadline = std::time::Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(result) = self.take(&mut state) {
                return Some(result);
            }
            let now = std::time::Instant::now();
            if state.worker_done || now >= deadline {
                return None;
            }
            state = self
                .shared
                .delivered
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn take(&self, state: &mut State) -> Option<CheckedFrame> {
        let result = state.results.pop_front()?;
        state.in_flight -= 1;
        self.shared.taken.notify_one();
        Some(result)
    }
}

impl Iterator for CheckedFrames {
    type Item = CheckedFrame;

    fn next(&mut self) -> Option<CheckedFrame> {
        self.recv()
    }
}

/// The worker thread: hashes queued frames in batches until the checker is closed and the queue
/// is empty.
struct Worker {
    shared: Arc<Shared>,
    hasher: Arc<BatchHasher>,
    matcher: Option<Arc<Matcher>>,
    batch_size: usize,
    dihedral: bool,
}

/// Marks the worker done however it ends (a panic included), so nobody waits for it for ever.
struct DoneGuard<'a>(&'a Shared);

impl Drop for DoneGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.worker_done = true;
        state.closed = true;
        drop(state);
        self.0.delivered.notify_all();
        self.0.taken.notify_all();
    }
}

impl Worker {
    fn run(self) {
        let _done = DoneGuard(&self.shared);
        while let Some(batch) = self.next_batch() {
            let results = self.check(&batch);
            let mut state = self.shared.lock();
            state.results.extend(results);
            let keep = (self.batch_size * 4).saturating_sub(state.spare.len());
            state
                .spare
                .extend(batch.into_iter().map(|f| f.pixels).take(keep));
            drop(state);
            self.shared.delivered.notify_all();
        }
    }

    /// Up to `batch_size` queued frames; waits for one; `None` when closed and drained.
    fn next_batch(&self) -> Option<Vec<QueuedFrame>> {
        let mut state = self.shared.lock();
        loop {
            if !state.queue.is_empty() {
                let take = state.queue.len().min(self.batch_size);
                return Some(state.queue.drain(..take).collect());
            }
            // In-flight frames still being copied at submit will be queued: wait for them.
            let copying = state.in_flight > state.queue.len() + state.results.len();
            if state.closed && !copying {
                return None;
            }
            state = self.shared.wait(&self.shared.queued, state);
        }
    }

    fn check(&self, batch: &[QueuedFrame]) -> Vec<CheckedFrame> {
        // Every queued frame was copied from a valid frame, so it is valid; were one not, it
        // would get the hash of an unhashable frame rather than shift the results of the others.
        let frames: Vec<Option<Frame<'_>>> = batch.iter().map(|f| f.frame().ok()).collect();
        let valid: Vec<Frame<'_>> = frames.iter().flatten().copied().collect();
        let mut hashed = self.hasher.hash_dihedral_batch(&valid).into_iter();
        let hashes: Vec<DihedralHashes> = frames
            .iter()
            .map(|frame| {
                frame
                    .and_then(|_| hashed.next())
                    .unwrap_or(DihedralHashes::EMPTY)
            })
            .collect();
        let outcomes = self.matcher.as_ref().map(|matcher| {
            let queries: Vec<Query> = hashes
                .iter()
                .map(|all| {
                    if self.dihedral {
                        Query::dihedral(all)
                    } else {
                        Query::original(all.original())
                    }
                })
                .collect();
            matcher.match_queries(&queries)
        });
        let mut outcomes = outcomes.map(Vec::into_iter);
        batch
            .iter()
            .zip(hashes)
            .map(|(queued, all)| CheckedFrame {
                sequence: queued.sequence,
                position: queued.position,
                hash: all.original(),
                dihedral: self.dihedral.then(|| Box::new(all)),
                matches: outcomes.as_mut().and_then(Iterator::next),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
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
        let list =
            HashList::parse("known", format!("{rotated_hash},100,case-1\n").as_bytes()).unwrap();
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
}
