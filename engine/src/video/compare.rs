//! Comparing two videos' hashes with vPDQ's semantics, the inner search done by the engine's
//! matcher ([`FlatIndex`]).
//!
//! From the vPDQ README: each video is a bag of frame hashes (frame numbers and timestamps play no
//! part). Hashes of quality under `F` are dropped and each distinct hash counts once. A query
//! hash is *matched* when some compared hash is within `D` bits (inclusive), and vice versa. The
//! query match % is the share of the query's distinct hashes that are matched, the compared
//! match % the same for the compared video.
//!
//! Which percentage decides is where the sources differ, so both are offered by name
//! ([`Gate`]):
//!
//! * [`Gate::Compared`] (the default): `compared% ≥ Pc` (80) and `query% ≥ Pq` (0), the vPDQ
//!   README's rule: most of the *listed* video must be found in the upload. Extra footage around
//!   it (padding an upload with other material) does not hide it.
//! * [`Gate::Query`]: `query% ≥ Pq` (80) and `compared% ≥ Pc` (0), python-threatexchange's
//!   `VPDQIndex` defaults: most of the *upload* must be found in the listed video. This catches a
//!   short clip cut from a long listed video, which the README's rule misses.
//! * [`Gate::Either`]: either side reaches its threshold (80), as python-threatexchange's
//!   `VideoVPDQSignal.compare_hash` (the larger of the two percentages ≥ 80).
//!
//! The default is the README's, the published definition of the algorithm, whose thresholds the
//! reference tools print; pick [`Gate::Either`] to catch both padded uploads and clips.
//!
//! Details fixed here where the references differ: distances are inclusive (`≤ D`, as the README
//! and python-threatexchange; the C++ `matchTwoHashBrute` uses `< D`); a hash is kept when any of
//! its frames passes the quality filter (filter, then de-duplicate, as `VPDQIndex`); a video with
//! no hash left after filtering matches nothing (0% both ways).

use std::collections::HashSet;

use crate::lists::HashList;
use crate::matcher::FlatIndex;
use crate::{DEFAULT_THRESHOLD, Hash256, MIN_QUALITY, PdqHash};

/// The percentage thresholds' defaults, and which must hold: see the [module](self) docs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Gate {
    /// vPDQ README: `compared% ≥ Pc` (default 80) and `query% ≥ Pq` (default 0).
    #[default]
    Compared,
    /// python-threatexchange's index: `query% ≥ Pq` (default 80) and `compared% ≥ Pc` (default 0).
    Query,
    /// python-threatexchange's `compare_hash`: `compared% ≥ Pc` or `query% ≥ Pq` (both 80).
    Either,
}

impl Gate {
    /// Every gate, in the order of [`name`](Self::name)s a command line offers.
    pub const ALL: [Gate; 3] = [Gate::Compared, Gate::Query, Gate::Either];

    /// `compared`, `query` or `either`.
    pub const fn name(self) -> &'static str {
        match self {
            Gate::Compared => "compared",
            Gate::Query => "query",
            Gate::Either => "either",
        }
    }

    /// The default `(Pc, Pq)` of this gate.
    pub const fn default_thresholds(self) -> (f64, f64) {
        match self {
            Gate::Compared => (80.0, 0.0),
            Gate::Query => (0.0, 80.0),
            Gate::Either => (80.0, 80.0),
        }
    }
}

impl std::str::FromStr for Gate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Gate::ALL
            .into_iter()
            .find(|gate| gate.name() == s)
            .ok_or_else(|| format!("unknown gate {s:?}: expected compared, query or either"))
    }
}

/// How two videos are compared.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct CompareOptions {
    /// `D`: frames match at distances up to this, inclusive (31).
    pub distance: u32,
    /// `F`: hashes of lower quality are left out ([`MIN_QUALITY`]).
    pub min_quality: u8,
    /// Which thresholds must hold.
    pub gate: Gate,
    /// `Pc`: percent of the compared video's hashes that must be matched.
    pub compared_percent: f64,
    /// `Pq`: percent of the query video's hashes that must be matched.
    pub query_percent: f64,
}

impl CompareOptions {
    /// `D` = [`DEFAULT_THRESHOLD`] (31), `F` = [`MIN_QUALITY`] (50) and the gate's default
    /// thresholds.
    pub fn with_gate(gate: Gate) -> CompareOptions {
        let (compared_percent, query_percent) = gate.default_thresholds();
        CompareOptions {
            distance: DEFAULT_THRESHOLD,
            min_quality: MIN_QUALITY,
            gate,
            compared_percent,
            query_percent,
        }
    }
}

