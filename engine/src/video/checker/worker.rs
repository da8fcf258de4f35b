//! The checker's worker thread: takes queued frames in batches, hashes each batch on the
//! backend, matches it, and delivers the results in submission order.

use std::sync::Arc;

use super::CheckedFrame;
use super::queue::{QueuedFrame, Shared};
use crate::matcher::{Matcher, Query};
use crate::{BatchHasher, DihedralHashes, Frame};

/// The worker thread: hashes queued frames in batches until the checker is closed and the queue
/// is empty.
pub(super) struct Worker {
    pub(super) shared: Arc<Shared>,
    pub(super) hasher: Arc<BatchHasher>,
    pub(super) matcher: Option<Arc<Matcher>>,
    pub(super) batch_size: usize,
    pub(super) dihedral: bool,
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
    pub(super) fn run(self) {
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
