//! Matching queries against hash lists: what a match says and what never matches.
//!
//! A [`Matcher`] holds lists, each with its own threshold and an index picked by size and
//! threshold (or forced). Degenerate list entries (all-zero or all-one hashes, quality 0) are
//! left out of the index and reported by [`Matcher::add_list`]. A query of known quality under
//! [`MatchOptions::min_quality`] ([`MIN_QUALITY`] unless set) is too featureless to match and is
//! reported as such. A dihedral query matches if any of its eight
//! orientations is within the threshold; the match names the nearest orientation.

use std::path::PathBuf;

use super::flat::FlatIndex;
use super::mih::{MAX_RADIUS, MihIndex, SLOTS};
use crate::lists::{Degeneracy, HashList};
use crate::{Dihedral, DihedralHashes, Hash256, MIN_QUALITY, PdqHash};

/// Lists with at least this many indexed entries use multi-index hashing under
/// [`IndexChoice::Auto`] when the threshold allows (≤ 31, one bit per slot): there it checks
/// about 0.4% of a random list, and beats even a batched flat scan from about a million entries.
pub const MIH_MIN_ENTRIES: usize = 1 << 20;

/// The largest threshold for which [`IndexChoice::Auto`] picks multi-index hashing.
const MIH_AUTO_MAX_THRESHOLD: u32 = 2 * SLOTS as u32 - 1;

/// How a list is indexed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IndexChoice {
    /// Multi-index hashing for large lists at thresholds up to 31, flat otherwise.
    #[default]
    Auto,
    /// Always the flat (SIMD brute-force) index.
    Flat,
    /// Always multi-index hashing; thresholds above [`MIH_MAX_RADIUS`](super::MIH_MAX_RADIUS)
    /// are refused.
    Mih,
}

impl IndexChoice {
    /// Every choice, in the order of [`name`](Self::name)s a command line offers.
    pub const ALL: [IndexChoice; 3] = [IndexChoice::Auto, IndexChoice::Flat, IndexChoice::Mih];

    /// `auto`, `flat` or `mih`.
    pub const fn name(self) -> &'static str {
        match self {
            IndexChoice::Auto => "auto",
            IndexChoice::Flat => "flat",
            IndexChoice::Mih => "mih",
        }
    }
}

impl std::str::FromStr for IndexChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IndexChoice::ALL
            .into_iter()
            .find(|choice| choice.name() == s)
            .ok_or_else(|| format!("unknown index {s:?}: expected auto, flat or mih"))
    }
}

/// The index a list got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexKind {
    Flat,
    Mih,
}

impl IndexKind {
    /// `flat` or `mih`.
    pub const fn name(self) -> &'static str {
        match self {
            IndexKind::Flat => "flat",
            IndexKind::Mih => "mih",
        }
    }
}

/// Settings of a [`Matcher`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MatchOptions {
    /// Which index lists get.
    pub index: IndexChoice,
    /// Queries of known quality under this are not matched ([`QueryOutcome::LowQuality`]);
    /// [`MIN_QUALITY`] by default, 0 to match every query.
    pub min_quality: u8,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            index: IndexChoice::default(),
            min_quality: MIN_QUALITY,
        }
    }
}

option_setters!(MatchOptions {
    index: IndexChoice,
    min_quality: u8
});

impl MatchOptions {
    /// The quality floor as the front ends' flag says it: `true` matches queries of any quality
    /// ([`min_quality`](Self::min_quality) 0), `false` only those of at least [`MIN_QUALITY`].
    pub fn include_low_quality(self, include: bool) -> Self {
        self.min_quality(if include { 0 } else { MIN_QUALITY })
    }
}

/// A list that cannot be indexed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MatchError {
    /// Multi-index hashing was forced with a threshold it does not search.
    #[error(
        "{}: threshold {threshold} is beyond multi-index hashing's {MAX_RADIUS}; use the flat \
         index",
        list.display()
    )]
    ThresholdTooLargeForMih { list: PathBuf, threshold: u32 },
    /// Multi-index hashing was forced on a list of more than `u32::MAX` entries.
    #[error("{}: too many entries for multi-index hashing; use the flat index", list.display())]
    TooManyForMih { list: PathBuf },
}

/// What [`Matcher::add_list`] did with a list.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListSummary {
    /// Entries in the list.
    pub entries: usize,
    /// Entries left out of matching, with the reason, in entry order.
    pub degenerate: Vec<(usize, Degeneracy)>,
    /// The index it got.
    pub index: IndexKind,
}

