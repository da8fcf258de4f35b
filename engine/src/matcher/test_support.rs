//! Test helpers: a seeded random generator, random and adversarial hash sets, and the check
//! that every kernel agrees with the portable one (called from each ISA file's tests).

use super::block::{QUERY_BLOCK, hash_words};
use super::flat::FlatIndex;
use super::mih::MihIndex;
use super::platform::Platform;
use super::sink::{Hit, HitSink};
use crate::Hash256;

/// xorshift64*: deterministic, no dependency.
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> Self {
        TestRng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn hash(&mut self) -> Hash256 {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_exact_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        Hash256::from_bytes(bytes)
    }

    pub fn hashes(&mut self, n: usize) -> Vec<Hash256> {
        (0..n).map(|_| self.hash()).collect()
    }

    /// A random element of a non-empty slice.
    pub fn pick(&mut self, hashes: &[Hash256]) -> Hash256 {
        hashes[self.below(hashes.len() as u64) as usize]
    }

    /// `hash` with `bits` distinct bits flipped.
    pub fn flip(&mut self, hash: &Hash256, bits: u32) -> Hash256 {
        let mut bytes = *hash.as_bytes();
        let mut order: Vec<usize> = (0..256).collect();
        for i in 0..bits as usize {
            let j = i + self.below((256 - i) as u64) as usize;
            order.swap(i, j);
            bytes[order[i] / 8] ^= 1 << (order[i] % 8);
        }
        Hash256::from_bytes(bytes)
    }

    /// Clusters of near-duplicates: `centres` random hashes, each with `per_centre` copies
    /// 0..=`spread` bits away.
    pub fn clustered(&mut self, centres: usize, per_centre: usize, spread: u32) -> Vec<Hash256> {
        let mut out = Vec::new();
        for _ in 0..centres {
            let centre = self.hash();
            for _ in 0..per_centre {
                let bits = self.below(u64::from(spread) + 1) as u32;
                out.push(self.flip(&centre, bits));
            }
        }
        out
    }
}

/// Whether `VIGIL_REQUIRE_SIMD` (comma-separated kernel names) asks for `name`.
fn required(name: &str) -> bool {
    std::env::var("VIGIL_REQUIRE_SIMD")
        .unwrap_or_default()
        .split(',')
        .any(|wanted| wanted.trim() == name)
}

/// Compares `platform` with the portable kernel on random and adversarial data. A kernel the CPU
/// lacks is skipped with a message, or fails when `VIGIL_REQUIRE_SIMD` names it.
pub fn check_against_portable(name: &str, platform: Option<Platform>) {
    let Some(platform) = platform else {
        assert!(
            !required(name),
            "{name} not detected, but VIGIL_REQUIRE_SIMD requires it"
        );
        eprintln!("skipped: {name} not detected");
        return;
    };
    assert_eq!(platform.name(), name);
    random_lists_agree(platform);
    distances_at_the_limit_agree(platform);
    all_bits_set_agree(platform);
    per_query_limits_agree(platform);
    candidate_checks_agree(platform);
}

/// Multi-index hashing's candidate check, through a whole search.
fn candidate_checks_agree(platform: Platform) {
    let mut rng = TestRng::new(4);
    let hashes = rng.clustered(30, 40, 50);
    let queries: Vec<Hash256> = (0..50)
        .map(|_| {
            let near = rng.pick(&hashes);
            rng.flip(&near, 20)
        })
        .collect();
    let flat = FlatIndex::new(&hashes).with_platform(Platform::portable());
    let mih = MihIndex::new(&hashes).unwrap().with_platform(platform);
    for radius in [0, 31, 63, 64] {
        assert_eq!(
            mih.radius_search_batch(&queries, radius),
            flat.radius_search_batch(&queries, radius),
            "{platform}: radius {radius}"
        );
    }
}

fn both(hashes: &[Hash256], platform: Platform) -> (FlatIndex, FlatIndex) {
    let index = FlatIndex::new(hashes);
    (
        index.clone().with_platform(Platform::portable()),
        index.with_platform(platform),
    )
}

