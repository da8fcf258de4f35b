//! Matching hashes against lists of known hashes: flat (SIMD) and multi-index search.
//!
//! * [`FlatIndex`]: every entry compared, by the fastest kernel the CPU has ([`Platform`]),
//!   radius and top-k, one query or batches (the list streams through cache once per 32
//!   queries), in parallel over chunks of the list.
//! * [`MihIndex`]: multi-index hashing, exact radius search that checks a small fraction of a
//!   large list; its results equal [`FlatIndex`]'s.
//!
//! * [`Matcher`]: lists with their own thresholds, degenerate entries left out, low-quality
//!   queries refused unless asked, dihedral queries; says which list, entry, distance and
//!   orientation matched.
//!
//! Radii are inclusive: a hash matches at `distance <= radius` (PDQ practice, "within 31 bits";
//! FAISS's `range_search` is exclusive).

mod block;
mod flat;
mod matching;
mod mih;
mod platform;
mod portable;
mod sink;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;

#[cfg(test)]
mod test_support;

pub use block::QUERY_BLOCK;
pub use flat::FlatIndex;
pub use matching::{
    IndexChoice, IndexKind, ListSummary, MIH_MIN_ENTRIES, Match, MatchError, MatchOptions, Matcher,
    Query, QueryHashes, QueryOutcome, list_query_batches,
};
pub use mih::{MAX_RADIUS as MIH_MAX_RADIUS, MihIndex};
pub use platform::Platform;
pub use sink::Hit;

#[cfg(test)]
use test_support as kernel_tests;