/// A query: one hash or the eight dihedral hashes of an image, and its quality if known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    /// The original hash, or the eight orientations in [`Dihedral::ALL`] order.
    pub hashes: QueryHashes,
    /// `None` for a hash of unknown quality (a list without qualities): always matched.
    pub quality: Option<u8>,
}

/// The hashes a query is matched with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "queries are built in batches of a few thousand; a box each would cost more"
)]
pub enum QueryHashes {
    /// Only the hash as it is ([`Dihedral::Original`]).
    Original(Hash256),
    /// All eight orientations.
    Dihedral([Hash256; 8]),
}

impl Query {
    /// A query with only its original orientation.
    pub fn original(pdq: PdqHash) -> Query {
        Query {
            hashes: QueryHashes::Original(pdq.hash),
            quality: Some(pdq.quality),
        }
    }

    /// A query matching any of the eight orientations.
    pub fn dihedral(all: &DihedralHashes) -> Query {
        Query {
            hashes: QueryHashes::Dihedral(all.hashes),
            quality: Some(all.quality),
        }
    }

    /// The hash of the query as it was given (its original orientation).
    pub fn original_hash(&self) -> Hash256 {
        self.orientations()[0]
    }

    fn orientations(&self) -> &[Hash256] {
        match &self.hashes {
            QueryHashes::Original(hash) => std::slice::from_ref(hash),
            QueryHashes::Dihedral(all) => all,
        }
    }
}

/// Entries of a list used as queries per batch of [`list_query_batches`]: each batch streams
/// the lists through cache once per [`QUERY_BLOCK`](super::QUERY_BLOCK) queries, and memory
/// stays bounded for a list of millions.
const LIST_QUERY_BATCH: usize = 4096;

/// The entries of `list` as queries (a list of hashes matched against the lists, as `vigil match
/// --hashes` does), in batches for [`Matcher::match_queries`]: each the index of its first entry
/// in `list` and its queries, in list order.
///
/// ```
/// use vigil::lists::HashList;
/// use vigil::matcher::{MatchOptions, Matcher, QueryOutcome, list_query_batches};
/// let known = HashList::parse("known.txt", b"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n")?;
/// let mut matcher = Matcher::new(MatchOptions::default());
/// matcher.add_list(known.clone(), 31)?;
/// for (first, queries) in list_query_batches(&known) {
///     let outcomes = matcher.match_queries(&queries);
///     assert_eq!(first, 0);
///     assert!(matches!(&outcomes[0], QueryOutcome::Matched(m) if m.len() == 1));
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn list_query_batches(list: &HashList) -> impl Iterator<Item = (usize, Vec<Query>)> + '_ {
    (0..list.len()).step_by(LIST_QUERY_BATCH).map(move |first| {
        let end = list.len().min(first + LIST_QUERY_BATCH);
        let queries = (first..end)
            .filter_map(|i| list.entry(i))
            .map(|entry| Query {
                hashes: QueryHashes::Original(entry.hash),
                quality: entry.quality,
            })
            .collect();
        (first, queries)
    })
}

/// A list entry within its list's threshold of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Match {
    /// Which list ([`Matcher::list`]).
    pub list: usize,
    /// Which entry of the list ([`HashList::entry`] gives its id and hash).
    pub entry: usize,
    /// Bits between the entry and the query's matching orientation (≤ the threshold).
    pub distance: u32,
    /// The query's orientation that matched (the nearest, the first in [`Dihedral::ALL`] order
    /// among equals).
    pub orientation: Dihedral,
}

/// What became of one query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryOutcome {
    /// Matched against every list: the matches, nearest first (then by list and entry); empty
    /// when nothing is near.
    Matched(Vec<Match>),
    /// Not matched: quality under [`MatchOptions::min_quality`].
    LowQuality(u8),
}

enum ListIndex {
    Flat(FlatIndex),
    Mih(MihIndex),
}

struct IndexedList {
    list: HashList,
    threshold: u32,
    index: ListIndex,
    /// Index position to list entry (degenerate entries are not indexed).
    entries: Vec<usize>,
}

