//! Multi-index hashing (Norouzi, Punjani and Fleet, "Fast exact search in Hamming space with
//! multi-index hashing", 2014): exact radius search that looks at a small fraction of the list.
//!
//! The 256 bits are cut into [`SLOTS`] = 16 slots of 16 bits, and each slot has a table from its
//! 65 536 values to the entries having that value there. If two hashes are within `d` bits, their
//! 16 slots differ by `d` bits in all, so at least one slot differs by at most `d / 16` bits (the
//! pigeonhole principle). A search therefore looks up, in every slot, the query's value and every
//! value within `d / 16` bits of it, and checks the full distance of each entry found: nothing
//! within `d` is missed, and nothing beyond `d` is returned. The result equals
//! [`FlatIndex`](super::FlatIndex)'s exactly.
//!
//! At `d` = 31 (PDQ's usual threshold) that is 17 values per slot, 272 lookups; on uniformly
//! random hashes each finds `len / 65 536` entries, so about 0.4% of the list is checked. The
//! cost grows fast with `d / 16`: beyond [`MAX_RADIUS`] = 63 the search checks every entry.

use rayon::prelude::*;

use super::block::{QueryWords, RowHash, WORDS, hash_words, words_distance, words_hash};
use super::platform::Platform;
use super::sink::Hit;
use crate::Hash256;

/// Slots of 16 bits in a hash.
pub const SLOTS: usize = 16;

/// The largest radius searched through the tables (3 bits per slot); larger radii check every
/// entry (still exactly).
pub const MAX_RADIUS: u32 = 63;

/// Entries by value of one slot, ascending within a value.
///
/// Lists with fewer entries than a slot has values (2^16) keep each entry's value beside it and
/// find a value by binary search; larger lists keep compressed rows (`starts[v]..starts[v + 1]`
/// indexes `entries`), one `u32` per value, so a lookup is two loads. The sparse form keeps a
/// small list from paying 256 KiB a slot (and a fuzz input from zeroing 8 MiB: the starts and
/// their running copy).
#[derive(Clone, Debug)]
struct SlotTable {
    lookup: SlotLookup,
    entries: Vec<u32>,
}

#[derive(Clone, Debug)]
enum SlotLookup {
    /// `starts[v]..starts[v + 1]` are the entries whose value is `v`.
    Dense { starts: Vec<u32> },
    /// `values[i]` is the slot value of `entries[i]`; sorted.
    Sparse { values: Vec<u16> },
}

/// Lists at least this long get dense slot tables.
const DENSE_FROM: usize = 1 << 16;

/// An exact radius-search index over 256-bit hashes by multi-index hashing.
///
/// It keeps a copy of the hashes and 16 tables of one `u32` per entry: 96 bytes per entry, plus
/// 4 MiB from 65 536 entries up (smaller lists keep a `u16` value per entry and table instead,
/// 128 bytes per entry). Entries are numbered in the order given; at most `u32::MAX` of them.
///
/// ```
/// use vigil::Hash256;
/// use vigil::matcher::{FlatIndex, MihIndex};
///
/// let hashes: Vec<Hash256> = (0..1000u32)
///     .map(|i| Hash256::from_bytes(std::array::from_fn(|b| (i * 31 + b as u32 * 17) as u8)))
///     .collect();
/// let mih = MihIndex::new(&hashes).expect("fewer than 2^32 entries");
/// let flat = FlatIndex::new(&hashes);
/// let query = hashes[123];
/// assert_eq!(mih.radius_search(&query, 31), flat.radius_search(&query, 31));
/// ```
#[derive(Clone, Debug)]
pub struct MihIndex {
    hashes: Vec<RowHash>,
    tables: Vec<SlotTable>,
    platform: Platform,
}

/// The 16-bit value of slot `slot` (0..16) of a hash in word form.
#[inline]
fn slot_value(words: &QueryWords, slot: usize) -> u16 {
    (words[slot / 4] >> (16 * (slot % 4))) as u16
}

impl MihIndex {
    /// Builds the tables (in parallel over slots). `None` if there are more than `u32::MAX`
    /// hashes; use a [`FlatIndex`](super::FlatIndex) then.
    pub fn new(hashes: &[Hash256]) -> Option<Self> {
        u32::try_from(hashes.len()).ok()?;
        let hashes: Vec<RowHash> = hashes.iter().map(|h| RowHash(hash_words(h))).collect();
        let tables = (0..SLOTS)
            .into_par_iter()
            .map(|slot| SlotTable::build(&hashes, slot))
            .collect();
        Some(MihIndex {
            hashes,
            tables,
            platform: Platform::detect(),
        })
    }

