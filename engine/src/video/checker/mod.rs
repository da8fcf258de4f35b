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

use std::num::NonZeroUsize;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

mod queue;
mod worker;

use super::downsample::downsample;
use crate::matcher::{Matcher, QueryOutcome};
use crate::{
    ActiveBackend, BatchHasher, DihedralHashes, Error, Frame, MAX_SIDE, PdqHash, PixelFormat,
    Result,
};
use queue::{QueuedFrame, Shared, State};
use worker::Worker;

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

#[cfg(test)]
mod tests;