/// Matches queries against hash lists.
///
/// ```
/// use vigil::{Dihedral, Hash256, PdqHash};
/// use vigil::lists::HashList;
/// use vigil::matcher::{Matcher, MatchOptions, Query, QueryOutcome};
///
/// let known = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,case-17\n";
/// let mut matcher = Matcher::new(MatchOptions::default());
/// matcher.add_list(HashList::parse("known.csv", known.as_bytes())?, 31).unwrap();
///
/// let mut bytes = *"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
///     .parse::<Hash256>()?
///     .as_bytes();
/// bytes[31] ^= 0xff; // 8 bits away
/// let query = Query::original(PdqHash { hash: Hash256::from_bytes(bytes), quality: 90 });
/// let outcomes = matcher.match_queries(&[query]);
/// let QueryOutcome::Matched(matches) = &outcomes[0] else { panic!("quality 90 is matched") };
/// assert_eq!(matches[0].distance, 8);
/// assert_eq!(matches[0].orientation, Dihedral::Original);
/// let entry = matcher.list(matches[0].list).unwrap().entry(matches[0].entry).unwrap();
/// assert_eq!(entry.id.to_string(), "case-17");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Matcher {
    options: MatchOptions,
    lists: Vec<IndexedList>,
}

/// [`IndexChoice::Auto`]'s rule: multi-index hashing for large lists at thresholds where it
/// checks a small part of the list, the flat scan otherwise.
fn auto_uses_mih(entries: usize, threshold: u32) -> bool {
    threshold <= MIH_AUTO_MAX_THRESHOLD && entries >= MIH_MIN_ENTRIES
}

impl Matcher {
    /// A matcher with no lists.
    pub fn new(options: MatchOptions) -> Matcher {
        Matcher {
            options,
            lists: Vec::new(),
        }
    }

    /// Adds `list`, matched at distances up to `threshold` inclusive (PDQ's usual is 31).
    pub fn add_list(&mut self, list: HashList, threshold: u32) -> Result<ListSummary, MatchError> {
        let degenerate = list.degenerate_entries();
        let entries: Vec<usize> = (0..list.len())
            .filter(|&i| list.degeneracy(i).is_none())
            .collect();
        let hashes: Vec<Hash256> = entries.iter().map(|&i| list.hashes()[i]).collect();
        let use_mih = match self.options.index {
            IndexChoice::Flat => false,
            IndexChoice::Mih => {
                if threshold > MAX_RADIUS {
                    return Err(MatchError::ThresholdTooLargeForMih {
                        list: list.label(),
                        threshold,
                    });
                }
                true
            }
            IndexChoice::Auto => auto_uses_mih(hashes.len(), threshold),
        };
        let index = match use_mih.then(|| MihIndex::new(&hashes)) {
            Some(Some(mih)) => ListIndex::Mih(mih),
            Some(None) if self.options.index == IndexChoice::Mih => {
                return Err(MatchError::TooManyForMih { list: list.label() });
            }
            _ => ListIndex::Flat(FlatIndex::new(&hashes)),
        };
        let summary = ListSummary {
            entries: list.len(),
            degenerate,
            index: match index {
                ListIndex::Flat(_) => IndexKind::Flat,
                ListIndex::Mih(_) => IndexKind::Mih,
            },
        };
        self.lists.push(IndexedList {
            list,
            threshold,
            index,
            entries,
        });
        Ok(summary)
    }

    /// List `i` (in the order added).
    pub fn list(&self, i: usize) -> Option<&HashList> {
        self.lists.get(i).map(|l| &l.list)
    }

    /// The threshold of list `i`.
    pub fn threshold(&self, i: usize) -> Option<u32> {
        self.lists.get(i).map(|l| l.threshold)
    }

    /// Number of lists.
    pub fn list_count(&self) -> usize {
        self.lists.len()
    }

    /// [`match_queries`](Self::match_queries) where some queries are missing (an image that
    /// could not be hashed): one outcome per query, `None` where there is no query.
    pub fn match_some_queries(&self, queries: &[Option<Query>]) -> Vec<Option<QueryOutcome>> {
        let present: Vec<Query> = queries.iter().flatten().copied().collect();
        let mut outcomes = self.match_queries(&present).into_iter();
        queries
            .iter()
            .map(|query| query.as_ref().and_then(|_| outcomes.next()))
            .collect()
    }