    /// The same index checking candidates with another kernel.
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = platform;
        self
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the index has no entries.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The hash of `entry`, if there is one.
    pub fn hash(&self, entry: usize) -> Option<Hash256> {
        self.hashes.get(entry).map(|e| words_hash(&e.0))
    }

    /// Every entry within `radius` bits of `query` (inclusive), in entry order: the same as
    /// [`FlatIndex::radius_search`](super::FlatIndex::radius_search).
    pub fn radius_search(&self, query: &Hash256, radius: u32) -> Vec<Hit> {
        let query = hash_words(query);
        let mut hits = Vec::new();
        if radius > MAX_RADIUS {
            self.check_all(&query, radius, &mut hits);
            return hits;
        }
        // Gathered first and checked in one pass, so the kernel can prefetch far ahead.
        let slot_radius = radius / SLOTS as u32;
        let mut candidates = Vec::new();
        for (slot, table) in self.tables.iter().enumerate() {
            for_each_within(slot_value(&query, slot), slot_radius, &mut |value| {
                candidates.extend_from_slice(table.bucket(value));
            });
        }
        self.platform
            .check_candidates(&query, &self.hashes, &candidates, radius, &mut hits);
        // An entry near the query is found through every slot that is near enough.
        hits.sort_unstable_by_key(|hit| hit.entry);
        hits.dedup_by_key(|hit| hit.entry);
        hits
    }

    /// [`radius_search`](Self::radius_search) for each query, in parallel.
    pub fn radius_search_batch(&self, queries: &[Hash256], radius: u32) -> Vec<Vec<Hit>> {
        queries
            .par_iter()
            .map(|query| self.radius_search(query, radius))
            .collect()
    }

    fn check_all(&self, query: &QueryWords, radius: u32, hits: &mut Vec<Hit>) {
        for (entry, hash) in self.hashes.iter().enumerate() {
            let distance = words_distance(query, &hash.0);
            if distance <= radius {
                hits.push(Hit { distance, entry });
            }
        }
    }
}

impl SlotTable {
    fn build(hashes: &[RowHash], slot: usize) -> SlotTable {
        if hashes.len() >= DENSE_FROM {
            Self::build_dense(hashes, slot)
        } else {
            Self::build_sparse(hashes, slot)
        }
    }

    /// Counting sort of the entries by their value of `slot`.
    fn build_dense(hashes: &[RowHash], slot: usize) -> SlotTable {
        let mut starts = vec![0u32; (1 << 16) + 1];
        for hash in hashes {
            starts[usize::from(slot_value(&hash.0, slot)) + 1] += 1;
        }
        for v in 1..starts.len() {
            starts[v] += starts[v - 1];
        }
        let mut next = starts.clone();
        let mut entries = vec![0u32; hashes.len()];
        for (entry, hash) in hashes.iter().enumerate() {
            let value = usize::from(slot_value(&hash.0, slot));
            entries[next[value] as usize] = entry as u32;
            next[value] += 1;
        }
        SlotTable {
            lookup: SlotLookup::Dense { starts },
            entries,
        }
    }

    /// The entries sorted by (value of `slot`, entry).
    fn build_sparse(hashes: &[RowHash], slot: usize) -> SlotTable {
        let mut pairs: Vec<(u16, u32)> = hashes
            .iter()
            .enumerate()
            .map(|(entry, hash)| (slot_value(&hash.0, slot), entry as u32))
            .collect();
        pairs.sort_unstable();
        let (values, entries) = pairs.into_iter().unzip();
        SlotTable {
            lookup: SlotLookup::Sparse { values },
            entries,
        }
    }

    #[inline]
    fn bucket(&self, value: u16) -> &[u32] {
        let range = match &self.lookup {
            SlotLookup::Dense { starts } => {
                let v = usize::from(value);
                starts[v] as usize..starts[v + 1] as usize
            }
            SlotLookup::Sparse { values } => {
                let start = values.partition_point(|&v| v < value);
                start..start + values[start..].partition_point(|&v| v == value)
            }
        };
        &self.entries[range]
    }
}

/// Calls `visit` with every 16-bit value within `radius` bits of `value` (each once).
fn for_each_within(value: u16, radius: u32, visit: &mut impl FnMut(u16)) {
    fn flip_from(value: u16, lowest_bit: u32, remaining: u32, visit: &mut impl FnMut(u16)) {
        visit(value);
        if remaining == 0 {
            return;
        }
        for bit in lowest_bit..16 {
            flip_from(value ^ (1 << bit), bit + 1, remaining - 1, visit);
        }
    }
    flip_from(value, 0, radius.min(16), visit);
}

