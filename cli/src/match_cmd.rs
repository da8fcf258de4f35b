//! `vigil match`: matches images, or a list of hashes, against hash lists; one line per match.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;
use vigil::files::{HashedFile, hash_files};
use vigil::lists::HashList;
use vigil::matcher::{
    IndexChoice, Match, MatchOptions, Matcher, Query, QueryOutcome, list_query_batches,
};
use vigil::robust::{RobustHashes, RobustOutcome, Variant, match_robust};
use vigil::{DEFAULT_THRESHOLD, Dihedral, Hash256, MIN_QUALITY};

use crate::engine_values::engine_value;
use crate::hash_cmd::HashingArgs;
use crate::output::{Hashes, ListName, OutputStop, csv_field, json_path, output_stop, path_field};
use crate::robust_args::RobustArgs;
use crate::{Outcome, report_error};

/// Degenerate entries named on stderr per list; `vigil list info` shows them all.
const DEGENERATE_SHOWN: usize = 5;

const AFTER_HELP: &str = "\
Output:
  Text (default): one line per match, nearest first for each query, queries in input order:
      QUERY,DISTANCE,LIST,ID
  with --dihedral:
      QUERY,DISTANCE,ORIENTATION,LIST,ID
  with --robust (one line per list entry, for the image's nearest hash):
      QUERY,DISTANCE,ORIENTATION,VARIANT,LIST,ID
  QUERY is the image path, or with --hashes the query's id in its list (line number, id column,
  or frame). LIST is the list file as given; ID the entry's id in it (line number, id column,
  the id after HASH,QUALITY, or vPDQ frame). ORIENTATION is the query's orientation that matched
  (original, rotate90, rotate180, rotate270, flipx, flipy, flip+1, flip-1). Names with a comma,
  a double quote, a control character or bytes that are not UTF-8 are quoted and escaped as
  `vigil hash --help` says.

  --json: JSON Lines, one object per line, each with a \"type\":
      {\"type\":\"match\",\"query\":\"a.jpg\",\"query_hash\":\"...\",\"quality\":100,
       \"distance\":4,\"threshold\":31,\"orientation\":\"original\",\"list\":\"known.bin\",
       \"id\":\"1234\",\"hash\":\"...\"}
      {\"type\":\"skipped\",\"query\":\"b.jpg\",\"query_hash\":\"...\",\"quality\":12,
       \"reason\":\"quality under 50\"}
      {\"type\":\"error\",\"query\":\"c.jpg\",\"error\":\"...\"}
  With --robust a match also has \"variant\" (plain, region0, turn-3, zoom1050, ...: what
  found it; see README.md) and \"quality\" is the gate quality (the larger of PDQ's and the
  contrast-normalised one).
  \"quality\" is null for a query hash without one; \"hash\" is the list entry's. A query
  path that is not UTF-8 is escaped (`\\\\`, `\\xFF`) and flagged \"query_escaped\":true.

What matches:
  An entry matches when its distance to the query is at most the threshold (inclusive: 31
  matches distance 31). Entries with all-zero or all-one hashes or quality 0 never match; they
  are counted on stderr when the list is loaded. Queries of quality under 50 are too featureless
  to match: they are reported on stderr (and as \"skipped\" in JSON) unless
  --include-low-quality. A query hash with no quality is always matched.

Lists:
  Hex lines, HASH,QUALITY[,ID] lines, CSV with a header (hash, id, quality columns), vPDQ
  FRAME,QUALITY,HASH,TIMESTAMP lines, what `vigil hash` prints (also --dihedral and --json), or
  vigil's binary format (`vigil list convert`); the format is detected. A list is used whole or
  refused: a malformed line or a damaged binary file is an error naming the file (and line); a
  binary or UTF-16 file that is not a list says so.

Exit status: 0 if anything matched, 1 if nothing did, 2 on any error (a list that cannot be
read, an image that cannot be decoded; the other queries are still matched), as ripgrep.

Examples:
  vigil match --list known.bin uploads/
  vigil match --list ncmec.bin --list internal.txt:20 --dihedral --json photo.jpg
  vigil match --list known.bin --hashes todays-hashes.txt";

/// Options of `vigil match`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct MatchArgs {
    /// A hash list to match against, with an optional threshold of its own: FILE or FILE:N.
    ///
    /// Repeat for several lists. A name that is an existing file is taken whole; otherwise a
    /// final `:N` (digits) is the list's threshold (so `x:20:31` is file `x:20` at 31).
    #[arg(long = "list", value_name = "FILE[:N]", required = true, value_parser = parse_list_arg)]
    pub lists: Vec<ListArg>,

    /// Match at distances up to N bits, inclusive, for lists without their own.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_THRESHOLD,
          value_parser = clap::value_parser!(u32).range(0..=256))]
    pub threshold: u32,

    /// Match all 8 rotations and flips of each image, and say which one matched.
    #[arg(long)]
    pub dihedral: bool,

    /// Match robust queries: each image's 8 orientations and its variants (the picture found
    /// inside borders, bands, canvases and blurred backgrounds; small turns; zooms), all as one
    /// query, gated on the larger of PDQ's quality and the contrast-normalised quality. Each
    /// match names its orientation and the variant that found it. Implies --dihedral.
    #[arg(long)]
    pub robust: bool,

    /// Which robust variants (with --robust).
    #[command(flatten)]
    pub variants: RobustArgs,

    /// Print JSON Lines (schema below) instead of comma-separated lines.
    #[arg(long)]
    pub json: bool,

    /// Index for the lists: auto (multi-index hashing for lists of a million entries or more at
    /// thresholds up to 31, flat otherwise), flat (SIMD scan of every entry) or mih (multi-index
    /// hashing; thresholds up to 63). All give the same matches.
    #[arg(long, default_value = "auto", value_parser = engine_value::<IndexChoice>())]
    pub index: IndexChoice,

    /// Match queries of quality under 50 too (normally reported as too featureless).
    #[arg(long)]
    pub include_low_quality: bool,

    /// A hash list of queries (any list format) instead of images. Options that only apply to
    /// images (--dihedral, --exif, --cpp-cli) are refused with it.
    #[arg(long, value_name = "FILE",
          conflicts_with_all = ["paths", "dihedral", "robust", "exif", "cpp_cli"])]
    pub hashes: Option<PathBuf>,

    /// Images and directories of images to hash and match (see `vigil hash --help`).
    #[arg(value_name = "PATH", required_unless_present = "hashes")]
    pub paths: Vec<PathBuf>,

    /// How images are decoded and hashed.
    #[command(flatten)]
    pub hashing: HashingArgs,
}