    /// Matches every query against every list, in batches (all cores); one outcome per query.
    pub fn match_queries(&self, queries: &[Query]) -> Vec<QueryOutcome> {
        // Every orientation of every query that is matched, with where it came from.
        let mut probes = Vec::new();
        let mut origins = Vec::new();
        for (q, query) in queries.iter().enumerate() {
            if self.is_matched(query) {
                for (orientation, hash) in Dihedral::ALL.into_iter().zip(query.orientations()) {
                    probes.push(*hash);
                    origins.push((q, orientation));
                }
            }
        }
        let mut found: Vec<Vec<Match>> = vec![Vec::new(); queries.len()];
        for (list_number, list) in self.lists.iter().enumerate() {
            let hits = match &list.index {
                ListIndex::Flat(flat) => flat.radius_search_batch(&probes, list.threshold),
                ListIndex::Mih(mih) => mih.radius_search_batch(&probes, list.threshold),
            };
            for (&(q, orientation), hits) in origins.iter().zip(hits) {
                found[q].extend(hits.into_iter().map(|hit| Match {
                    list: list_number,
                    entry: list.entries[hit.entry],
                    distance: hit.distance,
                    orientation,
                }));
            }
        }
        queries
            .iter()
            .zip(found)
            .map(|(query, mut matches)| match query.quality {
                Some(quality) if !self.is_matched(query) => QueryOutcome::LowQuality(quality),
                _ => {
                    // One match per entry: its nearest orientation.
                    let key = |m: &Match| (m.list, m.entry, m.distance, m.orientation as usize);
                    matches.sort_unstable_by_key(key);
                    matches.dedup_by_key(|m| (m.list, m.entry));
                    matches.sort_by_key(|m| (m.distance, m.list, m.entry));
                    QueryOutcome::Matched(matches)
                }
            })
            .collect()
    }

