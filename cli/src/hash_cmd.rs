//! `vigil hash`: PDQ hashes of image files, decoded and hashed in parallel, printed in input order.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use clap::Args;
use vigil::decode::DecodeOptions;
use vigil::files::{FileHashOptions, HashedFile, Progress, hash_files};
use vigil::{Backend, BatchHasher};

use crate::engine_values::engine_value;
use crate::output::{self, Format, output_stop, path_field};
use crate::progress::ProgressLine;
use crate::robust_args::RobustArgs;
use crate::{Outcome, report_error};

/// Most worker threads `-j` takes: more only cost time (5000 threads took 26 s to start for
/// one image) and memory.
pub const MAX_THREADS: usize = 1024;

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

Progress: on a terminal, stderr shows files done, files/s, MB/s read and errors after the first second
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

    /// Also hash each image's robust variants (content regions, turns, zooms; see `vigil match
    /// --robust`): text gets one `HASH,QUALITY,PATH,VARIANT` line per variant, the plain hash
    /// first (`plain`); JSON adds "dihedral", "gate_quality", "regions" and "variants".
    #[arg(long, conflicts_with = "dihedral")]
    pub variants: bool,

    /// Which robust variants (with --variants).
    #[command(flatten)]
    pub robust: RobustArgs,

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
    #[arg(long, value_name = "BACKEND", default_value = "auto",
          value_parser = engine_value::<Backend>())]
    pub backend: Backend,
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
    pub fn hasher(&self) -> Result<BatchHasher, String> {
        let hasher = BatchHasher::new(self.backend).map_err(|e| e.to_string())?;
        if io::stderr().is_terminal() {
            report_error(&format!("hashing on {}", hasher.active()));
        }
        Ok(hasher)
    }

    /// The decoding options of `--exif` and `--cpp-cli`.
    pub fn decode_options(&self) -> DecodeOptions {
        DecodeOptions::default()
            .apply_exif(self.exif)
            .cpp_cli_resize(self.cpp_cli)
    }

    /// How files are hashed: the decoding options, `-` as standard input, and `dihedral`.
    pub fn file_options(&self, dihedral: bool) -> FileHashOptions {
        FileHashOptions::default()
            .decode(self.decode_options())
            .dihedral(dihedral)
            .stdin_dash(true)
    }
}

/// Runs `vigil hash`. `Err` is a failure that stops everything (no thread pool, stdout unwritable),
/// reported by the caller; a failing file is reported here and only changes the outcome.
pub fn run(args: &HashArgs) -> Result<Outcome, String> {
    if args.robust.changed() && !args.variants {
        return Err("the variant options (--rotations, --zooms, ...) need --variants".to_owned());
    }
    let pool = args.hashing.pool()?;
    let hasher = args.hashing.hasher()?;
    let options = args
        .hashing
        .file_options(args.dihedral)
        .robust(args.variants.then(|| args.robust.options()));
    let format = if args.json {
        Format::Json
    } else {
        Format::Text
    };
    let mut out = BufWriter::new(io::stdout().lock());
    // Failures reported so far (the exit status); `progress` counts whole chunks, for the line.
    let mut failed = 0u64;
    let mut progress = Progress::start();
    let mut line = ProgressLine::on_stderr("vigil hash");
    let flow = hash_files(&pool, &hasher, &args.paths, &options, |results| {
        // Erased while lines and messages are written, so that they do not mix with it.
        line.clear();
        for HashedFile { path, result, .. } in &results {
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
            if let Some(stop) = output_stop(written) {
                return ControlFlow::Break(stop);
            }
        }
        if let Some(stop) = output_stop(out.flush()) {
            return ControlFlow::Break(stop);
        }
        progress.record(&results);
        line.draw(|| {
            format!(
                "{} files, {:.1} files/s, {:.1} MB/s, {} errors",
                progress.files(),
                progress.files_per_second(),
                progress.bytes_per_second() / 1e6,
                progress.failed()
            )
        });
        ControlFlow::Continue(())
    });
    line.clear();
    let failed = failed > 0;
    let outcome = if failed {
        Outcome::SomeFailed
    } else {
        Outcome::Success
    };
    match flow {
        ControlFlow::Break(stop) => stop.into_result().map(|()| outcome),
        ControlFlow::Continue(()) => Ok(outcome),
    }
}
