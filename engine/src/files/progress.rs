//! How far a run of [`hash_files`](super::hash_files) or [`hash_sources`](super::hash_sources)
//! has come, for a front end to draw (a terminal line, a progress bar, a log record).

use std::time::{Duration, Instant};

use super::HashedFile;

/// Files done, failed and their encoded bytes since the run began, and the rates.
///
/// ```
/// use vigil::files::Progress;
///
/// let mut progress = Progress::start();
/// progress.record(&[]); // each chunk's results, as they come
/// assert_eq!((progress.files(), progress.failed(), progress.bytes()), (0, 0, 0));
/// ```
#[derive(Clone, Debug)]
pub struct Progress {
    started: Instant,
    files: u64,
    failed: u64,
    bytes: u64,
}

impl Progress {
    /// A run that begins now.
    pub fn start() -> Progress {
        Progress {
            started: Instant::now(),
            files: 0,
            failed: 0,
            bytes: 0,
        }
    }

    /// Counts a chunk of results.
    pub fn record(&mut self, chunk: &[HashedFile]) {
        self.files += chunk.len() as u64;
        self.failed += chunk.iter().filter(|file| file.result.is_err()).count() as u64;
        self.bytes += chunk.iter().map(|file| file.bytes).sum::<u64>();
    }

    /// Files done, hashed or failed.
    pub fn files(&self) -> u64 {
        self.files
    }

    /// Files that failed.
    pub fn failed(&self) -> u64 {
        self.failed
    }

    /// Encoded bytes of the files done (as stored: compressed).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Time since the run began.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Files done per second so far.
    pub fn files_per_second(&self) -> f64 {
        self.files as f64 / self.elapsed().as_secs_f64().max(1e-9)
    }

    /// Encoded bytes done per second so far.
    pub fn bytes_per_second(&self) -> f64 {
        self.bytes as f64 / self.elapsed().as_secs_f64().max(1e-9)
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::start()
    }
}
