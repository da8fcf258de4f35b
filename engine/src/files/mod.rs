//! Hashing images: paths and folders, bytes in memory or readers in; one result per image out,
//! in input order.
//!
//! [`hash_files`] expands the paths ([`walk`]: folders walked recursively, sorted by name, image
//! extensions only); [`hash_sources`] takes [`ImageSource`]s (files, bytes, readers) from any
//! iterator, an endless one included. Both decode in chunks on a thread pool while keeping each
//! chunk's estimated decoding memory within [`FileHashOptions::memory_budget`], hash each chunk
//! as one batch on a [`BatchHasher`] (the GPU when it has one, the same bits as the CPU), and
//! hand the results to the caller chunk by chunk, in input order. An image that cannot be read,
//! decoded or hashed gives an error for it alone; the others go on. [`Progress`] counts what is
//! done for a front end to draw. Every front end (the CLI, the bindings) hashes images through
//! here.
//!
//! ```no_run
//! use std::ops::ControlFlow;
//! use std::path::PathBuf;
//! use vigil::files::{FileHashOptions, hash_files};
//! use vigil::{Backend, BatchHasher};
//!
//! let pool = rayon::ThreadPoolBuilder::new().build()?;
//! let hasher = BatchHasher::new(Backend::Auto)?;
//! let paths = [PathBuf::from("photos/"), PathBuf::from("upload.jpg")];
//! let _: ControlFlow<()> = hash_files(&pool, &hasher, &paths, &FileHashOptions::default(), |chunk| {
//!     for file in chunk {
//!         match &file.result {
//!             Ok(hashes) => println!("{},{}", hashes.original().hash, file.path.display()),
//!             Err(message) => eprintln!("{}: {message}", file.path.display()),
//!         }
//!     }
//!     ControlFlow::Continue(())
//! });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod progress;
mod source;
pub mod walk;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::decode::{DecodeOptions, DecodedImage};
use crate::matcher::Query;
use crate::robust::{self, RobustHashes, RobustOptions};
use crate::{BatchHasher, DihedralHashes, PdqHash};
pub use progress::Progress;
pub use source::ImageSource;
use source::Pending;
use walk::Input;

/// Files decoded at a time, at least (more with more threads: two per thread).
pub const MIN_CHUNK: usize = 8;
/// The default bound on the estimated memory that one chunk's decoding may take.
pub const DEFAULT_MEMORY_BUDGET: u64 = 2 << 30;
/// The path that means standard input, when [`FileHashOptions::stdin_dash`] is set.
pub const STDIN: &str = "-";

/// How files are hashed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FileHashOptions {
    /// How images are decoded (EXIF orientation, the C++ CLI's resize, the per-image limit).
    pub decode: DecodeOptions,
    /// Compute all eight orientations ([`FileHashes::Dihedral`]) instead of the plain hash.
    pub dihedral: bool,
    /// The most that one chunk's decoding may take by the files' headers (an image over it on
    /// its own is still decoded, alone: [`DecodeOptions::max_alloc`] bounds it).
    pub memory_budget: u64,
    /// Read the path `-` as one image on standard input.
    pub stdin_dash: bool,
    /// Hash every image's robust variants too ([`FileHashes::Robust`], [`crate::robust`]).
    pub robust: Option<RobustOptions>,
}

impl Default for FileHashOptions {
    fn default() -> Self {
        FileHashOptions {
            decode: DecodeOptions::default(),
            dihedral: false,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            stdin_dash: false,
            robust: None,
        }
    }
}

option_setters!(FileHashOptions {
    decode: DecodeOptions,
    dihedral: bool,
    memory_budget: u64,
    stdin_dash: bool,
    robust: Option<RobustOptions>
});

/// The hashes computed for one file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileHashes {
    /// The ordinary PDQ hash and quality.
    Single(PdqHash),
    /// All eight orientations and the quality.
    Dihedral(Box<DihedralHashes>),
    /// The eight orientations and every robust variant ([`FileHashOptions::robust`]).
    Robust(Box<RobustHashes>),
}

