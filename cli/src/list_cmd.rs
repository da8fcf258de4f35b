//! `vigil list`: converting hash lists between text and binary, and describing them.

use std::io::{self, BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use vigil::lists::{HashList, ListFormat};
use vigil::output_file::OutputFile;

use crate::Outcome;
use crate::output::{ListName, csv_field, path_field, written_or_closed};

const AFTER_HELP: &str = "\
Formats:
  text: hex lines (one hash a line) when the list has no qualities and its ids are its line
  numbers; otherwise CSV with the header hash,quality,id. Reads back to the same entries.
  binary: vigil's format, a header with a BLAKE3 digest checked on every load (a damaged file is
  refused whole); the fastest to load.

Output (convert): a file is written under a temporary name beside it (.vigil-*.tmp, created
exclusively with a random name) and renamed over it once complete and synced, so it is replaced
whole or not at all; an interrupted convert (Ctrl-C, SIGTERM) removes the temporary file. A
symbolic link is resolved once and its target replaced (the link is kept); a link to nothing is
refused. `-`, /dev/stdout, devices and FIFOs are written through, never renamed over. An output
that is the input (the same file, also through a hard or symbolic link) is refused.

Examples:
  vigil list convert ncmec.txt ncmec.bin
  vigil list convert ncmec.bin ncmec.csv --to text
  vigil list convert ncmec.bin - --to text | head
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
        /// Where to write it: a file is replaced whole once written, a symbolic link's target
        /// is replaced; `-`, devices and FIFOs are written through (see below).
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
    let failed = |e: io::Error| format!("{}: {e}", path_field(output));
    // Refused before anything is read or written.
    let mut out = OutputFile::create_unless_input(output, &[input]).map_err(failed)?;
    let list = HashList::load(input).map_err(|e| e.to_string())?;
    let to = to.unwrap_or(match list.format() {
        ListFormat::Binary => Target::Text,
        _ => Target::Binary,
    });
    let written = match to {
        Target::Binary => list.write_binary(&mut out),
        Target::Text => list.write_text(&mut out),
    };
    // Dropped on error: a temporary file is removed and the destination left as it was.
    match written.and_then(|()| out.commit()) {
        Ok(()) => Ok(Outcome::Success),
        // Standard output or a FIFO closed by its reader: stop quietly.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(Outcome::Success),
        Err(e) => Err(failed(e)),
    }
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
        ListName::of(&list).field,
        list.format().name(),
        list.len(),
        degenerate.len()
    );
    for (i, why) in degenerate {
        if let Some(entry) = list.entry(i) {
            text.push_str(&format!("  {}: {why}\n", csv_field(&entry.id.to_string())));
        }
    }
    written_or_closed(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
        .map(|()| Outcome::Success)
}
