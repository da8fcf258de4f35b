//! vPDQ: a video file through ffmpeg, and `vigil.vpdq.VideoHasher` for frames pushed by Python.

use std::path::PathBuf;
use std::sync::Arc;

use numpy::PyReadonlyArrayDyn;
use pyo3::prelude::*;

use crate::error;
use crate::hash::Hash;
use crate::hashing::Hasher;
use crate::pixels::pixels;

/// One vPDQ feature: `(frame number, quality, hash, timestamp in seconds)`.
pub(crate) type Feature = (u64, u8, Hash, f64);

pub(crate) fn feature(frame: u64, pdq: vigil::PdqHash, timestamp: std::time::Duration) -> Feature {
    (frame, pdq.quality, Hash(pdq.hash), timestamp.as_secs_f64())
}

/// vPDQ features of a video file through `vigil::video::hash_video_file`, decoded by ffmpeg as
/// `vigil video FILE` decodes it (each
/// frame's RGB as libswscale converts it, the pixels Meta's `vpdq` hashes): one frame every
/// `seconds_per_hash` (0: every frame), scaled to `downsample` first when given, hashed in
/// batches on `hasher`. A video ffmpeg cannot open, or one it reports damaged, is an error.
#[pyfunction]
#[pyo3(signature = (hasher, path, seconds_per_hash = 1.0, downsample = None, apply_rotation = false))]
pub(crate) fn hash_video_file(
    py: Python<'_>,
    hasher: &Hasher,
    path: PathBuf,
    seconds_per_hash: f64,
    downsample: Option<(u32, u32)>,
    apply_rotation: bool,
) -> PyResult<Vec<Feature>> {
    use vigil::video::ffmpeg::FfmpegOptions;
    use vigil::video::{VpdqOptions, hash_video_file};
    let hasher = Arc::clone(&hasher.inner);
    py.detach(move || {
        let named = |e: &dyn std::fmt::Display| error(format!("{}: {e}", path.display()));
        let options = VpdqOptions::default()
            .seconds_per_hash(seconds_per_hash)
            .prune_distance(None);
        let ffmpeg = FfmpegOptions::default()
            .downsample(downsample)
            .apply_rotation(apply_rotation);
        let (features, run) =
            hash_video_file(&path, hasher, &ffmpeg, &options).map_err(|e| named(&e))?;
        if let Some(damage) = run.damage {
            return Err(named(&format!(
                "the video is damaged ({} frames could be decoded and hashed): {damage}",
                features.len()
            )));
        }
        Ok(features
            .iter()
            .map(|f| {
                let pdq = vigil::PdqHash {
                    hash: f.hash,
                    quality: f.quality,
                };
                feature(f.frame, pdq, f.timestamp)
            })
            .collect())
    })
}

/// Frames pushed one at a time (decoded by PyAV, OpenCV, a camera...) through the library's
/// `FrameChecker`: hashed in batches on the hasher's backend while the caller decodes the next
/// ones. `submit` blocks (with the GIL released) while `capacity` frames are in flight, taking
/// finished results aside meanwhile, so no frame is dropped, the caller decodes no faster than
/// frames are hashed, and frame memory stays bounded.
#[pyclass(module = "vigil")]
pub struct VideoHasher {
    checker: Option<vigil::video::FrameChecker>,
    results: vigil::video::CheckedFrames,
    /// Results taken while `submit` waited for room, in order, before any still queued.
    taken: std::sync::Mutex<Vec<vigil::video::CheckedFrame>>,
}

#[pymethods]
impl VideoHasher {
    /// `capacity`: frames in flight before `submit` blocks (0: the library's default).
    #[new]
    #[pyo3(signature = (hasher, capacity = 0, batch_size = 0))]
    fn new(py: Python<'_>, hasher: &Hasher, capacity: usize, batch_size: usize) -> PyResult<Self> {
        let mut builder = vigil::video::FrameChecker::builder(Arc::clone(&hasher.inner));
        if capacity > 0 {
            builder = builder.capacity(capacity);
        }
        if batch_size > 0 {
            builder = builder.batch_size(batch_size);
        }
        let checker = py.detach(|| builder.start()).map_err(error)?;
        let results = checker.results();
        Ok(VideoHasher {
            checker: Some(checker),
            results,
            taken: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Submits one `H×W[×C]` uint8 frame with its frame number and timestamp (seconds); blocks
    /// while the checker is full. Returns the frame's submission number.
    fn submit(
        &self,
        py: Python<'_>,
        frame: PyReadonlyArrayDyn<'_, u8>,
        frame_number: u64,
        timestamp: f64,
    ) -> PyResult<u64> {
        let checker = self
            .checker
            .as_ref()
            .ok_or_else(|| error("this VideoHasher is finished"))?;
        let pixels = pixels(&frame, false)?;
        let frames = pixels.frames()?;
        let timestamp = std::time::Duration::try_from_secs_f64(timestamp).map_err(error)?;
        let position = vigil::video::FramePosition {
            index: frame_number,
            timestamp,
        };
        let results = &self.results;
        let taken = &self.taken;
        py.detach(|| {
            loop {
                match checker.try_submit(frames[0], position) {
                    Ok(sequence) => return Ok(sequence),
                    Err(vigil::video::TrySubmitError::Closed(_)) => {
                        return Err(error("the checker is closed"));
                    }
                    Err(vigil::video::TrySubmitError::Full(_)) => {
                        let wait = std::time::Duration::from_millis(5);
                        if let Some(done) = results.recv_timeout(wait) {
                            taken.lock().expect("not poisoned").push(done);
                        }
                    }
                }
            }
        })
    }

    /// The results ready now, in submission order, without waiting.
    fn ready(&self) -> Vec<Feature> {
        let mut done = std::mem::take(&mut *self.taken.lock().expect("not poisoned"));
        done.extend(std::iter::from_fn(|| self.results.try_recv()));
        done.into_iter()
            .map(|c| feature(c.position.index, c.hash, c.position.timestamp))
            .collect()
    }

    /// Closes the checker and returns every result not yet taken, in submission order.
    fn finish(&mut self, py: Python<'_>) -> PyResult<Vec<Feature>> {
        let checker = self
            .checker
            .take()
            .ok_or_else(|| error("this VideoHasher is finished"))?;
        let mut out = self.ready();
        let rest = py.detach(|| checker.finish());
        out.extend(
            rest.into_iter()
                .map(|c| feature(c.position.index, c.hash, c.position.timestamp)),
        );
        Ok(out)
    }
}