fn random_lists_agree(platform: Platform) {
    let mut rng = TestRng::new(1);
    // Lengths around the block size, and one past a list chunk (parallel path).
    for len in [0, 1, 7, 8, 9, 63, 65, 1000, 20_000] {
        let hashes = rng.hashes(len);
        let queries: Vec<Hash256> = (0..QUERY_BLOCK + 7)
            .map(|i| match (i % 3, hashes.is_empty()) {
                (0, false) => rng.flip(&hashes[i % hashes.len()], (i % 40) as u32),
                _ => rng.hash(),
            })
            .collect();
        let (portable, simd) = both(&hashes, platform);
        for radius in [0, 10, 39, 112, 128, 256] {
            assert_eq!(
                portable.radius_search_batch(&queries, radius),
                simd.radius_search_batch(&queries, radius),
                "{platform}: len {len}, radius {radius}"
            );
        }
        for k in [0, 1, 5, 100] {
            assert_eq!(
                portable.top_k_batch(&queries, k),
                simd.top_k_batch(&queries, k),
                "{platform}: len {len}, top {k}"
            );
        }
    }
}

fn distances_at_the_limit_agree(platform: Platform) {
    let mut rng = TestRng::new(2);
    let query = rng.hash();
    // Entry d is exactly d bits from the query, d = 0..=256.
    let hashes: Vec<Hash256> = (0..=256).map(|d| rng.flip(&query, d)).collect();
    let (portable, simd) = both(&hashes, platform);
    for radius in [0, 1, 30, 31, 32, 127, 128, 255, 256] {
        let expected: Vec<Hit> = (0..=radius as usize)
            .map(|d| Hit {
                distance: d as u32,
                entry: d,
            })
            .collect();
        assert_eq!(portable.radius_search(&query, radius), expected);
        assert_eq!(simd.radius_search(&query, radius), expected, "{platform}");
    }
    assert_eq!(simd.top_k(&query, 3), portable.top_k(&query, 3));
}

fn all_bits_set_agree(platform: Platform) {
    let ones = Hash256::from_bytes([0xff; 32]);
    let hashes = vec![ones; 19];
    let (portable, simd) = both(&hashes, platform);
    for query in [Hash256::ZERO, ones] {
        for radius in [0, 255, 256] {
            assert_eq!(
                portable.radius_search(&query, radius),
                simd.radius_search(&query, radius),
                "{platform}: radius {radius}"
            );
        }
    }
    assert_eq!(simd.radius_search(&Hash256::ZERO, 255), []);
    assert_eq!(simd.radius_search(&Hash256::ZERO, 256).len(), 19);
}

/// Records every hit; never changes the limit.
struct Recorder(Vec<(usize, usize, u32)>);

impl HitSink for Recorder {
    fn hit(&mut self, query: usize, entry: usize, distance: u32, limit: u32) -> u32 {
        self.0.push((query, entry, distance));
        limit
    }
}

fn per_query_limits_agree(platform: Platform) {
    let mut rng = TestRng::new(3);
    let hashes = rng.hashes(8 * 37);
    let blocks = super::block::to_blocks(&hashes);
    let queries: Vec<_> = (0..QUERY_BLOCK)
        .map(|_| {
            let near = rng.pick(&hashes);
            hash_words(&rng.flip(&near, 100))
        })
        .collect();
    let limits: Vec<u32> = (0..QUERY_BLOCK).map(|_| rng.below(258) as u32).collect();
    let run = |platform: Platform| {
        let mut limits = limits.clone();
        let mut recorder = Recorder(Vec::new());
        let job = super::block::ScanJob {
            blocks: &blocks,
            first_entry: 1000,
            queries: &queries,
        };
        platform.scan(job, &mut limits, &mut recorder);
        let mut hits = recorder.0;
        hits.sort_unstable();
        hits
    };
    let expected = run(Platform::portable());
    assert!(!expected.is_empty());
    assert_eq!(run(platform), expected, "{platform}");
}

#[test]
fn portable_matches_itself_and_skips_report() {
    check_against_portable("portable", Some(Platform::portable()));
}
