//! `vigil list`: converting hash lists between text and binary, and describing them.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use vigil::lists::{HashList, ListFormat};

use crate::Outcome;
use crate::hash_cmd::write_failure;

const AFTER_HELP: &str = "\
Formats:
  text: hex lines (one hash a line) when the list has no qualities and its ids are its line
  numbers; otherwise CSV with the header hash,quality,id. Reads back to the same entries.
  binary: vigil's format, a header with a BLAKE3 digest checked on every load (a damaged file is
  refused whole); the fastest to load.

Examples:
  vigil list convert ncmec.txt ncmec.bin
  vigil list convert ncmec.bin ncmec.csv --to text
  vigil list info ncmec.bin";

/// Options of `vigil list`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct ListArgs {
    #[command(subcommand)]
    pub command: ListCommand,
}

/// What to do with a list.
#[derive(Debug, Subcommand)]
pub enum ListCommand {
    /// Convert a hash list between text and binary (any input format is read).
    Convert {
        /// The list to read.
        input: PathBuf,
        /// Where to write it (replaced whole once written).
        output: PathBuf,
        /// Output format; by default binary for a text input and text for a binary one.
        #[arg(long, value_enum)]
        to: Option<Target>,
    },
    /// Print a list's format, entry count and degenerate entries.
    Info {
        /// The list to describe.
        file: PathBuf,
    },
}

/// `--to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Binary,
    Text,
}

/// Runs `vigil list`.
pub fn run(args: &ListArgs) -> Result<Outcome, String> {
    match &args.command {
        ListCommand::Convert { input, output, to } => convert(input, output, *to),
        ListCommand::Info { file } => info(file),
    }
}

fn convert(input: &Path, output: &Path, to: Option<Target>) -> Result<Outcome, String> {
    let list = HashList::load(input).map_err(|e| e.to_string())?;
    let to = to.unwrap_or(match list.format() {
        ListFormat::Binary => Target::Text,
        _ => Target::Binary,
    });
    // Written beside the output and renamed over it, so a failure leaves no half list.
    let mut temporary = output.as_os_str().to_owned();
    temporary.push(format!(".vigil-tmp-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let written = std::fs::File::create(&temporary).and_then(|file| {
        let mut out = BufWriter::new(file);
        match to {
            Target::Binary => list.write_binary(&mut out)?,
            Target::Text => list.write_text(&mut out)?,
        }
        out.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, output));
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&temporary);
        return Err(format!("{}: {e}", output.display()));
    }
    Ok(Outcome::Success)
}

fn info(file: &Path) -> Result<Outcome, String> {
    let list = HashList::load(file).map_err(|e| e.to_string())?;
    let degenerate = list.degenerate_entries();
    let with_quality = (0..list.len())
        .filter(|&i| list.quality(i).is_some())
        .count();
    let mut out = BufWriter::new(io::stdout().lock());
    let mut text = format!(
        "file: {}\nformat: {}\nentries: {}\nwith quality: {with_quality}\ndegenerate: {}\n",
        list.name(),
        list.format().name(),
        list.len(),
        degenerate.len()
    );
    for (i, why) in degenerate {
        if let Some(entry) = list.entry(i) {
            text.push_str(&format!("  {}: {why}\n", entry.id));
        }
    }
    match write_failure(out.write_all(text.as_bytes()).and_then(|()| out.flush())) {
        Some(stop) => stop.map(|()| Outcome::Success),
        None => Ok(Outcome::Success),
    }
}
