//! Matcher throughput on large lists (issue 5), the runs too long for criterion: comparisons per
//! second for one query and for batches, per kernel, one thread and all threads; the
//! memory-bandwidth floor; multi-index hashing against the flat scan at radius 31.
//!
//! ```text
//! cargo run --release -p vigil-benches --example matcher_scale                # 1M and 10M
//! cargo run --release -p vigil-benches --example matcher_scale -- 1000000     # sizes to run
//! cargo run --release -p vigil-benches --example matcher_scale -- 10000000 avx512,mih  # only these
//! VIGIL_BENCH_QUICK=1 cargo run --release -p vigil-benches --example matcher_scale  # smoke run
//! ```
//!
//! Lists are uniformly random hashes (seeded); queries are random too, so a radius-31 search
//! finds nothing and every figure is the cost of the scan itself. Each figure is the best of
//! several runs (the machine is shared), per query for single queries and per batch of
//! [`BATCH`] queries for batches.
//!
//! * **floor**: the time to stream the list's bytes at the measured single-core read bandwidth
//!   (a vectorised sum over a buffer larger than the last-level cache); `% floor` = floor / time.
//! * **Gcmp/s**: 10^9 hash comparisons per second (queries × entries / time; for `mih`, the
//!   flat scan's comparisons it stands in for).
//! * **load**: `HashList::load` of the list written as hex lines and as the binary format (files
//!   in the temp directory, read from the page cache: the parse and checks, not the disk).

use std::hint::black_box;
use std::time::{Duration, Instant};

use vigil::Hash256;
use vigil::lists::HashList;
use vigil::matcher::{FlatIndex, MihIndex, Platform};
use vigil_benches::quick;

/// Queries per batch.
const BATCH: usize = 256;
/// The radius searched (PDQ's usual threshold).
const RADIUS: u32 = 31;

/// `n` random hashes from a seeded xorshift64*.
fn random_hashes(n: usize, seed: u64) -> Vec<Hash256> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    (0..n)
        .map(|_| {
            let mut bytes = [0u8; 32];
            for chunk in bytes.chunks_exact_mut(8) {
                chunk.copy_from_slice(&next().to_le_bytes());
            }
            Hash256::from_bytes(bytes)
        })
        .collect()
}

/// Best time of `f` over runs until `budget` has passed (at least `min_runs` runs).
fn best_of(min_runs: usize, budget: Duration, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    let mut best = Duration::MAX;
    let mut runs = 0;
    while runs < min_runs || start.elapsed() < budget {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
        runs += 1;
    }
    best
}

/// Single-core read bandwidth in bytes/s over `bytes` bytes of u64s: the best of a plain sum and
/// a sum into eight independent accumulators (more loads in flight), each vectorised by the
/// compiler for the baseline x86_64 (SSE2).
fn read_bandwidth(bytes: usize) -> f64 {
    let buffer: Vec<u64> = (0..bytes / 8).map(|i| i as u64).collect();
    let plain = best_of(5, Duration::from_secs(2), || {
        let sum = black_box(&buffer)
            .iter()
            .fold(0u64, |acc, &x| acc.wrapping_add(x));
        black_box(sum);
    });
    let eight_way = best_of(5, Duration::from_secs(2), || {
        let mut sums = [0u64; 8];
        for chunk in black_box(&buffer).chunks_exact(8) {
            for (sum, &x) in sums.iter_mut().zip(chunk) {
                *sum = sum.wrapping_add(x);
            }
        }
        black_box(sums);
    });
    bytes as f64 / plain.min(eight_way).as_secs_f64()
}

/// Times loading `hashes` written as hex lines and as a binary list.
fn list_loading(hashes: &[Hash256], budget: Duration) {
    let dir = std::env::temp_dir();
    let hex_path = dir.join(format!("vigil-bench-{}.txt", std::process::id()));
    let bin_path = dir.join(format!("vigil-bench-{}.vpdq", std::process::id()));
    let mut text = String::with_capacity(hashes.len() * 65);
    for hash in hashes {
        text.push_str(&hash.to_string());
        text.push('\n');
    }
    std::fs::write(&hex_path, text).expect("write hex list");
    let list = HashList::load(&hex_path).expect("hex list");
    let mut binary = Vec::new();
    list.write_binary(&mut binary).expect("binary list");
    std::fs::write(&bin_path, binary).expect("write binary list");
    for (format, path) in [("hex", &hex_path), ("binary", &bin_path)] {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let time = best_of(3, budget, || {
            black_box(HashList::load(path).expect("load"));
        });
        println!(
            "load {format:<6} {} hashes ({} MB): {:.3} s",
            hashes.len(),
            size / 1_000_000,
            time.as_secs_f64()
        );
    }
    let _ = std::fs::remove_file(hex_path);
    let _ = std::fs::remove_file(bin_path);
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

/// What one table row needs: the list size, its floor, the time budget and the queries.
struct Row<'a> {
    n: usize,
    floor: f64,
    budget: Duration,
    queries: &'a [Hash256],
}

