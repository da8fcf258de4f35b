//! The flat index: every entry compared with every query, by the fastest kernel, streaming the
//! list through cache once per [`QUERY_BLOCK`] queries, in parallel over chunks of the list.

use rayon::prelude::*;

use super::block::{
    HashBlock, LANES, QUERY_BLOCK, QueryWords, ScanJob, hash_words, to_blocks, words_hash,
};
use super::platform::Platform;
use super::sink::{Hit, RadiusCollector, TopKCollector, radius_limit};
use crate::Hash256;

/// Blocks per chunk of the list: 2048 blocks = 16 384 entries = 512 KiB, small enough to stay in
/// a core's L2 while every query block passes over it, large enough that a task is worth
/// scheduling. Lists of at most one chunk are searched on the calling thread.
const CHUNK_BLOCKS: usize = 2048;

/// Queries per parallel task when there are many queries (a multiple of [`QUERY_BLOCK`]), so a
/// short list with many queries still keeps every core busy.
const QUERY_GROUP: usize = 8 * QUERY_BLOCK;

/// An exact index of 256-bit hashes searched by brute force, as fast as memory and the CPU allow.
///
/// Entries are numbered in the order given. Radius searches are inclusive (`distance <= radius`,
/// PDQ practice: "a match is within 31 bits"); top-k searches break ties by the lower entry.
/// Results do not depend on the [`Platform`] or the number of threads.
///
/// ```
/// use vigil::Hash256;
/// use vigil::matcher::FlatIndex;
///
/// let a: Hash256 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22".parse()?;
/// let mut near = *a.as_bytes();
/// near[0] ^= 0b111; // 3 bits away
/// let index = FlatIndex::new(&[a, Hash256::from_bytes(near), Hash256::ZERO]);
///
/// let hits = index.radius_search(&a, 3);
/// assert_eq!(hits.iter().map(|h| (h.entry, h.distance)).collect::<Vec<_>>(), [(0, 0), (1, 3)]);
/// assert_eq!(index.radius_search(&a, 2).len(), 1); // the radius is inclusive
/// assert_eq!(index.top_k(&a, 1)[0].entry, 0);
/// # Ok::<(), vigil::ParseHashError>(())
/// ```
#[derive(Clone, Debug)]
pub struct FlatIndex {
    blocks: Vec<HashBlock>,
    len: usize,
    platform: Platform,
}

impl FlatIndex {
    /// An index of `hashes`, searched with [`Platform::detect`]'s kernel.
    pub fn new(hashes: &[Hash256]) -> Self {
        FlatIndex {
            blocks: to_blocks(hashes),
            len: hashes.len(),
            platform: Platform::detect(),
        }
    }

    /// The same index searched with another kernel (tests and benchmarks compare them).
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = platform;
        self
    }

    /// The kernel in use.
    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the index has no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The hash of `entry`, if there is one.
    pub fn hash(&self, entry: usize) -> Option<Hash256> {
        (entry < self.len)
            .then(|| words_hash(&self.blocks[entry / LANES].lane_words(entry % LANES)))
    }

    /// Every entry within `radius` bits of `query` (inclusive), in entry order.
    pub fn radius_search(&self, query: &Hash256, radius: u32) -> Vec<Hit> {
        self.radius_search_batch(std::slice::from_ref(query), radius)
            .pop()
            .unwrap_or_default()
    }

    /// [`radius_search`](Self::radius_search) for each of `queries`, the list read once per
    /// [`QUERY_BLOCK`] queries; one result per query, in order.
    pub fn radius_search_batch(&self, queries: &[Hash256], radius: u32) -> Vec<Vec<Hit>> {
        let limit = radius_limit(radius);
        let per_task = self.run_tasks(queries, |task, query_offset| {
            let mut hits = Vec::new();
            for (b, queries) in task.queries.chunks(QUERY_BLOCK).enumerate() {
                let mut sink = RadiusCollector {
                    len: self.len,
                    query_offset: query_offset + b * QUERY_BLOCK,
                    hits: &mut hits,
                };
                let mut limits = [limit; QUERY_BLOCK];
                let job = ScanJob { queries, ..task };
                self.platform
                    .scan(job, &mut limits[..queries.len()], &mut sink);
            }
            hits
        });
        let mut results = vec![Vec::new(); queries.len()];
        for (query, hit) in per_task.into_iter().flatten() {
            results[query].push(hit);
        }
        results
    }

    /// The `k` entries nearest to `query`, nearest first, ties by entry.
    pub fn top_k(&self, query: &Hash256, k: usize) -> Vec<Hit> {
        self.top_k_batch(std::slice::from_ref(query), k)
            .pop()
            .unwrap_or_default()
    }

    /// [`top_k`](Self::top_k) for each of `queries`; one result per query, in order.
    pub fn top_k_batch(&self, queries: &[Hash256], k: usize) -> Vec<Vec<Hit>> {
        let per_task = self.run_tasks(queries, |task, query_offset| {
            let mut nearest = Vec::with_capacity(task.queries.len());
            for queries in task.queries.chunks(QUERY_BLOCK) {
                let mut sink = TopKCollector::new(self.len, k, queries.len());
                let mut limits = [sink.initial_limit(); QUERY_BLOCK];
                let job = ScanJob { queries, ..task };
                self.platform
                    .scan(job, &mut limits[..queries.len()], &mut sink);
                nearest.extend(sink.nearest);
            }
            nearest
                .into_iter()
                .enumerate()
                .map(|(q, hits)| (query_offset + q, hits))
                .collect::<Vec<_>>()
        });
        let mut results: Vec<Vec<Hit>> = vec![Vec::new(); queries.len()];
        for (query, hits) in per_task.into_iter().flatten() {
            results[query].extend(hits);
        }
        for hits in &mut results {
            hits.sort_unstable();
            hits.truncate(k);
        }
        results
    }

    /// Runs `task(list chunk × query group, number of the group's first query)` over every pair
    /// of a list chunk and a query group, in parallel when there is more than one pair, and
    /// returns the outputs grouped by query group, then list chunk: so for any one query,
    /// outputs come in ascending entry order.
    fn run_tasks<T, F>(&self, queries: &[Hash256], task: F) -> Vec<T>
    where
        T: Send,
        F: Fn(ScanJob<'_>, usize) -> T + Sync,
    {
        let words: Vec<QueryWords> = queries.iter().map(hash_words).collect();
        let chunks: Vec<&[HashBlock]> = self.blocks.chunks(CHUNK_BLOCKS).collect();
        let groups: Vec<&[QueryWords]> = words.chunks(QUERY_GROUP).collect();
        let run = |pair: usize| {
            let (group, chunk) = (pair / chunks.len(), pair % chunks.len());
            let job = ScanJob {
                blocks: chunks[chunk],
                first_entry: chunk * CHUNK_BLOCKS * LANES,
                queries: groups[group],
            };
            task(job, group * QUERY_GROUP)
        };
        let pairs = chunks.len() * groups.len();
        if pairs <= 1 {
            (0..pairs).map(run).collect()
        } else {
            (0..pairs).into_par_iter().map(run).collect()
        }
    }
}
