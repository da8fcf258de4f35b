//! What a kernel does with a hit: the [`HitSink`] interface between the SIMD scans and the
//! searches built on them (radius and top-k), and the two collectors.
//!
//! Kernels compare against an *exclusive* limit per query (a hit is `distance < limit`), so that
//! a top-k search can say "nothing more can enter" with a limit of 0. Radius searches, which are
//! inclusive as in PDQ practice (`distance <= radius`), convert once with [`radius_limit`].

use super::block::{LANES, QUERY_BLOCK};

/// One entry of an index within reach of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hit {
    /// Hamming distance to the query (0..=256).
    pub distance: u32,
    /// The entry's position in the index (the order its hashes were given in).
    pub entry: usize,
}

/// The exclusive kernel limit for an inclusive radius: a radius of 31 matches distances 0..=31.
/// Radii of 256 and more match everything.
pub const fn radius_limit(radius: u32) -> u32 {
    if radius >= 256 { 257 } else { radius + 1 }
}

/// Receives the hits of a scan.
pub trait HitSink {
    /// Entry `entry` is at `distance < limit` from query `query` (its index in the kernel's batch).
    /// Returns the query's limit from now on.
    fn hit(&mut self, query: usize, entry: usize, distance: u32, limit: u32) -> u32;
}

/// A SIMD kernel's copy of its queries' limits, as `u64`s on the stack (one broadcast load per
/// query per block), taken from the caller's and given back at the end. Only the SIMD kernels use
/// it, so targets without one (wasm32) build it unused.
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
pub struct LocalLimits {
    values: [u64; QUERY_BLOCK],
    count: usize,
}

#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
impl LocalLimits {
    /// The limits of the first `queries` queries (at most [`QUERY_BLOCK`], and no more than
    /// `limits` holds).
    #[inline]
    pub fn load(limits: &[u32], queries: usize) -> Self {
        let count = queries.min(limits.len()).min(QUERY_BLOCK);
        let mut values = [0u64; QUERY_BLOCK];
        for (value, limit) in values.iter_mut().zip(&limits[..count]) {
            *value = u64::from(*limit);
        }
        LocalLimits { values, count }
    }

    /// How many queries the kernel compares.
    #[inline]
    pub fn count(&self) -> usize {
        self.count
    }

    /// Query `query`'s limit now.
    #[inline]
    pub fn get(&self, query: usize) -> u64 {
        self.values[query]
    }

    /// Writes the limits back to the caller's.
    #[inline]
    pub fn store(&self, limits: &mut [u32]) {
        for (limit, value) in limits.iter_mut().zip(&self.values[..self.count]) {
            *limit = *value as u32;
        }
    }

    /// Hands the lanes of one block that passed the kernel's comparison (`mask`, bit per lane)
    /// to `sink`, lowest lane first, re-checking each against the limit (an earlier lane may have
    /// lowered it). `block_entry` is the entry number of the block's lane 0.
    #[cold]
    #[inline(never)]
    pub fn deliver<S: HitSink>(
        &mut self,
        mask: u32,
        distances: &[u64; LANES],
        query: usize,
        block_entry: usize,
        sink: &mut S,
    ) {
        let limit = &mut self.values[query];
        let mut bits = mask;
        while bits != 0 {
            let lane = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let distance = distances[lane];
            if distance < *limit {
                let new_limit = sink.hit(query, block_entry + lane, distance as u32, *limit as u32);
                *limit = u64::from(new_limit);
            }
        }
    }
}

/// Keeps every hit of a radius search on entries below `len` (later lanes are padding).
pub struct RadiusCollector<'a> {
    /// Entries in the index; hits at or past it are padding.
    pub len: usize,
    /// Added to the kernel's query index.
    pub query_offset: usize,
    /// `(query, hit)` in the order found.
    pub hits: &'a mut Vec<(usize, Hit)>,
}

impl HitSink for RadiusCollector<'_> {
    #[inline]
    fn hit(&mut self, query: usize, entry: usize, distance: u32, limit: u32) -> u32 {
        if entry < self.len {
            self.hits
                .push((self.query_offset + query, Hit { distance, entry }));
        }
        limit
    }
}

/// Keeps the `k` nearest entries of each query, ties going to the lower entry. Entries must come
/// in ascending order per query (as a scan delivers them), which is what makes the strict limit
/// right: a later entry at the current k-th distance loses the tie.
pub struct TopKCollector {
    len: usize,
    k: usize,
    /// Per query of the batch, sorted by `(distance, entry)`, at most `k` long.
    pub nearest: Vec<Vec<Hit>>,
}

impl TopKCollector {
    /// An empty collector for `queries` queries.
    pub fn new(len: usize, k: usize, queries: usize) -> Self {
        TopKCollector {
            len,
            k,
            nearest: vec![Vec::with_capacity(k.min(1024)); queries],
        }
    }

    /// The limit for a query that has nothing yet: everything enters unless `k` is 0.
    pub fn initial_limit(&self) -> u32 {
        if self.k == 0 { 0 } else { radius_limit(256) }
    }
}

impl HitSink for TopKCollector {
    fn hit(&mut self, query: usize, entry: usize, distance: u32, limit: u32) -> u32 {
        if entry >= self.len {
            return limit;
        }
        let nearest = &mut self.nearest[query];
        let hit = Hit { distance, entry };
        let at = nearest.partition_point(|h| *h < hit);
        nearest.insert(at, hit);
        nearest.truncate(self.k);
        match nearest.last() {
            Some(worst) if nearest.len() == self.k => worst.distance,
            _ => limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_is_inclusive_and_saturates() {
        assert_eq!(radius_limit(0), 1);
        assert_eq!(radius_limit(31), 32);
        assert_eq!(radius_limit(256), 257);
        assert_eq!(radius_limit(u32::MAX), 257);
    }

    #[test]
    fn top_k_keeps_the_nearest_and_earliest() {
        let mut top = TopKCollector::new(10, 2, 1);
        let mut limit = top.initial_limit();
        for (entry, distance) in [(0, 9), (1, 5), (2, 9), (3, 5), (4, 7), (20, 0)] {
            if distance < limit {
                limit = top.hit(0, entry, distance, limit);
            }
        }
        let expected = [
            Hit {
                distance: 5,
                entry: 1,
            },
            Hit {
                distance: 5,
                entry: 3,
            },
        ];
        assert_eq!(top.nearest[0], expected);
        assert_eq!(limit, 5);
        assert_eq!(TopKCollector::new(10, 0, 1).initial_limit(), 0);
    }
}