    fn is_matched(&self, query: &Query) -> bool {
        query
            .quality
            .is_none_or(|quality| quality >= self.options.min_quality)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::test_support::TestRng;

    #[test]
    fn auto_takes_mih_for_large_lists_at_small_thresholds_only() {
        assert!(!auto_uses_mih(MIH_MIN_ENTRIES - 1, 31));
        assert!(auto_uses_mih(MIH_MIN_ENTRIES, 31));
        assert!(auto_uses_mih(MIH_MIN_ENTRIES, MIH_AUTO_MAX_THRESHOLD));
        assert!(!auto_uses_mih(MIH_MIN_ENTRIES, MIH_AUTO_MAX_THRESHOLD + 1));
        assert!(!auto_uses_mih(0, 0));
    }

    fn list_of(name: &str, lines: &[String]) -> HashList {
        HashList::parse(name, lines.join("\n").as_bytes()).unwrap()
    }

    fn matched(outcome: &QueryOutcome) -> &[Match] {
        match outcome {
            QueryOutcome::Matched(matches) => matches,
            other => panic!("not matched: {other:?}"),
        }
    }

    fn pdq(hash: Hash256, quality: u8) -> Query {
        Query::original(PdqHash { hash, quality })
    }

    const CHOICES: [IndexChoice; 3] = [IndexChoice::Auto, IndexChoice::Flat, IndexChoice::Mih];

    #[test]
    fn threshold_is_inclusive_for_every_index() {
        let mut rng = TestRng::new(21);
        let query = rng.hash();
        let lines: Vec<String> = [30, 31, 32]
            .iter()
            .map(|&d| format!("{},100", rng.flip(&query, d)))
            .collect();
        for index in CHOICES {
            let mut matcher = Matcher::new(MatchOptions {
                index,
                ..MatchOptions::default()
            });
            matcher.add_list(list_of("l", &lines), 31).unwrap();
            let outcomes = matcher.match_queries(&[pdq(query, 100)]);
            let found: Vec<(usize, u32)> = matched(&outcomes[0])
                .iter()
                .map(|m| (m.entry, m.distance))
                .collect();
            assert_eq!(found, [(0, 30), (1, 31)], "{index:?}");
        }
    }

    #[test]
    fn each_list_has_its_own_threshold() {
        let mut rng = TestRng::new(22);
        let query = rng.hash();
        let near = vec![rng.flip(&query, 10).to_string()];
        let mut matcher = Matcher::new(MatchOptions::default());
        matcher.add_list(list_of("strict", &near), 9).unwrap();
        matcher.add_list(list_of("loose", &near), 10).unwrap();
        let outcomes = matcher.match_queries(&[pdq(query, 100)]);
        let matches = matched(&outcomes[0]);
        assert_eq!(matches.len(), 1);
        assert_eq!(matcher.list(matches[0].list).unwrap().name(), "loose");
        assert_eq!(matcher.threshold(1), Some(10));
    }

    #[test]
    fn degenerate_entries_are_reported_and_never_match() {
        let zero = Hash256::ZERO;
        let ones = Hash256::from_bytes([0xff; 32]);
        let mut rng = TestRng::new(23);
        let real = rng.hash();
        let lines = vec![
            format!("{zero},100"),
            format!("{ones},100"),
            format!("{real},0"),
            format!("{real},100"),
        ];
        let mut matcher = Matcher::new(MatchOptions::default().min_quality(0));
        let summary = matcher.add_list(list_of("l", &lines), 256).unwrap();
        assert_eq!(
            summary.degenerate,
            [
                (0, Degeneracy::AllZero),
                (1, Degeneracy::AllOne),
                (2, Degeneracy::ZeroQuality)
            ]
        );
        let outcomes = matcher.match_queries(&[pdq(zero, 0), pdq(real, 100)]);
        // Threshold 256 matches everything indexed: only entry 3.
        for outcome in &outcomes {
            let entries: Vec<usize> = matched(outcome).iter().map(|m| m.entry).collect();
            assert_eq!(entries, [3]);
        }
    }

    #[test]
    fn low_quality_queries_are_not_matched_unless_asked() {
        let mut rng = TestRng::new(24);
        let hash = rng.hash();
        let lines = vec![hash.to_string()];
        for include_low_quality in [false, true] {
            let mut matcher =
                Matcher::new(MatchOptions::default().include_low_quality(include_low_quality));
            matcher.add_list(list_of("l", &lines), 31).unwrap();
            let unknown = Query {
                hashes: QueryHashes::Original(hash),
                quality: None,
            };
            let outcomes = matcher.match_queries(&[pdq(hash, 49), pdq(hash, 50), unknown]);
            if include_low_quality {
                assert_eq!(matched(&outcomes[0]).len(), 1);
            } else {
                assert_eq!(outcomes[0], QueryOutcome::LowQuality(49));
            }
            assert_eq!(matched(&outcomes[1]).len(), 1);
            assert_eq!(matched(&outcomes[2]).len(), 1);
        }
    }

    #[test]
    fn dihedral_queries_name_the_nearest_orientation() {
        let mut rng = TestRng::new(25);
        let orientations: [Hash256; 8] = std::array::from_fn(|_| rng.hash());
        // Entry 0 is rotate90 exactly and flipx 5 bits away (a second orientation near the same
        // entry); entry 1 is flip-1 at 3 bits.
        let entry0 = orientations[1];
        let mut near_flipx = orientations;
        near_flipx[4] = rng.flip(&entry0, 5);
        let entry1 = rng.flip(&orientations[7], 3);
        let lines = vec![entry0.to_string(), entry1.to_string()];
        for index in CHOICES {
            let mut matcher = Matcher::new(MatchOptions {
                index,
                ..MatchOptions::default()
            });
            matcher.add_list(list_of("l", &lines), 31).unwrap();
            let query = Query::dihedral(&DihedralHashes {
                hashes: near_flipx,
                quality: 100,
            });
            let outcomes = matcher.match_queries(&[query, pdq(near_flipx[0], 100)]);
            let found: Vec<(usize, u32, Dihedral)> = matched(&outcomes[0])
                .iter()
                .map(|m| (m.entry, m.distance, m.orientation))
                .collect();
            assert_eq!(
                found,
                [(0, 0, Dihedral::Rotate90), (1, 3, Dihedral::FlipMinus1)],
                "{index:?}"
            );
            // Without dihedral hashes the original orientation alone matches nothing.
            assert_eq!(matched(&outcomes[1]), []);
        }
    }

    #[test]
    fn forced_mih_refuses_thresholds_it_cannot_search() {
        let mut matcher = Matcher::new(MatchOptions {
            index: IndexChoice::Mih,
            ..MatchOptions::default()
        });
        let lines = vec![Hash256::from_bytes([7; 32]).to_string()];
        let error = matcher.add_list(list_of("l", &lines), 64).unwrap_err();
        assert!(error.to_string().contains("use the flat index"), "{error}");
        let summary = matcher.add_list(list_of("l", &lines), 63).unwrap();
        assert_eq!(summary.index, IndexKind::Mih);
    }

    #[test]
    fn flat_and_mih_matchers_agree_on_clustered_lists() {
        let mut rng = TestRng::new(26);
        let hashes = rng.clustered(40, 30, 45);
        let lines: Vec<String> = hashes.iter().map(|h| format!("{h},90")).collect();
        let queries: Vec<Query> = (0..60)
            .map(|_| {
                let near = rng.pick(&hashes);
                pdq(rng.flip(&near, 25), 80)
            })
            .collect();
        let outcomes = |index| {
            let mut matcher = Matcher::new(MatchOptions {
                index,
                ..MatchOptions::default()
            });
            matcher.add_list(list_of("l", &lines), 31).unwrap();
            matcher.match_queries(&queries)
        };
        let flat = outcomes(IndexChoice::Flat);
        assert!(flat.iter().any(|o| !matched(o).is_empty()));
        assert_eq!(outcomes(IndexChoice::Mih), flat);
    }
}