/// A `--list` argument: the file and its own threshold, if given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListArg {
    pub path: PathBuf,
    pub threshold: Option<u32>,
}

fn parse_list_arg(arg: &str) -> Result<ListArg, String> {
    let whole = ListArg {
        path: PathBuf::from(arg),
        threshold: None,
    };
    if Path::new(arg).exists() {
        return Ok(whole);
    }
    match arg.rsplit_once(':') {
        Some((path, digits))
            if !path.is_empty()
                && !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            let threshold = digits
                .parse::<u32>()
                .ok()
                .filter(|&t| t <= 256)
                .ok_or_else(|| format!("threshold {digits} is not in 0..=256"))?;
            Ok(ListArg {
                path: PathBuf::from(path),
                threshold: Some(threshold),
            })
        }
        _ => Ok(whole),
    }
}

/// Runs `vigil match`. `Err` is a failure that stops everything (a list that cannot be used,
/// stdout unwritable); a failing image is reported here and only changes the outcome.
pub fn run(args: &MatchArgs) -> Result<Outcome, String> {
    if args.variants.changed() && !args.robust {
        return Err("the variant options (--rotations, --zooms, ...) need --robust".to_owned());
    }
    let pool = args.hashing.pool()?;
    let matcher = pool.install(|| load_lists(args))?;
    let mut out = MatchWriter {
        out: BufWriter::new(io::stdout().lock()),
        json: args.json,
        dihedral: args.dihedral || args.robust,
        robust: args.robust,
        matcher: &matcher,
        matched: false,
        failed: false,
    };
    let flow = match &args.hashes {
        Some(path) => {
            let queries = pool
                .install(|| HashList::load(path))
                .map_err(|e| e.to_string())?;
            match_hash_list(&pool, &matcher, &queries, &mut out)
        }
        None => {
            let options = args
                .hashing
                .file_options(args.dihedral)
                .robust(args.robust.then(|| args.variants.options()));
            let hasher = args.hashing.hasher()?;
            hash_files(&pool, &hasher, &args.paths, &options, |results| {
                match_images(&pool, &matcher, results, &mut out)
            })
        }
    };
    if let ControlFlow::Break(OutputStop::Failed(message)) = flow {
        return Err(message);
    }
    Ok(if out.failed {
        Outcome::SomeFailed
    } else if out.matched {
        Outcome::Success
    } else {
        Outcome::NothingMatched
    })
}

