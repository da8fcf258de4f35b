//! The checker's shared state: the queue of frames copied at submit, the results in submission
//! order, and the condition variables that make submitters wait for room and receivers for
//! results (the backpressure of the [module](super) docs).

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::{CheckedFrame, FramePosition};
use crate::{Frame, PixelFormat, Result};

pub(super) struct Shared {
    pub(super) state: Mutex<State>,
    /// Frames were queued, or the checker was closed: the worker may have work.
    pub(super) queued: Condvar,
    /// Results were delivered, or the worker stopped.
    pub(super) delivered: Condvar,
    /// Results were taken: submitters may have room.
    pub(super) taken: Condvar,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) next_sequence: u64,
    /// Submitted and not yet taken (including frames being copied at submit).
    pub(super) in_flight: usize,
    pub(super) queue: VecDeque<QueuedFrame>,
    pub(super) results: VecDeque<CheckedFrame>,
    /// No more submissions.
    pub(super) closed: bool,
    /// The worker has delivered its last result (or died).
    pub(super) worker_done: bool,
    /// Buffers of hashed frames, reused by later submissions.
    pub(super) spare: Vec<Vec<u8>>,
}

/// A frame copied at submit.
pub(super) struct QueuedFrame {
    pub(super) sequence: u64,
    pub(super) position: FramePosition,
    pub(super) pixels: Vec<u8>,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) format: PixelFormat,
}

impl QueuedFrame {
    pub(super) fn frame(&self) -> Result<Frame<'_>> {
        Frame::packed(&self.pixels, self.width, self.height, self.format)
    }
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent at every unlock, so a panic elsewhere does not spoil it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn wait<'a>(
        &self,
        condvar: &Condvar,
        guard: MutexGuard<'a, State>,
    ) -> MutexGuard<'a, State> {
        condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn close(&self) {
        self.lock().closed = true;
        self.queued.notify_all();
        self.taken.notify_all();
    }
}
