//! `vigil hash`: PDQ hashes of image files, decoded and hashed in parallel, printed in input order.

use std::io::{self, BufWriter, ErrorKind, IsTerminal, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use clap::Args;
use rayon::prelude::*;
use vigil::decode::{DecodeOptions, DecodedImage, decode_bytes, decode_file};
use vigil::{Backend, Hasher};

use crate::output::{self, Format, Hashes, path_field};
use crate::progress::Progress;
use crate::walk::{self, Input};
use crate::{Outcome, report_error};

/// Fewest files decoded in parallel and hashed as one batch before their lines are printed; a
/// chunk is twice the worker threads when that is more. Output starts after the first chunk, and
/// only one chunk of decoded pixels is held in memory at a time.
pub const MIN_CHUNK: usize = 8;
/// Most bytes the images of one chunk may take to decode together (each file on its own is
/// bounded by [`DecodeOptions::max_alloc`], 1 GiB by default): a folder of large images is
/// decoded a few at a time instead of 2 × threads at once.
pub const DECODE_BUDGET: u64 = 2 << 30;
/// Most worker threads `-j` takes: more only cost time (5000 threads took 26 s to start for
/// one image) and memory.
pub const MAX_THREADS: usize = 1024;
/// The path that means standard input.
pub const STDIN: &str = "-";

const AFTER_HELP: &str = "\
Output:
  Text (default): one line per file, exactly as Meta's reference tools print it:
      HASH,QUALITY,PATH
  With --dihedral: the hashes of the 8 orientations (original, rotate90, rotate180, rotate270,
  flipx, flipy, flip+1, flip-1), then QUALITY, then PATH: 10 comma-separated fields.
  HASH is 64 hex digits, most significant first; QUALITY is 0..=100. Paths are printed as given on
  the command line or as walked (the directory joined with the entry's path), `-` for standard
  input. A path with a comma, a double quote, a control character or bytes that are not UTF-8
  is printed in double quotes, with `\"` doubled, `\\` as `\\\\`, controls as `\\n`, `\\t`,
  `\\u{7f}` and other bytes as `\\xFF` (the same in every command). Lines come in input
  order; directories are walked sorted by file name. Both formats (with or without --dihedral)
  read back as hash lists (`vigil match --list`, `vigil list`).

  --json: JSON Lines, one object per file:
      {\"path\":\"a.jpg\",\"hash\":\"f8f8...9b22\",\"quality\":100}
  with --dihedral also \"dihedral\":{\"original\":...,\"rotate90\":...,...,\"flip-1\":...}.
  A path that is not UTF-8 is escaped as in text (`\\\\`, `\\xFF`) and flagged
  \"path_escaped\":true. JSON Lines read back as hash lists too.
  A file that fails gets {\"path\":...,\"error\":\"...\"} on stdout, in its place in the order,
  as well as the usual message on stderr.

Progress: on a terminal, stderr shows files done, files/s and errors after the first second
(not with TERM=dumb; plain with NO_COLOR).

Errors:
  A file that cannot be read or decoded, or is refused as too large to decode (a decompression
  bomb), is reported on stderr as `vigil: PATH: MESSAGE` and the others are still hashed.
  The exit status is 0 if every file was hashed, 2 if any failed (as ripgrep). If stdout is
  closed early (for example `vigil hash dir | head -1`), vigil stops quietly; the status is then
  0 unless a file had already failed.

Examples:
  vigil hash photo.jpg
  vigil hash - < photo.jpg
  vigil hash --dihedral photos/ > hashes.csv
  vigil hash --json --exif uploads/ | jq -r .hash";

/// Options of `vigil hash`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct HashArgs {
    /// Image files and directories to hash; `-` reads one image from standard input.
    ///
    /// Directories are walked recursively and only files with an image extension (png, jpg, jpeg,
    /// gif, webp, bmp, tif, tiff; any case) are hashed; a file named here is always attempted,
    /// whatever its extension. Symbolic links to directories inside a walk are not followed. A
    /// file named `-` is `./-`.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Also compute the hashes of the 7 other rotations and flips (from the same pass).
    #[arg(long)]
    pub dihedral: bool,

    /// Print JSON Lines instead of the reference's comma-separated lines.
    #[arg(long)]
    pub json: bool,

    /// How images are decoded and hashed.
    #[command(flatten)]
    pub hashing: HashingArgs,
}

/// How image files are decoded and hashed: shared by `vigil hash` and `vigil match`.
#[derive(Debug, Args)]
pub struct HashingArgs {
    /// Apply the EXIF orientation tag before hashing.
    ///
    /// Off by default, as in every ThreatExchange tool: hash lists are made from stored pixels,
    /// and rotated copies are caught by --dihedral.
    #[arg(long)]
    pub exif: bool,

    /// Reproduce the C++ reference CLI's pre-resize to 512x512.
    ///
    /// Images larger than 512 pixels on a side are first resized to 512x512 by nearest neighbour
    /// (aspect ratio not kept), as Meta's C++ command-line hasher does. Its hashes differ from the
    /// full-resolution ones (the default, as the `pdqhash` Python package and HMA) by a few bits.
    #[arg(long)]
    pub cpp_cli: bool,

    /// Worker threads, at most 1024; 0 = one per CPU.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,

    /// Where to hash: `auto` takes a hardware GPU when there is one and the CPU otherwise (a
    /// software rasteriser such as lavapipe is never chosen automatically); `gpu` insists on a
    /// GPU adapter (software ones included) and fails when there is none; `cpu` never looks.
    /// Every backend gives the same hashes.
    #[arg(long, value_name = "BACKEND", default_value = "auto", value_parser = parse_backend)]
    pub backend: Backend,
}

fn parse_backend(value: &str) -> Result<Backend, String> {
    value.parse()
}

fn parse_threads(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n <= MAX_THREADS => Ok(n),
        _ => Err(format!(
            "expected 0..={MAX_THREADS} worker threads (0 = one per CPU); got {value:?}"
        )),
    }
}

impl HashingArgs {
    /// The worker pool of `--threads`.
    pub fn pool(&self) -> Result<rayon::ThreadPool, String> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| format!("cannot start worker threads: {e}"))
    }

    /// The hasher of `--backend`; says on stderr which backend it took when stderr is a terminal.
    pub fn hasher(&self) -> Result<Hasher, String> {
        let hasher = Hasher::new(self.backend).map_err(|e| e.to_string())?;
        if io::stderr().is_terminal() {
            report_error(&format!("hashing on {}", hasher.active()));
        }
        Ok(hasher)
    }

    /// The decoding options of `--exif` and `--cpp-cli`.
    pub fn decode_options(&self) -> DecodeOptions {
        DecodeOptions {
            apply_exif: self.exif,
            cpp_cli_resize: self.cpp_cli,
            ..DecodeOptions::default()
        }
    }
}