option_setters!(CompareOptions {
    distance: u32,
    min_quality: u8,
    compared_percent: f64,
    query_percent: f64
});

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions::with_gate(Gate::default())
    }
}

/// The outcome of comparing a query video with a compared video.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct VideoComparison {
    /// Distinct query hashes of quality ≥ F.
    pub query_hashes: usize,
    /// Of those, how many are within D of some compared hash.
    pub query_matched: usize,
    /// Distinct compared hashes of quality ≥ F.
    pub compared_hashes: usize,
    /// Of those, how many are within D of some query hash.
    pub compared_matched: usize,
    /// `query_matched × 100 / query_hashes` (0 when there is none).
    pub query_percent: f64,
    /// `compared_matched × 100 / compared_hashes` (0 when there is none).
    pub compared_percent: f64,
    /// Whether the gate's thresholds hold.
    pub is_match: bool,
}

/// Compares two videos' frame hashes (see the [module](self) docs).
///
/// ```
/// use vigil::{Hash256, PdqHash};
/// use vigil::video::{CompareOptions, Gate, compare_videos};
///
/// let frame = |fill: u8| PdqHash { hash: Hash256::from_bytes([fill; 32]), quality: 90 };
/// // The upload holds the whole listed video (frames 1 and 2) and two frames of its own.
/// let listed = [frame(1), frame(2), frame(2)];
/// let upload = [frame(1), frame(2), frame(0x55), frame(0xaa)];
/// let result = compare_videos(&upload, &listed, &CompareOptions::default());
/// assert_eq!((result.query_percent, result.compared_percent), (50.0, 100.0));
/// assert!(result.is_match); // README gate: 100% of the listed video is found
/// let by_query = compare_videos(&upload, &listed, &CompareOptions::with_gate(Gate::Query));
/// assert!(!by_query.is_match); // only half of the upload is known
/// ```
pub fn compare_videos(
    query: &[PdqHash],
    compared: &[PdqHash],
    options: &CompareOptions,
) -> VideoComparison {
    let query = distinct_hashes(query, options.min_quality);
    let compared = distinct_hashes(compared, options.min_quality);
    // One radius search finds every pair within D: both directions' counts follow from it.
    let index = FlatIndex::new(&compared);
    let hits = index.radius_search_batch(&query, options.distance);
    let query_matched = hits.iter().filter(|h| !h.is_empty()).count();
    let mut compared_hit = vec![false; compared.len()];
    for hit in hits.iter().flatten() {
        compared_hit[hit.entry] = true;
    }
    let compared_matched = compared_hit.iter().filter(|&&hit| hit).count();
    let percent = |matched: usize, total: usize| {
        if total == 0 {
            0.0
        } else {
            matched as f64 * 100.0 / total as f64
        }
    };
    let query_percent = percent(query_matched, query.len());
    let compared_percent = percent(compared_matched, compared.len());
    let compared_ok = compared_percent >= options.compared_percent;
    let query_ok = query_percent >= options.query_percent;
    let nonempty = !query.is_empty() && !compared.is_empty();
    let is_match = nonempty
        && match options.gate {
            Gate::Compared | Gate::Query => compared_ok && query_ok,
            Gate::Either => compared_ok || query_ok,
        };
    VideoComparison {
        query_hashes: query.len(),
        query_matched,
        compared_hashes: compared.len(),
        compared_matched,
        query_percent,
        compared_percent,
        is_match,
    }
}

/// The distinct hashes of quality ≥ `quality`, in first-seen order.
fn distinct_hashes(frames: &[PdqHash], quality: u8) -> Vec<Hash256> {
    let mut seen = HashSet::with_capacity(frames.len());
    frames
        .iter()
        .filter(|frame| frame.quality >= quality)
        .filter(|frame| seen.insert(frame.hash))
        .map(|frame| frame.hash)
        .collect()
}