impl FileHashes {
    /// The query that matches these hashes: the original orientation, or all eight when the
    /// dihedral hashes were computed. For [`FileHashes::Robust`], the eight orientations gated
    /// on [`RobustHashes::gate_quality`]; the variants are matched by
    /// [`robust::match_robust`].
    pub fn query(&self) -> Query {
        match self {
            FileHashes::Single(pdq) => Query::original(*pdq),
            FileHashes::Dihedral(all) => Query::dihedral(all),
            FileHashes::Robust(robust) => Query {
                quality: Some(robust.gate_quality()),
                ..Query::dihedral(&robust.plain)
            },
        }
    }

    /// The hash of the image as stored (the original orientation).
    pub fn original(&self) -> PdqHash {
        match self {
            FileHashes::Single(pdq) => *pdq,
            FileHashes::Dihedral(all) => all.original(),
            FileHashes::Robust(robust) => robust.plain.original(),
        }
    }
}

/// One input and its hashes, or why it has none.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HashedFile {
    /// The path as given, or as walked (the folder joined with the entry's path); for an
    /// [`ImageSource`] that is not a file, the name it was given.
    pub path: PathBuf,
    /// The hashes, or the message of the failure (without the path, which the caller names).
    pub result: Result<FileHashes, String>,
    /// The encoded image's size in bytes (0 when it could not be read).
    pub bytes: u64,
}

/// Hashes the files named by `paths` (see the [module docs](self)), handing each chunk's results
/// to `each` in input order on the calling thread; stops early when `each` breaks, and returns
/// its value.
pub fn hash_files<B>(
    pool: &rayon::ThreadPool,
    hasher: &BatchHasher,
    paths: &[PathBuf],
    options: &FileHashOptions,
    each: impl FnMut(Vec<HashedFile>) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let inputs = walk::expand(paths).map(|input| match input {
        Input::File(path) if options.stdin_dash && path == Path::new(STDIN) => {
            Pending::new(ImageSource::reader(path, std::io::stdin()))
        }
        Input::File(path) => Pending::new(ImageSource::Path(path)),
        Input::Error { path, message } => Pending::failed(path, message),
    });
    hash_pending(pool, hasher, inputs, options, each)
}

/// Hashes images from anywhere (files, bytes in memory, readers: see [`ImageSource`]) as
/// [`hash_files`] hashes files: decoded in parallel in chunks within the memory budget, hashed
/// in batches, each chunk's results handed to `each` in input order; one that fails fails
/// alone. `sources` is consumed lazily, a chunk at a time, so it may be endless (a queue of
/// uploads); `each` breaking stops it.
///
/// ```no_run
/// use std::ops::ControlFlow;
/// use vigil::files::{FileHashOptions, ImageSource, hash_sources};
/// use vigil::{Backend, BatchHasher};
///
/// let pool = rayon::ThreadPoolBuilder::new().build()?;
/// let hasher = BatchHasher::new(Backend::Auto)?;
/// let uploads = vec![
///     ImageSource::bytes("upload-1.jpg", std::fs::read("upload-1.jpg")?),
///     ImageSource::reader("upload-2", std::fs::File::open("upload-2.png")?),
/// ];
/// let _: ControlFlow<()> =
///     hash_sources(&pool, &hasher, uploads, &FileHashOptions::default(), |chunk| {
///         for upload in chunk {
///             println!("{}: {:?}", upload.path.display(), upload.result);
///         }
///         ControlFlow::Continue(())
///     });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn hash_sources<B>(
    pool: &rayon::ThreadPool,
    hasher: &BatchHasher,
    sources: impl IntoIterator<Item = ImageSource>,
    options: &FileHashOptions,
    each: impl FnMut(Vec<HashedFile>) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let inputs = sources.into_iter().map(Pending::new);
    hash_pending(pool, hasher, inputs, options, each)
}

