//! What `vigil video` prints: each frame's vPDQ line (or JSON), its matches, and each list's
//! decision at the end.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::sync::Arc;

use serde::Serialize;
use vigil::matcher::Matcher;
use vigil::video::{DecisionTally, FrameMatches, HashedFrame, Seconds3, VpdqFeature};

use crate::output::{
    Destination, ListName, OutputStop, csv_field, output_stop, write_json, written_or_closed,
};
use crate::progress::ProgressLine;
use crate::video_compare_cmd::decision_text;

/// Writes frames as they come, and the decisions at the end.
pub struct VideoWriter {
    pub vpdq_out: Destination,
    pub matches_out: BufWriter<io::Stdout>,
    pub json: bool,
    /// With lists: the frames counted for the decisions.
    pub tally: Option<DecisionTally>,
    /// Why output stopped: `Ok` for a closed stdout (stop quietly).
    pub stop: Option<OutputStop>,
    pub progress: ProgressLine,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum JsonLine<'a> {
    Frame {
        #[serde(flatten)]
        feature: VpdqFeature,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<String>,
        matches: Vec<JsonMatch<'a>>,
    },
    Video {
        list: &'a str,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        list_escaped: bool,
        kind: &'static str,
        #[serde(flatten)]
        comparison: Option<JsonVideoComparison>,
        frames_matched: usize,
        is_match: bool,
    },
}

#[derive(Serialize)]
struct JsonMatch<'a> {
    list: Cow<'a, str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    list_escaped: bool,
    id: String,
    distance: u32,
    orientation: &'static str,
}

#[derive(Serialize)]
struct JsonVideoComparison {
    query_percent: f64,
    compared_percent: f64,
    gate: &'static str,
}

impl VideoWriter {
    /// F: frames of lower quality match nothing.
    fn min_quality(&self) -> u8 {
        self.tally
            .as_ref()
            .map_or(vigil::MIN_QUALITY, |tally| tally.options().min_quality)
    }

    pub fn frame(&mut self, hashed: &HashedFrame<'_>) -> ControlFlow<()> {
        let (frame, timestamp) = (hashed.feature.frame, hashed.feature.timestamp);
        self.progress.advance(1, |done, rate| {
            format!(
                "{done} frames hashed, frame {frame} at {} s, {rate:.0} frames/s",
                Seconds3(timestamp)
            )
        });
        if !hashed.kept {
            return ControlFlow::Continue(());
        }
        let feature = &hashed.feature;
        let written = match self.tally.as_mut() {
            None => self.write_feature(feature),
            Some(tally) => {
                let counted = tally.record(feature, hashed.checked.matches.as_ref());
                let matcher = Arc::clone(tally.lists().matcher());
                self.write_feature(feature)
                    .and_then(|()| self.write_matches(&matcher, feature, counted))
            }
        };
        match output_stop(written) {
            None => ControlFlow::Continue(()),
            Some(stop) => {
                self.stop = Some(stop);
                ControlFlow::Break(())
            }
        }
    }

    fn write_feature(&mut self, feature: &VpdqFeature) -> io::Result<()> {
        if self.json && self.tally.is_none() {
            write_json(&mut self.vpdq_out, feature)
        } else {
            writeln!(self.vpdq_out, "{feature}")
        }
    }

    fn write_matches(
        &mut self,
        matcher: &Matcher,
        feature: &VpdqFeature,
        counted: FrameMatches<'_>,
    ) -> io::Result<()> {
        let mut json_matches = Vec::new();
        for found in counted.matches {
            let Some(list) = matcher.list(found.list) else {
                continue;
            };
            let Some(entry) = list.entry(found.entry) else {
                continue;
            };
            let list_name = ListName::of(list);
            if self.json {
                json_matches.push(JsonMatch {
                    list: list_name.json,
                    list_escaped: list_name.escaped,
                    id: entry.id.to_string(),
                    distance: found.distance,
                    orientation: found.orientation.name(),
                });
            } else {
                writeln!(
                    self.matches_out,
                    "{},{},{},{},{}",
                    feature.frame,
                    Seconds3(feature.timestamp),
                    found.distance,
                    list_name.field,
                    csv_field(&entry.id.to_string())
                )?;
            }
        }
        if self.json {
            let line = JsonLine::Frame {
                feature: *feature,
                skipped: counted
                    .low_quality
                    .then(|| format!("quality under {}", self.min_quality())),
                matches: json_matches,
            };
            write_json(&mut self.matches_out, &line)?;
        }
        Ok(())
    }

    /// Writes each list's decision; whether any list matched.
    pub fn decisions(&mut self) -> Result<bool, String> {
        let Some(tally) = &self.tally else {
            return Ok(false);
        };
        let options = *tally.options();
        let decisions = tally.decide();
        let mut any = false;
        let matcher = Arc::clone(tally.lists().matcher());
        for decided in &decisions {
            any |= decided.is_match;
            let Some(list) = matcher.list(decided.index) else {
                continue;
            };
            let list_name = ListName::of(list);
            let written = if self.json {
                let line = JsonLine::Video {
                    list: &list_name.json,
                    list_escaped: list_name.escaped,
                    kind: if decided.comparison.is_some() {
                        "video"
                    } else {
                        "images"
                    },
                    comparison: decided.comparison.map(|c| JsonVideoComparison {
                        query_percent: c.query_percent,
                        compared_percent: c.compared_percent,
                        gate: options.gate.name(),
                    }),
                    frames_matched: decided.frames_matched,
                    is_match: decided.is_match,
                };
                write_json(&mut self.matches_out, &line)
            } else {
                let text = match &decided.comparison {
                    Some(c) => decision_text(&options, c),
                    None => format!(
                        "{} ({} of {} frames matched an image of the list)",
                        if decided.is_match {
                            "match"
                        } else {
                            "no match"
                        },
                        decided.frames_matched,
                        decided.frames
                    ),
                };
                writeln!(self.matches_out, "{}: {text}", list_name.field)
            };
            if let Some(stop) = output_stop(written) {
                stop.into_result()?;
                break;
            }
        }
        Ok(any)
    }

    pub fn finish_output(&mut self) -> Result<(), String> {
        let flushed = self
            .vpdq_out
            .finish()
            .and_then(|()| self.matches_out.flush());
        written_or_closed(flushed)
    }
}
