//! Matching all of an upload's robust hashes as one query.

use super::{RobustHashes, Variant};
use crate::hash::Dihedral;
use crate::matcher::{Matcher, Query, QueryHashes, QueryOutcome};

/// A list entry within its list's threshold of one of an upload's hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct RobustMatch {
    /// Which list ([`Matcher::list`]).
    pub list: usize,
    /// Which entry of the list.
    pub entry: usize,
    /// Bits between the entry and the nearest of the upload's hashes.
    pub distance: u32,
    /// The variant whose hash was nearest ([`Variant::PLAIN`] first among equals).
    pub variant: Variant,
    /// The orientation of the plain hash that matched ([`Dihedral::Original`] for the others).
    pub orientation: Dihedral,
}

/// What became of one upload's robust query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RobustOutcome {
    /// One match per list entry (its nearest hash), nearest first (then by list and entry);
    /// empty when nothing is near.
    Matched(Vec<RobustMatch>),
    /// Not matched: the gate quality ([`RobustHashes::gate_quality`]) is under the matcher's
    /// floor.
    LowQuality(u8),
}

impl RobustOutcome {
    /// The matches (none for a low-quality upload).
    pub fn matches(&self) -> &[RobustMatch] {
        match self {
            RobustOutcome::Matched(matches) => matches,
            RobustOutcome::LowQuality(_) => &[],
        }
    }
}

/// Matches each upload's hashes against every list of `matcher`, all uploads' hashes in one
/// batch; one outcome per upload.
pub fn match_robust<'a>(
    matcher: &Matcher,
    uploads: impl IntoIterator<Item = &'a RobustHashes>,
) -> Vec<RobustOutcome> {
    let uploads: Vec<&RobustHashes> = uploads.into_iter().collect();
    let mut queries = Vec::new();
    for upload in &uploads {
        let quality = Some(upload.gate_quality());
        queries.push(Query {
            hashes: QueryHashes::Dihedral(upload.plain.hashes),
            quality,
        });
        // A variant is gated on its own quality (a flat region is as featureless as a flat
        // upload), raised by as much as the contrast-normalised gate raised the upload's.
        let boost = upload.gate_quality() - upload.plain.quality;
        queries.extend(upload.variants.iter().map(|(_, pdq)| Query {
            hashes: QueryHashes::Original(pdq.hash),
            quality: Some(pdq.quality.saturating_add(boost).min(100)),
        }));
    }
    let mut outcomes = matcher.match_queries(&queries).into_iter();
    uploads
        .iter()
        .map(|upload| {
            let mut found = Vec::new();
            let mut low_quality = None;
            let variants = std::iter::once(Variant::PLAIN)
                .chain(upload.variants.iter().map(|(variant, _)| *variant));
            for (rank, (variant, outcome)) in variants.zip(outcomes.by_ref()).enumerate() {
                match outcome {
                    QueryOutcome::Matched(matches) => found.extend(matches.into_iter().map(|m| {
                        let robust = RobustMatch {
                            list: m.list,
                            entry: m.entry,
                            distance: m.distance,
                            variant,
                            orientation: m.orientation,
                        };
                        (rank, robust)
                    })),
                    // Only the upload itself decides that it is too featureless; a featureless
                    // variant is just not matched.
                    QueryOutcome::LowQuality(quality) if rank == 0 => low_quality = Some(quality),
                    QueryOutcome::LowQuality(_) => {}
                }
            }
            if let Some(quality) = low_quality {
                return RobustOutcome::LowQuality(quality);
            }
            // One match per entry: its nearest hash, the earliest variant among equals.
            found.sort_unstable_by_key(|(rank, m)| {
                (m.list, m.entry, m.distance, *rank, m.orientation as usize)
            });
            found.dedup_by_key(|(_, m)| (m.list, m.entry));
            let mut matches: Vec<RobustMatch> = found.into_iter().map(|(_, m)| m).collect();
            matches.sort_by_key(|m| (m.distance, m.list, m.entry));
            RobustOutcome::Matched(matches)
        })
        .collect()
}