/// The pipeline behind [`hash_files`] and [`hash_sources`].
fn hash_pending<B>(
    pool: &rayon::ThreadPool,
    hasher: &BatchHasher,
    mut inputs: impl Iterator<Item = Pending>,
    options: &FileHashOptions,
    mut each: impl FnMut(Vec<HashedFile>) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let chunk_len = (2 * pool.current_num_threads()).max(MIN_CHUNK);
    // Inputs read ahead whose chunk was full by memory, first in the next chunk.
    let mut carried: Vec<(Pending, u64)> = Vec::new();
    loop {
        let mut fresh: Vec<Pending> = inputs
            .by_ref()
            .take(chunk_len.saturating_sub(carried.len()))
            .collect();
        let estimated: Vec<u64> = pool.install(|| {
            fresh
                .par_iter_mut()
                .map(|input| {
                    input.read(options.decode.max_alloc);
                    input.estimated_bytes()
                })
                .collect()
        });
        carried.extend(fresh.into_iter().zip(estimated));
        if carried.is_empty() {
            return ControlFlow::Continue(());
        }
        let chunk = take_within_budget(&mut carried, options.memory_budget);
        let decoded: Vec<Decoded> = pool.install(|| {
            chunk
                .into_par_iter()
                .map(|input| {
                    let name = input.name.clone();
                    let (image, bytes) = input.decode(&options.decode);
                    Decoded { name, image, bytes }
                })
                .collect()
        });
        each(hash_decoded(pool, hasher, decoded, options))?;
    }
}

/// An input after decoding: its name, its image or why it has none, and its encoded size.
struct Decoded {
    name: PathBuf,
    image: Result<DecodedImage, String>,
    bytes: u64,
}

/// The longest prefix of `queue` whose estimated bytes stay within `budget` (at least one
/// input, which [`DecodeOptions::max_alloc`](crate::decode::DecodeOptions::max_alloc) bounds on
/// its own); the rest stays queued.
fn take_within_budget<T>(queue: &mut Vec<(T, u64)>, budget: u64) -> Vec<T> {
    let mut total = 0u64;
    let fits = queue
        .iter()
        .position(|&(_, bytes)| {
            total = total.saturating_add(bytes);
            total > budget
        })
        .unwrap_or(queue.len())
        .max(1);
    queue.drain(..fits).map(|(input, _)| input).collect()
}

/// Hashes the decoded images of a chunk as one batch; failures pass through in place.
fn hash_decoded(
    pool: &rayon::ThreadPool,
    hasher: &BatchHasher,
    decoded: Vec<Decoded>,
    options: &FileHashOptions,
) -> Vec<HashedFile> {
    let frames: Vec<Result<crate::Frame<'_>, String>> = decoded
        .iter()
        .map(|input| {
            input
                .image
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|image| image.frame().map_err(message_without_path))
        })
        .collect();
    let batch: Vec<crate::Frame<'_>> = frames
        .iter()
        .filter_map(|frame| frame.as_ref().ok().copied())
        .collect();
    // The chunk is one batch: its images, and with robust variants every variant of each too.
    let mut hashed = pool
        .install(|| match &options.robust {
            Some(robust) => robust::hash_robust_batch(hasher, &batch, robust)
                .into_iter()
                .map(|hashes| FileHashes::Robust(Box::new(hashes)))
                .collect::<Vec<_>>(),
            None => hasher
                .hash_dihedral_batch(&batch)
                .into_iter()
                .map(|all| {
                    if options.dihedral {
                        FileHashes::Dihedral(Box::new(all))
                    } else {
                        FileHashes::Single(all.original())
                    }
                })
                .collect(),
        })
        .into_iter();
    decoded
        .iter()
        .zip(frames)
        .map(|(input, frame)| {
            let hashes = frame.and_then(|_| {
                hashed
                    .next()
                    .ok_or_else(|| "hashing produced no result".to_owned())
            });
            HashedFile {
                path: input.name.clone(),
                result: hashes,
                bytes: input.bytes,
            }
        })
        .collect()
}