/// One input file and its hashes, or why it has none (the message does not repeat the path).
pub type Hashed = (PathBuf, Result<Hashes, String>);

/// Decodes the files named by `paths` (directories walked, see [`walk`]) in chunks, each chunk in
/// parallel on `pool`, hashes each chunk as one batch on `hasher`, and hands each chunk's results
/// to `each` in input order, on the calling thread; stops early when `each` breaks.
pub fn hash_in_chunks<B>(
    pool: &rayon::ThreadPool,
    hasher: &Hasher,
    paths: &[PathBuf],
    options: &DecodeOptions,
    dihedral: bool,
    mut each: impl FnMut(Vec<Hashed>) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let chunk_len = (2 * pool.current_num_threads()).max(MIN_CHUNK);
    let mut inputs = walk::expand(paths);
    // Files read ahead whose chunk was full by memory, first in the next chunk.
    let mut carried: Vec<(Input, u64)> = Vec::new();
    loop {
        let fresh: Vec<Input> = inputs
            .by_ref()
            .take(chunk_len.saturating_sub(carried.len()))
            .collect();
        let estimated: Vec<u64> = pool.install(|| fresh.par_iter().map(estimate_bytes).collect());
        carried.extend(fresh.into_iter().zip(estimated));
        if carried.is_empty() {
            return ControlFlow::Continue(());
        }
        let chunk = take_within_budget(&mut carried, DECODE_BUDGET);
        let decoded: Vec<(PathBuf, Result<DecodedImage, String>)> = pool.install(|| {
            chunk
                .into_par_iter()
                .map(|input| match input {
                    Input::File(path) => {
                        let image = decode_input(&path, options);
                        (path, image)
                    }
                    Input::Error { path, message } => (path, Err(message)),
                })
                .collect()
        });
        each(hash_decoded(pool, hasher, decoded, dihedral))?;
    }
}

/// Decodes the file at `path`, or the image on standard input for `-`.
fn decode_input(path: &Path, options: &DecodeOptions) -> Result<DecodedImage, String> {
    if path != Path::new(STDIN) {
        return decode_file(path, options).map_err(message_without_path);
    }
    // The encoded image may not be larger than its decoded pixels may be.
    let limit = options.max_alloc;
    let mut bytes = Vec::new();
    io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "standard input holds more than {limit} bytes; too large for one image"
        ));
    }
    if bytes.is_empty() {
        return Err("standard input is empty: no image to hash".to_owned());
    }
    decode_bytes(&bytes, STDIN, options).map_err(message_without_path)
}

