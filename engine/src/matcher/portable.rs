//! The portable kernel: plain Rust, no `unsafe`, the reference every SIMD kernel is tested against.

use super::block::{LANES, QueryWords, RowHash, ScanJob, words_distance};
use super::sink::{Hit, HitSink};

/// For every query `q` of the job and every lane of its blocks at a distance below `limits[q]`,
/// calls `sink.hit` (lanes in ascending order per query) and takes its answer as the new limit.
pub fn scan<S: HitSink>(job: ScanJob<'_>, limits: &mut [u32], sink: &mut S) {
    let ScanJob {
        blocks,
        first_entry,
        queries,
    } = job;
    for (b, block) in blocks.iter().enumerate() {
        let block_entry = first_entry + b * LANES;
        for (q, (query, limit)) in queries.iter().zip(limits.iter_mut()).enumerate() {
            for lane in 0..LANES {
                let distance = (block.words[0][lane] ^ query[0]).count_ones()
                    + (block.words[1][lane] ^ query[1]).count_ones()
                    + (block.words[2][lane] ^ query[2]).count_ones()
                    + (block.words[3][lane] ^ query[3]).count_ones();
                if distance < *limit {
                    *limit = sink.hit(q, block_entry + lane, distance, *limit);
                }
            }
        }
    }
}

/// Pushes onto `hits` every candidate (an index into `hashes`) within `radius` of `query`, in
/// candidate order. Multi-index hashing's verification step.
///
/// # Panics
/// If a candidate is not an index into `hashes` (the index builds both, so it never is).
pub fn check_candidates(
    query: &QueryWords,
    hashes: &[RowHash],
    candidates: &[u32],
    radius: u32,
    hits: &mut Vec<Hit>,
) {
    for &entry in candidates {
        let distance = words_distance(query, &hashes[entry as usize].0);
        if distance <= radius {
            hits.push(Hit {
                distance,
                entry: entry as usize,
            });
        }
    }
}