/// The message of `error` without its path (the caller names the file), tidied by
/// [`tidy_message`].
fn message_without_path(error: crate::Error) -> String {
    let message = match error {
        crate::Error::Decode { message, .. } => message,
        crate::Error::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    };
    tidy_message(&message)
}

/// `message` without the line breaks decoders end theirs with: trailing ones, and the escaped
/// `\n` of a decoder's message that reaches us quoted (`...: "Found a marker\n"`), whose quotes
/// go too.
fn tidy_message(message: &str) -> String {
    let message = message.trim_end();
    if let Some((head, quoted)) = message.rsplit_once(": \"")
        && let Some(inner) = quoted.strip_suffix('"')
    {
        let inner = inner.trim_end_matches("\\n").trim_end();
        if !inner.contains(['"', '\\']) {
            return format!("{head}: {inner}");
        }
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(sizes: &[u64]) -> Vec<(Input, u64)> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &bytes)| (Input::File(PathBuf::from(i.to_string())), bytes))
            .collect()
    }

    fn names(chunk: &[Input]) -> Vec<String> {
        chunk
            .iter()
            .map(|input| match input {
                Input::File(path) | Input::Error { path, .. } => path.display().to_string(),
            })
            .collect()
    }

    /// A pool of `threads` threads and the CPU hasher, as the pipeline's tests run it.
    fn cpu_pipeline(threads: usize) -> (rayon::ThreadPool, BatchHasher) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        (pool, BatchHasher::new(crate::Backend::Cpu).unwrap())
    }

    #[test]
    fn decoder_messages_lose_their_line_breaks() {
        assert_eq!(
            tidy_message(
                "Format error decoding Jpeg: \"Found a marker with invalid length:0\\n\"\n"
            ),
            "Format error decoding Jpeg: Found a marker with invalid length:0"
        );
        assert_eq!(tidy_message("plain\n\n"), "plain");
        assert_eq!(
            tidy_message("kept: \"a \\\"b\\\"\""),
            "kept: \"a \\\"b\\\"\""
        );
    }

    #[test]
    fn chunks_stay_within_the_decode_budget_and_keep_order() {
        let mut q = queue(&[4, 3, 3, 1, 9, 2]);
        assert_eq!(names(&take_within_budget(&mut q, 10)), ["0", "1", "2"]);
        // An input over the budget on its own still goes, alone.
        assert_eq!(names(&take_within_budget(&mut q, 0)), ["3"]);
        assert_eq!(names(&take_within_budget(&mut q, 10)), ["4"]);
        assert_eq!(names(&take_within_budget(&mut q, 10)), ["5"]);
        assert!(q.is_empty());
        let mut unknown = queue(&[0, 0, u64::MAX, 0]);
        assert_eq!(names(&take_within_budget(&mut unknown, 10)), ["0", "1"]);
    }

    /// Every file gives one result, in input order; a bad one fails alone.
    #[test]
    fn files_come_back_in_order_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let grey: Vec<u8> = (0..64 * 48).map(|i| (i * 7 % 251) as u8).collect();
        let png = |name: &str| {
            let path = dir.path().join(name);
            image::GrayImage::from_raw(64, 48, grey.clone())
                .unwrap()
                .save(&path)
                .unwrap();
            path
        };
        let (a, b) = (png("a.png"), png("b.png"));
        let bad = dir.path().join("c.png");
        std::fs::write(&bad, b"not a png").unwrap();
        let paths = vec![
            b.clone(),
            bad.clone(),
            a.clone(),
            dir.path().join("missing.png"),
        ];
        let (pool, hasher) = cpu_pipeline(2);
        let mut results = Vec::new();
        let options = FileHashOptions::default().dihedral(true);
        let _: ControlFlow<()> = hash_files(&pool, &hasher, &paths, &options, |chunk| {
            results.extend(chunk);
            ControlFlow::Continue(())
        });
        let got: Vec<&Path> = results.iter().map(|r| r.path.as_path()).collect();
        assert_eq!(got, paths.iter().map(PathBuf::as_path).collect::<Vec<_>>());
        let frame = crate::Frame::packed(&grey, 64, 48, crate::PixelFormat::Luma8).unwrap();
        let expected = FileHashes::Dihedral(Box::new(crate::hash_dihedral(&frame)));
        assert_eq!(results[0].result.as_ref(), Ok(&expected));
        assert_eq!(results[2].result.as_ref(), Ok(&expected));
        assert!(results[1].result.is_err() && results[3].result.is_err());
    }

    /// A reader that fails, as a dropped connection does.
    struct Broken;

    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("connection reset"))
        }
    }

    /// A file, its bytes and a reader of them hash alike; a broken, empty or oversized reader
    /// fails alone, in its place; progress counts them all.
    #[test]
    fn sources_of_every_kind_hash_alike_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.png");
        let grey: Vec<u8> = (0..64 * 48).map(|i| (i * 5 % 253) as u8).collect();
        image::GrayImage::from_raw(64, 48, grey.clone())
            .unwrap()
            .save(&path)
            .unwrap();
        let png = std::fs::read(&path).unwrap();
        let sources = vec![
            ImageSource::from(path.clone()),
            ImageSource::bytes("b.png", png.clone()),
            ImageSource::reader("c", std::io::Cursor::new(png.clone())),
            ImageSource::reader("d", Broken),
            ImageSource::reader("e", std::io::empty()),
            ImageSource::bytes("f", b"not an image".to_vec()),
        ];
        let (pool, hasher) = cpu_pipeline(2);
        let mut results = Vec::new();
        let mut progress = Progress::start();
        let _: ControlFlow<()> = hash_sources(
            &pool,
            &hasher,
            sources,
            &FileHashOptions::default(),
            |chunk| {
                progress.record(&chunk);
                results.extend(chunk);
                ControlFlow::Continue(())
            },
        );
        let names: Vec<String> = results
            .iter()
            .map(|r| r.path.display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                path.display().to_string(),
                "b.png".into(),
                "c".into(),
                "d".into(),
                "e".into(),
                "f".into()
            ]
        );
        let frame = crate::Frame::packed(&grey, 64, 48, crate::PixelFormat::Luma8).unwrap();
        let expected = FileHashes::Single(crate::hash(&frame));
        for hashed in &results[..3] {
            assert_eq!(hashed.result.as_ref(), Ok(&expected));
            assert_eq!(hashed.bytes, png.len() as u64);
        }
        assert_eq!(
            results[3].result,
            Err("cannot read the stream: connection reset".to_owned())
        );
        assert_eq!(
            results[4].result,
            Err("the stream is empty: no image to hash".to_owned())
        );
        assert!(results[5].result.is_err());
        assert_eq!((progress.files(), progress.failed()), (6, 3));
        assert_eq!(progress.bytes(), 3 * png.len() as u64 + 12);
    }

    /// A reader that holds more than an image may is refused without being read to its end.
    #[test]
    fn an_oversized_reader_is_refused() {
        let (pool, hasher) = cpu_pipeline(1);
        let options = FileHashOptions::default().decode(DecodeOptions::default().max_alloc(100));
        let endless = ImageSource::reader("endless", std::io::repeat(7));
        let mut results = Vec::new();
        let _: ControlFlow<()> = hash_sources(&pool, &hasher, [endless], &options, |chunk| {
            results.extend(chunk);
            ControlFlow::Continue(())
        });
        assert_eq!(
            results[0].result,
            Err("the stream holds more than 100 bytes; too large for one image".to_owned())
        );
    }
}