/// What decoding `input` may allocate at its peak, from its header (0 when unknown: its
/// decoding then fails early).
fn estimate_bytes(input: &Input) -> u64 {
    match input {
        Input::File(path) if path == Path::new(STDIN) => 0,
        Input::File(path) => vigil::decode::decoded_bytes_estimate(path).unwrap_or(0),
        Input::Error { .. } => 0,
    }
}

/// The longest prefix of `queue` whose estimated bytes stay within `budget` (at least one
/// input, which [`DecodeOptions::max_alloc`] bounds on its own); the rest stays queued.
fn take_within_budget(queue: &mut Vec<(Input, u64)>, budget: u64) -> Vec<Input> {
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
    hasher: &Hasher,
    decoded: Vec<(PathBuf, Result<DecodedImage, String>)>,
    dihedral: bool,
) -> Vec<Hashed> {
    let frames: Vec<Result<vigil::Frame<'_>, String>> = decoded
        .iter()
        .map(|(_, image)| {
            image
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|image| image.frame().map_err(message_without_path))
        })
        .collect();
    let batch: Vec<vigil::Frame<'_>> = frames
        .iter()
        .filter_map(|frame| frame.as_ref().ok().copied())
        .collect();
    let mut hashed = pool
        .install(|| hasher.hash_dihedral_batch(&batch))
        .into_iter();
    decoded
        .iter()
        .zip(frames)
        .map(|((path, _), frame)| {
            let hashes = frame.and_then(|_| {
                hashed
                    .next()
                    .ok_or_else(|| "hashing produced no result".to_owned())
            });
            let hashes = hashes.map(|all| {
                if dihedral {
                    Hashes::Dihedral(Box::new(all))
                } else {
                    Hashes::Single(all.original())
                }
            });
            (path.clone(), hashes)
        })
        .collect()
}

/// Runs `vigil hash`. `Err` is a failure that stops everything (no thread pool, stdout unwritable),
/// reported by the caller; a failing file is reported here and only changes the outcome.
pub fn run(args: &HashArgs) -> Result<Outcome, String> {
    let pool = args.hashing.pool()?;
    let hasher = args.hashing.hasher()?;
    let options = args.hashing.decode_options();
    let format = if args.json {
        Format::Json
    } else {
        Format::Text
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let mut failed = 0u64;
    let mut progress = Progress::on_stderr("vigil hash");
    let flow = hash_in_chunks(
        &pool,
        &hasher,
        &args.paths,
        &options,
        args.dihedral,
        |results| {
            // Erased while lines and messages are written, so that they do not mix with it.
            progress.clear();
            for (path, result) in &results {
                let written = match result {
                    Ok(hashes) => output::write_hashes(&mut out, format, path, hashes),
                    Err(message) => {
                        failed += 1;
                        // Keep stdout and stderr in order on a terminal.
                        out.flush().and_then(|()| {
                            report_error(&format!("{}: {message}", path_field(path)));
                            output::write_error(&mut out, format, path, message)
                        })
                    }
                };
                if let Some(stop) = write_failure(written) {
                    return ControlFlow::Break(stop);
                }
            }
            if let Some(stop) = write_failure(out.flush()) {
                return ControlFlow::Break(stop);
            }
            progress.advance(results.len() as u64, |done, rate| {
                format!("{done} files, {rate:.1} files/s, {failed} errors")
            });
            ControlFlow::Continue(())
        },
    );
    progress.clear();
    let failed = failed > 0;
    let outcome = if failed {
        Outcome::SomeFailed
    } else {
        Outcome::Success
    };
    match flow {
        ControlFlow::Break(stop) => stop.map(|()| outcome),
        ControlFlow::Continue(()) => Ok(outcome),
    }
}

/// `None` to go on; `Some(Ok(()))` to stop quietly (stdout was closed by its reader);
/// `Some(Err(..))` for any other write failure.
pub fn write_failure(written: io::Result<()>) -> Option<Result<(), String>> {
    match written {
        Ok(()) => None,
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Some(Ok(())),
        Err(e) => Some(Err(format!("cannot write output: {e}"))),
    }
}

/// The message of `error` without its path (the caller names the file), tidied by
/// [`tidy_message`].
fn message_without_path(error: vigil::Error) -> String {
    let message = match error {
        vigil::Error::Decode { message, .. } => message,
        vigil::Error::Io { source, .. } => source.to_string(),
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
}