/// Loads every `--list` into a matcher, reporting degenerate entries on stderr.
fn load_lists(args: &MatchArgs) -> Result<Matcher, String> {
    let mut matcher = Matcher::new(
        MatchOptions::default()
            .index(args.index)
            .include_low_quality(args.include_low_quality),
    );
    for list_arg in &args.lists {
        let list = HashList::load(&list_arg.path).map_err(|e| e.to_string())?;
        let name = list.name().to_owned();
        let ids: Vec<String> = list
            .degenerate_entries()
            .iter()
            .take(DEGENERATE_SHOWN)
            .filter_map(|&(i, why)| list.entry(i).map(|e| format!("{} ({why})", e.id)))
            .collect();
        let threshold = list_arg.threshold.unwrap_or(args.threshold);
        let summary = matcher
            .add_list(list, threshold)
            .map_err(|e| format!("{e} (--index flat)"))?;
        if !summary.degenerate.is_empty() {
            let more = summary.degenerate.len() - ids.len();
            let more = if more > 0 {
                format!(", and {more} more")
            } else {
                String::new()
            };
            report_error(&format!(
                "{name}: {} degenerate entries left out of matching: {}{more} (see `vigil list \
                 info`)",
                summary.degenerate.len(),
                ids.join(", ")
            ));
        }
    }
    Ok(matcher)
}

/// Why the output stopped (quietly for a closed reader, or with an error).
type Stop = OutputStop;

fn match_hash_list(
    pool: &rayon::ThreadPool,
    matcher: &Matcher,
    queries: &HashList,
    out: &mut MatchWriter<'_>,
) -> ControlFlow<Stop> {
    for (first, batch) in list_query_batches(queries) {
        let outcomes = pool.install(|| matcher.match_queries(&batch));
        for (i, (query, outcome)) in batch.iter().zip(&outcomes).enumerate() {
            let id = queries.entry(first + i).map(|entry| entry.id.to_string());
            out.outcome(&QueryName::text(&id.unwrap_or_default()), query, outcome)?;
        }
        out.flush()?;
    }
    ControlFlow::Continue(())
}

fn match_images(
    pool: &rayon::ThreadPool,
    matcher: &Matcher,
    results: Vec<HashedFile>,
    out: &mut MatchWriter<'_>,
) -> ControlFlow<Stop> {
    if out.robust {
        return match_robust_images(pool, matcher, results, out);
    }
    let queries: Vec<Option<Query>> = results
        .iter()
        .map(|file| file.result.as_ref().ok().map(Hashes::query))
        .collect();
    let outcomes = pool.install(|| matcher.match_some_queries(&queries));
    for ((file, query), outcome) in results.iter().zip(&queries).zip(&outcomes) {
        let name = QueryName::path(&file.path);
        match (query, outcome, &file.result) {
            (Some(query), Some(outcome), _) => out.outcome(&name, query, outcome)?,
            (_, _, Err(message)) => out.error(&name, message)?,
            _ => out.error(&name, "internal error: no outcome for this image")?,
        }
    }
    out.flush()
}

