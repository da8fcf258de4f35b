//! `vigil video-compare` (two vPDQ hash files compared with vPDQ's semantics), and the decision
//! settings it shares with `vigil video --list`.

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;
use vigil::lists::HashList;
use vigil::video::{CompareOptions, Gate, VideoComparison, compare_videos, list_frames};
use vigil::{DEFAULT_THRESHOLD, MIN_QUALITY};

use crate::Outcome;
use crate::engine_values::engine_value;
use crate::output::{ListName, write_json, written_or_closed};

const COMPARE_AFTER_HELP: &str = "\
The comparison (vPDQ README): each file is a bag of frame hashes; hashes of quality under F
are dropped and each distinct hash counts once. A query hash is matched if some compared
hash is within D bits (inclusive), and vice versa. query% and compared% are the matched
shares of each file's distinct hashes.

Gates (the sources disagree on the default):
  compared (default)  compared% >= Pc (80) and query% >= Pq (0): the vPDQ README's rule. Most
                      of the compared (listed) video must be found in the query (upload);
                      footage added around it does not hide it.
  query               query% >= Pq (80) and compared% >= Pc (0): python-threatexchange's
                      index defaults. Most of the upload must be in the listed video; catches
                      a short clip of a long listed video, which `compared` misses.
  either              compared% >= Pc (80) or query% >= Pq (80): python-threatexchange's
                      compare_hash. Catches both.
--pc and --pq override the gate's thresholds.

Files: vPDQ FRAME,QUALITY,HASH,TIMESTAMP lines (what `vigil video` writes), or any hash list
`vigil match` reads (entries without a quality count as quality 100).

Output: the two percentages and the decision; --json: one object.
Exit status: 0 match, 1 no match, 2 error.

Example:
  vigil video-compare upload.txt known.txt --gate either";

/// Options of `vigil video-compare`.
#[derive(Debug, Args)]
#[command(after_help = COMPARE_AFTER_HELP)]
pub struct VideoCompareArgs {
    /// The query video's hashes (the upload).
    #[arg(value_name = "QUERY")]
    pub query: PathBuf,

    /// The compared video's hashes (the listed video).
    #[arg(value_name = "COMPARED")]
    pub compared: PathBuf,

    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,

    /// The decision's settings.
    #[command(flatten)]
    pub decision: DecisionArgs,
}

/// vPDQ's comparison settings, shared by `video --list` and `video-compare`.
#[derive(Debug, Args)]
pub struct DecisionArgs {
    /// Which percentages must reach their thresholds (see `vigil video-compare --help`).
    #[arg(long, default_value = "compared", value_parser = engine_value::<Gate>())]
    pub gate: Gate,

    /// D: frames match at up to D bits, inclusive.
    #[arg(long, value_name = "D", default_value_t = DEFAULT_THRESHOLD,
          value_parser = clap::value_parser!(u32).range(0..=256))]
    pub distance: u32,

    /// F: frames of lower quality are left out.
    #[arg(long, value_name = "F", default_value_t = MIN_QUALITY,
          value_parser = clap::value_parser!(u8).range(0..=100))]
    pub quality: u8,

    /// Pc: percent of the compared video's hashes that must be matched (default: the gate's).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub pc: Option<f64>,

    /// Pq: percent of the query video's hashes that must be matched (default: the gate's).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub pq: Option<f64>,
}

impl DecisionArgs {
    pub fn options(&self) -> CompareOptions {
        let defaults = CompareOptions::with_gate(self.gate);
        defaults
            .distance(self.distance)
            .min_quality(self.quality)
            .compared_percent(self.pc.unwrap_or(defaults.compared_percent))
            .query_percent(self.pq.unwrap_or(defaults.query_percent))
    }
}

/// `--pc` and `--pq`: a percentage, 0 to 100 (`nan` and `inf` are refused).
fn parse_percent(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a percentage 0..=100; got {value:?}")),
    }
}