impl Row<'_> {
    /// Times one query (best of at least `min_one` runs) and a batch of all the queries on a pool
    /// of one thread and one of all threads, and prints a row for each.
    fn print(
        &self,
        label: &str,
        min_one: usize,
        one: impl Fn(&Hash256) + Sync,
        batch: impl Fn(&[Hash256]) + Sync,
    ) {
        let all_threads = rayon::current_num_threads();
        for threads in [1, all_threads] {
            let pool = pool(threads);
            let mut next = 0;
            let one = pool.install(|| {
                best_of(min_one, self.budget, || {
                    next = (next + 1) % self.queries.len();
                    one(&self.queries[next]);
                })
            });
            let batch = pool.install(|| best_of(1, self.budget, || batch(self.queries)));
            let one_s = one.as_secs_f64();
            let per_query = batch.as_secs_f64() / self.queries.len() as f64;
            let n = self.n as f64;
            println!(
                "{label:<9} {threads:>7}  {:>13.3}  {:>6.2}  {:>6.0}% | {:>18.4}  {:>6.2}",
                one_s * 1e3,
                n / one_s / 1e9,
                self.floor / one_s * 100.0,
                per_query * 1e3,
                n / per_query / 1e9,
            );
            if threads == all_threads {
                break;
            }
        }
    }
}

fn main() {
    let sizes: Vec<usize> = match std::env::args().nth(1) {
        Some(list) => list
            .split(',')
            .map(|s| s.parse().expect("sizes: comma-separated counts"))
            .collect(),
        None if quick() => vec![100_000],
        None => vec![1_000_000, 10_000_000],
    };
    let only: Option<Vec<String>> = std::env::args()
        .nth(2)
        .map(|list| list.split(',').map(str::to_owned).collect());
    let wanted = |name: &str| {
        only.as_ref()
            .is_none_or(|only| only.iter().any(|o| o == name))
    };
    let budget = Duration::from_millis(if quick() { 50 } else { 1500 });
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let bandwidth = read_bandwidth((largest * 32).max(256 << 20));
    println!(
        "single-core read bandwidth: {:.2} GB/s ({} threads available)",
        bandwidth / 1e9,
        rayon::current_num_threads()
    );
    let queries = random_hashes(BATCH, 2);

    for &n in &sizes {
        let hashes = random_hashes(n, 1);
        let flat = FlatIndex::new(&hashes);
        let row = Row {
            n,
            floor: (n * 32) as f64 / bandwidth,
            budget,
            queries: &queries,
        };
        println!(
            "\n{n} hashes ({} MB), floor for one pass {:.2} ms",
            n * 32 / 1_000_000,
            row.floor * 1e3
        );
        println!(
            "index     threads  one query: ms  Gcmp/s  % floor | batch {BATCH}: ms/query  Gcmp/s"
        );
        for platform in Platform::supported()
            .into_iter()
            .filter(|p| wanted(p.name()))
        {
            let index = flat.clone().with_platform(platform);
            row.print(
                platform.name(),
                3,
                |q| drop(black_box(index.radius_search(q, RADIUS))),
                |qs| drop(black_box(index.radius_search_batch(qs, RADIUS))),
            );
        }
        if wanted("mih") {
            let build = Instant::now();
            let mih = MihIndex::new(&hashes).expect("fewer than 2^32 hashes");
            let build = build.elapsed();
            row.print(
                "mih",
                50,
                |q| drop(black_box(mih.radius_search(q, RADIUS))),
                |qs| drop(black_box(mih.radius_search_batch(qs, RADIUS))),
            );
            println!("(mih built in {:.2} s)", build.as_secs_f64());
        }
        if wanted("load") {
            list_loading(&hashes, budget);
        }
    }
}