/// Matches a chunk of images' robust hashes as one batch.
fn match_robust_images(
    pool: &rayon::ThreadPool,
    matcher: &Matcher,
    results: Vec<HashedFile>,
    out: &mut MatchWriter<'_>,
) -> ControlFlow<Stop> {
    let uploads: Vec<&RobustHashes> = results
        .iter()
        .filter_map(|file| match &file.result {
            Ok(Hashes::Robust(robust)) => Some(&**robust),
            _ => None,
        })
        .collect();
    let mut outcomes = pool.install(|| match_robust(matcher, uploads)).into_iter();
    for file in &results {
        let name = QueryName::path(&file.path);
        match &file.result {
            Ok(Hashes::Robust(robust)) => match outcomes.next() {
                Some(outcome) => out.robust_outcome(&name, robust, &outcome)?,
                None => out.error(&name, "internal error: no outcome for this image")?,
            },
            Ok(_) => out.error(&name, "internal error: no robust hashes for this image")?,
            Err(message) => out.error(&name, message)?,
        }
    }
    out.flush()
}

/// A query's name as text output and messages show it, and as JSON has it.
struct QueryName<'a> {
    /// A field of text output ([`csv_field`]).
    field: Cow<'a, str>,
    json: Cow<'a, str>,
    /// Whether `json` had to escape bytes that are not UTF-8.
    escaped: bool,
}

impl<'a> QueryName<'a> {
    fn path(path: &'a Path) -> Self {
        let (json, escaped) = json_path(path);
        QueryName {
            field: path_field(path),
            json,
            escaped,
        }
    }

    fn text(text: &str) -> QueryName<'static> {
        QueryName {
            field: Cow::Owned(csv_field(text).into_owned()),
            json: Cow::Owned(text.to_owned()),
            escaped: false,
        }
    }
}

/// Writes results in the chosen format and tracks the exit status.
struct MatchWriter<'m> {
    out: BufWriter<io::StdoutLock<'static>>,
    json: bool,
    dihedral: bool,
    robust: bool,
    matcher: &'m Matcher,
    matched: bool,
    failed: bool,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum JsonLine<'a> {
    Match {
        query: &'a str,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        query_escaped: bool,
        query_hash: Hash256,
        quality: Option<u8>,
        distance: u32,
        threshold: u32,
        orientation: Dihedral,
        #[serde(skip_serializing_if = "Option::is_none")]
        variant: Option<String>,
        list: &'a str,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        list_escaped: bool,
        id: String,
        hash: Hash256,
    },
    Skipped {
        query: &'a str,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        query_escaped: bool,
        query_hash: Hash256,
        quality: u8,
        reason: String,
    },
    Error {
        query: &'a str,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        query_escaped: bool,
        error: &'a str,
    },
}

