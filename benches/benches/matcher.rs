//! Matcher throughput (issue 5): hash comparisons per second of the flat index per kernel, one
//! query and batches, one thread and all threads; multi-index hashing against the flat scan at
//! radius 31. Lists are uniformly random hashes; so are the queries (nothing matches, every
//! figure is the cost of the search itself).
//!
//! ```text
//! cargo bench -p vigil-benches --bench matcher                       # 1M hashes
//! VIGIL_BENCH_QUICK=1 cargo bench -p vigil-benches --bench matcher   # smoke run, 50k hashes
//! ```
//!
//! Throughput is in comparisons (queries × entries), so criterion's "elem/s" is comparisons/s.
//! The 10M-hash runs, the memory-bandwidth floor and list loading are in the `matcher_scale`
//! example (criterion is too slow for them).
//!
//! * `one_query/<kernel>/threads<N>`: `FlatIndex::radius_search`, radius 31.
//! * `batch32/<kernel>/threads<N>`: `FlatIndex::radius_search_batch` of 32 queries.
//! * `radius31/{flat,mih}`: one query, the index `IndexChoice::Auto` would weigh, all threads.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vigil::Hash256;
use vigil::matcher::{FlatIndex, MihIndex, Platform, QUERY_BLOCK};
use vigil_benches::{criterion_config, quick};

const RADIUS: u32 = 31;

fn list_len() -> usize {
    if quick() { 50_000 } else { 1_000_000 }
}

fn config() -> Criterion {
    criterion_config(20, Duration::from_secs(1), Duration::from_secs(4))
}

/// `n` random hashes from a seeded xorshift64*.
fn random_hashes(n: usize, seed: u64) -> Vec<Hash256> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            Hash256::from_bytes(std::array::from_fn(|_| {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
            }))
        })
        .collect()
}

fn pools() -> Vec<(usize, rayon::ThreadPool)> {
    let all = rayon::current_num_threads();
    let mut counts = vec![1];
    if all > 1 {
        counts.push(all);
    }
    counts
        .into_iter()
        .map(|n| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .expect("thread pool");
            (n, pool)
        })
        .collect()
}

fn flat(c: &mut Criterion) {
    let n = list_len();
    let flat = FlatIndex::new(&random_hashes(n, 1));
    let queries = random_hashes(QUERY_BLOCK, 2);
    for (threads, pool) in pools() {
        let mut one = c.benchmark_group("one_query");
        one.throughput(Throughput::Elements(n as u64));
        for platform in Platform::supported() {
            let index = flat.clone().with_platform(platform);
            let id = BenchmarkId::new(platform.name(), format!("threads{threads}"));
            one.bench_function(id, |b| {
                let mut next = 0;
                b.iter(|| {
                    next = (next + 1) % queries.len();
                    pool.install(|| index.radius_search(black_box(&queries[next]), RADIUS))
                })
            });
        }
        one.finish();
        let mut batch = c.benchmark_group("batch32");
        batch.throughput(Throughput::Elements((n * queries.len()) as u64));
        for platform in Platform::supported() {
            let index = flat.clone().with_platform(platform);
            let id = BenchmarkId::new(platform.name(), format!("threads{threads}"));
            batch.bench_function(id, |b| {
                b.iter(|| pool.install(|| index.radius_search_batch(black_box(&queries), RADIUS)))
            });
        }
        batch.finish();
    }
}

fn mih_against_flat(c: &mut Criterion) {
    let n = list_len();
    let hashes = random_hashes(n, 1);
    let flat = FlatIndex::new(&hashes);
    let mih = MihIndex::new(&hashes).expect("fewer than 2^32 hashes");
    let queries = random_hashes(256, 3);
    let mut group = c.benchmark_group("radius31");
    group.throughput(Throughput::Elements(n as u64));
    let mut next = 0;
    group.bench_function("flat", |b| {
        b.iter(|| {
            next = (next + 1) % queries.len();
            flat.radius_search(black_box(&queries[next]), RADIUS)
        })
    });
    group.bench_function("mih", |b| {
        b.iter(|| {
            next = (next + 1) % queries.len();
            mih.radius_search(black_box(&queries[next]), RADIUS)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = flat, mih_against_flat
}
criterion_main!(benches);
