//! `vigil hash`: PDQ hashes of image files, decoded and hashed in parallel, printed in input order.

use std::io::{self, BufWriter, ErrorKind, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use clap::Args;
use rayon::prelude::*;
use vigil::decode::{DecodeOptions, decode_file};

use crate::output::{self, Format, Hashes};
use crate::walk::{self, Input};
use crate::{Outcome, report_error};

/// Files decoded and hashed in parallel before their lines are printed: output starts after the
/// first chunk rather than after the whole list, and at most this many results wait in memory
/// (decoded pixels are dropped as soon as each file is hashed).
pub const CHUNK: usize = 64;

const AFTER_HELP: &str = "\
Output:
  Text (default): one line per file, exactly as Meta's reference tools print it:
      HASH,QUALITY,PATH
  With --dihedral: the hashes of the 8 orientations (original, rotate90, rotate180, rotate270,
  flipx, flipy, flip+1, flip-1), then QUALITY, then PATH: 10 comma-separated fields.
  HASH is 64 hex digits, most significant first; QUALITY is 0..=100. Paths are printed as given on
  the command line or as walked (the directory joined with the entry's path). Lines come in input
  order; directories are walked sorted by file name.

  --json: JSON Lines, one object per file:
      {\"path\":\"a.jpg\",\"hash\":\"f8f8...9b22\",\"quality\":100}
  with --dihedral also \"dihedral\":{\"original\":...,\"rotate90\":...,...,\"flip-1\":...}.
  A file that fails gets {\"path\":...,\"error\":\"...\"} on stdout, in its place in the order,
  as well as the usual message on stderr.

Errors:
  A file that cannot be read or decoded, or is refused as too large to decode (a decompression
  bomb), is reported on stderr as `vigil: PATH: MESSAGE` and the others are still hashed.
  The exit status is 0 if every file was hashed, 2 if any failed (as ripgrep). If stdout is
  closed early (for example `vigil hash dir | head -1`), vigil stops quietly; the status is then
  0 unless a file had already failed.

Examples:
  vigil hash photo.jpg
  vigil hash --dihedral photos/ > hashes.csv
  vigil hash --json --exif uploads/ | jq -r .hash";

/// Options of `vigil hash`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct HashArgs {
    /// Image files and directories to hash.
    ///
    /// Directories are walked recursively and only files with an image extension (png, jpg, jpeg,
    /// gif, webp, bmp, tif, tiff; any case) are hashed; a file named here is always attempted,
    /// whatever its extension. Symbolic links to directories inside a walk are not followed.
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

    /// Worker threads; 0 = one per CPU.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

impl HashingArgs {
    /// The worker pool of `--threads`.
    pub fn pool(&self) -> Result<rayon::ThreadPool, String> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| format!("cannot start worker threads: {e}"))
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

/// Decodes and hashes the files named by `paths` (directories walked, see [`walk`]) in chunks
/// of [`CHUNK`], each chunk in parallel on `pool`, and hands each chunk's results to `each` in
/// input order, on the calling thread; stops early when `each` breaks.
pub fn hash_in_chunks<B>(
    pool: &rayon::ThreadPool,
    paths: &[PathBuf],
    options: &DecodeOptions,
    dihedral: bool,
    mut each: impl FnMut(Vec<Hashed>) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let mut inputs = walk::expand(paths);
    loop {
        let chunk: Vec<Input> = inputs.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            return ControlFlow::Continue(());
        }
        let results = pool.install(|| {
            chunk
                .into_par_iter()
                .map(|input| match input {
                    Input::File(path) => {
                        let hashes = hash_file(&path, options, dihedral);
                        (path, hashes)
                    }
                    Input::Error { path, message } => (path, Err(message)),
                })
                .collect()
        });
        each(results)?;
    }
}

/// Runs `vigil hash`. `Err` is a failure that stops everything (no thread pool, stdout unwritable),
/// reported by the caller; a failing file is reported here and only changes the outcome.
pub fn run(args: &HashArgs) -> Result<Outcome, String> {
    let pool = args.hashing.pool()?;
    let options = args.hashing.decode_options();
    let format = if args.json {
        Format::Json
    } else {
        Format::Text
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let mut failed = false;
    let flow = hash_in_chunks(&pool, &args.paths, &options, args.dihedral, |results| {
        for (path, result) in &results {
            let written = match result {
                Ok(hashes) => output::write_hashes(&mut out, format, path, hashes),
                Err(message) => {
                    failed = true;
                    // Keep stdout and stderr in order on a terminal.
                    out.flush().and_then(|()| {
                        report_error(&format!("{}: {message}", path.display()));
                        output::write_error(&mut out, format, path, message)
                    })
                }
            };
            if let Some(stop) = write_failure(written) {
                return ControlFlow::Break(stop);
            }
        }
        match write_failure(out.flush()) {
            Some(stop) => ControlFlow::Break(stop),
            None => ControlFlow::Continue(()),
        }
    });
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

/// Decodes and hashes one file; the error message does not repeat the path.
fn hash_file(path: &Path, options: &DecodeOptions, dihedral: bool) -> Result<Hashes, String> {
    let image = decode_file(path, options).map_err(message_without_path)?;
    let frame = image.frame().map_err(message_without_path)?;
    Ok(if dihedral {
        Hashes::Dihedral(Box::new(vigil::hash_dihedral(&frame)))
    } else {
        Hashes::Single(vigil::hash(&frame))
    })
}

fn message_without_path(error: vigil::Error) -> String {
    match error {
        vigil::Error::Decode { message, .. } => message,
        vigil::Error::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}