/// Runs `vigil video-compare`.
pub fn run(args: &VideoCompareArgs) -> Result<Outcome, String> {
    let load = |path: &Path| HashList::load(path).map_err(|e| e.to_string());
    let (query, compared) = (load(&args.query)?, load(&args.compared)?);
    let options = args.decision.options();
    let result = compare_videos(&list_frames(&query), &list_frames(&compared), &options);
    let mut out = io::stdout().lock();
    let written = if args.json {
        let line = JsonComparison::new(&query, &compared, &options, &result);
        write_json(&mut out, &line)
    } else {
        let (query, compared) = (ListName::of(&query).field, ListName::of(&compared).field);
        write_comparison(&mut out, &query, &compared, &options, &result)
    };
    written_or_closed(written)?;
    Ok(decision_outcome(result.is_match))
}

pub fn decision_outcome(matched: bool) -> Outcome {
    if matched {
        Outcome::Success
    } else {
        Outcome::NothingMatched
    }
}

fn write_comparison(
    out: &mut impl Write,
    query: &str,
    compared: &str,
    options: &CompareOptions,
    r: &VideoComparison,
) -> io::Result<()> {
    let q = options.min_quality;
    writeln!(
        out,
        "query {query}: {:.2}% ({} of {} distinct hashes of quality >= {q} matched)",
        r.query_percent, r.query_matched, r.query_hashes
    )?;
    writeln!(
        out,
        "compared {compared}: {:.2}% ({} of {} distinct hashes of quality >= {q} matched)",
        r.compared_percent, r.compared_matched, r.compared_hashes
    )?;
    writeln!(out, "{}", decision_text(options, r))
}

/// `match: compared 92.31% (needs >= 80%) and query 85.00% (needs >= 0%); gate compared, D=31,
/// F=50`, or `no match: ...`.
pub fn decision_text(options: &CompareOptions, r: &VideoComparison) -> String {
    let verdict = if r.is_match { "match" } else { "no match" };
    let join = if options.gate == Gate::Either {
        "or"
    } else {
        "and"
    };
    format!(
        "{verdict}: compared {:.2}% (needs >= {}%) {join} query {:.2}% (needs >= {}%); gate {}, \
         D={}, F={}",
        r.compared_percent,
        options.compared_percent,
        r.query_percent,
        options.query_percent,
        options.gate.name(),
        options.distance,
        options.min_quality
    )
}

/// A comparison as one JSON object: the two lists' names, then the engine's result and settings
/// (the `serde` feature's shapes).
#[derive(Serialize)]
struct JsonComparison<'a> {
    query: Cow<'a, str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    query_escaped: bool,
    compared: Cow<'a, str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    compared_escaped: bool,
    #[serde(flatten)]
    result: &'a VideoComparison,
    #[serde(flatten)]
    options: &'a CompareOptions,
}

impl<'a> JsonComparison<'a> {
    fn new(
        query: &'a HashList,
        compared: &'a HashList,
        options: &'a CompareOptions,
        result: &'a VideoComparison,
    ) -> Self {
        let (query, compared) = (ListName::of(query), ListName::of(compared));
        JsonComparison {
            query: query.json,
            query_escaped: query.escaped,
            compared: compared.json,
            compared_escaped: compared.escaped,
            result,
            options,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_parse() {
        assert_eq!(parse_percent("80"), Ok(80.0));
        assert!(parse_percent("100.5").is_err() && parse_percent("nan").is_err());
    }

    #[test]
    fn gates_set_default_thresholds_and_flags_override_them() {
        let args = DecisionArgs {
            gate: Gate::Query,
            distance: 20,
            quality: 60,
            pc: None,
            pq: Some(50.0),
        };
        let options = args.options();
        assert_eq!(options.gate, Gate::Query);
        assert_eq!(
            (options.compared_percent, options.query_percent),
            (0.0, 50.0)
        );
        assert_eq!((options.distance, options.min_quality), (20, 60));
    }
}