impl MatchWriter<'_> {
    fn outcome(
        &mut self,
        name: &QueryName<'_>,
        query: &Query,
        outcome: &QueryOutcome,
    ) -> ControlFlow<Stop> {
        let query_hash = query.original_hash();
        match outcome {
            QueryOutcome::Matched(matches) => {
                self.matched |= !matches.is_empty();
                for found in matches {
                    self.write_match(name, query_hash, query.quality, found, None)?;
                }
                ControlFlow::Continue(())
            }
            QueryOutcome::LowQuality(quality) => self.low_quality(name, query_hash, *quality),
        }
    }

    fn robust_outcome(
        &mut self,
        name: &QueryName<'_>,
        robust: &RobustHashes,
        outcome: &RobustOutcome,
    ) -> ControlFlow<Stop> {
        let query_hash = robust.plain.hashes[0];
        match outcome {
            RobustOutcome::Matched(matches) => {
                self.matched |= !matches.is_empty();
                for found in matches {
                    let plain = Match {
                        list: found.list,
                        entry: found.entry,
                        distance: found.distance,
                        orientation: found.orientation,
                    };
                    let quality = Some(robust.gate_quality());
                    self.write_match(name, query_hash, quality, &plain, Some(found.variant))?;
                }
                ControlFlow::Continue(())
            }
            RobustOutcome::LowQuality(quality) => self.low_quality(name, query_hash, *quality),
        }
    }

    fn low_quality(
        &mut self,
        name: &QueryName<'_>,
        query_hash: Hash256,
        quality: u8,
    ) -> ControlFlow<Stop> {
        {
            {
                self.flush()?;
                report_error(&format!(
                    "{}: quality {quality} is under {MIN_QUALITY}: too featureless to \
                     match (--include-low-quality matches it anyway)",
                    name.field
                ));
                if !self.json {
                    return ControlFlow::Continue(());
                }
                let line = JsonLine::Skipped {
                    query: &name.json,
                    query_escaped: name.escaped,
                    query_hash,
                    quality,
                    reason: format!("quality under {MIN_QUALITY}"),
                };
                self.write(|out| write_json(out, &line))
            }
        }
    }

    fn write_match(
        &mut self,
        name: &QueryName<'_>,
        query_hash: Hash256,
        quality: Option<u8>,
        found: &Match,
        variant: Option<Variant>,
    ) -> ControlFlow<Stop> {
        let Some(list) = self.matcher.list(found.list) else {
            return ControlFlow::Continue(());
        };
        let Some(entry) = list.entry(found.entry) else {
            return ControlFlow::Continue(());
        };
        let (json, dihedral) = (self.json, self.dihedral);
        let threshold = self.matcher.threshold(found.list).unwrap_or_default();
        let list_name = ListName::of(list);
        self.write(|out| {
            if json {
                let line = JsonLine::Match {
                    query: &name.json,
                    query_escaped: name.escaped,
                    query_hash,
                    quality,
                    distance: found.distance,
                    threshold,
                    orientation: found.orientation,
                    variant: variant.map(|v| v.to_string()),
                    list: &list_name.json,
                    list_escaped: list_name.escaped,
                    id: entry.id.to_string(),
                    hash: entry.hash,
                };
                write_json(out, &line)
            } else {
                let (query, distance) = (&name.field, found.distance);
                let (list, id) = (&list_name.field, entry.id.to_string());
                let id = csv_field(&id);
                if let Some(variant) = variant {
                    let orientation = found.orientation.name();
                    writeln!(
                        out,
                        "{query},{distance},{orientation},{variant},{list},{id}"
                    )
                } else if dihedral {
                    let orientation = found.orientation.name();
                    writeln!(out, "{query},{distance},{orientation},{list},{id}")
                } else {
                    writeln!(out, "{query},{distance},{list},{id}")
                }
            }
        })
    }

    fn error(&mut self, name: &QueryName<'_>, message: &str) -> ControlFlow<Stop> {
        self.failed = true;
        // Keep stdout and stderr in order on a terminal.
        self.flush()?;
        report_error(&format!("{}: {message}", name.field));
        if !self.json {
            return ControlFlow::Continue(());
        }
        let line = JsonLine::Error {
            query: &name.json,
            query_escaped: name.escaped,
            error: message,
        };
        self.write(|out| write_json(out, &line))
    }

    fn write(
        &mut self,
        f: impl FnOnce(&mut BufWriter<io::StdoutLock<'static>>) -> io::Result<()>,
    ) -> ControlFlow<Stop> {
        match output_stop(f(&mut self.out)) {
            Some(stop) => ControlFlow::Break(stop),
            None => ControlFlow::Continue(()),
        }
    }

    fn flush(&mut self) -> ControlFlow<Stop> {
        self.write(|out| out.flush())
    }
}

fn write_json(out: &mut impl Write, line: &JsonLine<'_>) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_arguments_take_an_optional_threshold() {
        let parsed = parse_list_arg("no/such/list.txt:20").unwrap();
        assert_eq!(parsed.path, PathBuf::from("no/such/list.txt"));
        assert_eq!(parsed.threshold, Some(20));
        for whole in ["no/such/list.txt", "C:\\lists\\a.txt", "x:", ":5", "a:b"] {
            let parsed = parse_list_arg(whole).unwrap();
            assert_eq!(
                (parsed.path.to_str(), parsed.threshold),
                (Some(whole), None)
            );
        }
        let parsed = parse_list_arg("x:20:31").unwrap();
        assert_eq!(
            (parsed.path.to_str(), parsed.threshold),
            (Some("x:20"), Some(31))
        );
        assert!(parse_list_arg("x:257").is_err());
    }
}