/// A hash list's entries as a video's frame hashes, for [`compare_videos`]: a vPDQ file read with
/// [`HashList::load`] gives its frames. An entry whose list gives no quality (a plain hex list)
/// counts as quality 100, so the quality filter keeps it.
pub fn list_frames(list: &HashList) -> Vec<PdqHash> {
    list.entries()
        .map(|entry| PdqHash {
            hash: entry.hash,
            quality: entry.quality.unwrap_or(100),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::tests::hash_with_bits as hash_with;

    fn frame(hash: Hash256, quality: u8) -> PdqHash {
        PdqHash { hash, quality }
    }

    /// The README's pseudocode, literally: nested loops over the filtered distinct hashes.
    fn brute(query: &[PdqHash], compared: &[PdqHash], options: &CompareOptions) -> (f64, f64) {
        let q = distinct_hashes(query, options.min_quality);
        let c = distinct_hashes(compared, options.min_quality);
        let count = |a: &[Hash256], b: &[Hash256]| {
            a.iter()
                .filter(|x| b.iter().any(|y| x.distance(y) <= options.distance))
                .count()
        };
        let pct = |n: usize, d: usize| {
            if d == 0 {
                0.0
            } else {
                n as f64 * 100.0 / d as f64
            }
        };
        (pct(count(&q, &c), q.len()), pct(count(&c, &q), c.len()))
    }

    #[test]
    fn agrees_with_the_readme_pseudocode() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize
        };
        for _ in 0..50 {
            let base: Vec<Hash256> = (0..6)
                .map(|_| hash_with(&(0..40).map(|_| next() % 256).collect::<Vec<_>>()))
                .collect();
            let video = |next: &mut dyn FnMut() -> usize| -> Vec<PdqHash> {
                (0..12)
                    .map(|_| {
                        let mut h = base[next() % base.len()];
                        for _ in 0..next() % 40 {
                            let bit = next() % 256;
                            let mut bytes = *h.as_bytes();
                            bytes[bit / 8] ^= 1 << (bit % 8);
                            h = Hash256::from_bytes(bytes);
                        }
                        frame(h, (next() % 101) as u8)
                    })
                    .collect()
            };
            let (q, c) = (video(&mut next), video(&mut next));
            let options = CompareOptions::default();
            let result = compare_videos(&q, &c, &options);
            assert_eq!(
                (result.query_percent, result.compared_percent),
                brute(&q, &c, &options)
            );
        }
    }

    #[test]
    fn distance_is_inclusive_and_duplicates_count_once() {
        let a = hash_with(&[]);
        let at_31 = hash_with(&(0..31).collect::<Vec<_>>());
        let at_32 = hash_with(&(0..32).collect::<Vec<_>>());
        let query = [frame(a, 100), frame(a, 100), frame(a, 100)];
        let result = compare_videos(
            &query,
            &[frame(at_31, 100), frame(at_32, 100)],
            &CompareOptions::default(),
        );
        assert_eq!(result.query_hashes, 1);
        assert_eq!(
            (result.query_percent, result.compared_percent),
            (100.0, 50.0)
        );
        assert!(!result.is_match);
        let options = CompareOptions {
            compared_percent: 50.0,
            ..CompareOptions::default()
        };
        let result = compare_videos(&query, &[frame(at_31, 100), frame(at_32, 100)], &options);
        assert!(result.is_match, "the thresholds are inclusive too");
    }

    #[test]
    fn quality_filter_and_empty_videos() {
        let a = hash_with(&[1]);
        let low = [frame(a, 49)];
        let result = compare_videos(&low, &low, &CompareOptions::default());
        assert_eq!((result.query_hashes, result.compared_hashes), (0, 0));
        assert!(!result.is_match);
        // A hash kept if any of its frames passes the filter.
        let mixed = [frame(a, 10), frame(a, 80)];
        let result = compare_videos(&mixed, &mixed, &CompareOptions::default());
        assert!(result.is_match);
        // Gates with 0% thresholds still need something to compare.
        let none = compare_videos(&[], &mixed, &CompareOptions::with_gate(Gate::Either));
        assert!(!none.is_match);
    }

    #[test]
    fn gates_pick_their_side() {
        let [a, b, c, d] =
            [1, 2, 3, 4].map(|bit| hash_with(&(bit * 50..bit * 50 + 40).collect::<Vec<_>>()));
        let listed = [frame(a, 100), frame(b, 100)];
        let clip = [frame(a, 100)]; // half the listed video, all of the upload
        let padded = [
            frame(a, 100),
            frame(b, 100),
            frame(c, 100),
            frame(d, 100),
            frame(hash_with(&[0]), 100),
        ];
        let decide = |q: &[PdqHash], gate| {
            compare_videos(q, &listed, &CompareOptions::with_gate(gate)).is_match
        };
        assert_eq!(
            [Gate::Compared, Gate::Query, Gate::Either].map(|g| decide(&clip, g)),
            [false, true, true]
        );
        assert_eq!(
            [Gate::Compared, Gate::Query, Gate::Either].map(|g| decide(&padded, g)),
            [true, false, true]
        );
    }
}