const _: () = assert!(SLOTS == WORDS * 4);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::FlatIndex;
    use crate::matcher::test_support::TestRng;

    #[test]
    fn neighbour_enumeration_counts() {
        for (radius, expected) in [(0, 1), (1, 17), (2, 137), (3, 697), (16, 65536)] {
            let mut seen = std::collections::HashSet::new();
            for_each_within(0xbeef, radius, &mut |v| {
                assert!((v ^ 0xbeef).count_ones() <= radius);
                assert!(seen.insert(v), "{v:#x} twice");
            });
            assert_eq!(seen.len(), expected, "radius {radius}");
        }
    }

    #[test]
    fn sparse_and_dense_tables_hold_the_same_buckets() {
        let mut rng = TestRng::new(14);
        // Clustered, so buckets of several entries occur, and a few degenerate hashes.
        let mut hashes = rng.clustered(30, 40, 8);
        hashes.extend([
            Hash256::ZERO,
            Hash256::ZERO,
            Hash256::from_bytes([0xff; 32]),
        ]);
        let rows: Vec<RowHash> = hashes.iter().map(|h| RowHash(hash_words(h))).collect();
        for slot in 0..SLOTS {
            let dense = SlotTable::build_dense(&rows, slot);
            let sparse = SlotTable::build_sparse(&rows, slot);
            for value in 0..=u16::MAX {
                assert_eq!(
                    dense.bucket(value),
                    sparse.bucket(value),
                    "slot {slot} {value:#x}"
                );
            }
            assert_eq!(dense.entries.len(), rows.len());
        }
    }

    fn assert_same_as_flat(hashes: &[Hash256], queries: &[Hash256], radii: &[u32]) {
        let flat = FlatIndex::new(hashes);
        let mih = MihIndex::new(hashes).unwrap();
        for &radius in radii {
            assert_eq!(
                mih.radius_search_batch(queries, radius),
                flat.radius_search_batch(queries, radius),
                "radius {radius}"
            );
        }
    }

    const RADII: [u32; 12] = [0, 1, 15, 16, 17, 31, 32, 47, 48, 63, 64, 100];

    #[test]
    fn random_lists_equal_flat() {
        let mut rng = TestRng::new(11);
        for len in [0, 1, 100, 3000] {
            let hashes = rng.hashes(len);
            let queries: Vec<Hash256> = (0..40)
                .map(|i| match (i % 2, len) {
                    (0, 1..) => {
                        let bits = rng.below(70) as u32;
                        let near = rng.pick(&hashes);
                        rng.flip(&near, bits)
                    }
                    _ => rng.hash(),
                })
                .collect();
            assert_same_as_flat(&hashes, &queries, &RADII);
        }
    }

    #[test]
    fn a_list_with_dense_tables_equals_flat() {
        let mut rng = TestRng::new(15);
        let hashes = rng.hashes(DENSE_FROM);
        let queries: Vec<Hash256> = (0..12)
            .map(|i| {
                let near = rng.pick(&hashes);
                rng.flip(&near, i * 6)
            })
            .collect();
        assert_same_as_flat(&hashes, &queries, &[0, 31, 47, 63]);
    }

    #[test]
    fn clustered_near_duplicates_equal_flat() {
        let mut rng = TestRng::new(12);
        for seed in 0..4 {
            let hashes = rng.clustered(20 + seed, 50, 40);
            let queries: Vec<Hash256> = (0..30)
                .map(|_| {
                    let centre = rng.pick(&hashes);
                    let bits = rng.below(40) as u32;
                    rng.flip(&centre, bits)
                })
                .collect();
            assert_same_as_flat(&hashes, &queries, &RADII);
        }
    }

    #[test]
    fn distance_exactly_at_the_radius() {
        let mut rng = TestRng::new(13);
        let query = rng.hash();
        // Entry d is exactly d bits away, with the flips spread over the slots.
        let hashes: Vec<Hash256> = (0..=80).map(|d| rng.flip(&query, d)).collect();
        let mih = MihIndex::new(&hashes).unwrap();
        for radius in [0, 15, 16, 31, 32, 63, 64, 80] {
            let entries: Vec<usize> = mih
                .radius_search(&query, radius)
                .iter()
                .map(|h| h.entry)
                .collect();
            assert_eq!(entries, (0..=radius as usize).collect::<Vec<_>>());
        }
        // All 31 flips in one slot pair: slot distances 16 and 15, found through the 15.
        let mut bytes = *query.as_bytes();
        for byte in &mut bytes[..4] {
            *byte = !*byte;
        }
        bytes[0] ^= 1;
        let far_in_two_slots = Hash256::from_bytes(bytes);
        assert_eq!(far_in_two_slots.distance(&query), 31);
        let mih = MihIndex::new(&[far_in_two_slots]).unwrap();
        assert_eq!(mih.radius_search(&query, 31).len(), 1);
        assert_eq!(mih.radius_search(&query, 30).len(), 0);
    }
}
