//! Which kernel runs: the one place where the CPU's features are detected and the kernels
//! dispatched.
//!
//! A [`Platform`] other than [`Platform::Portable`] carries a token that only its ISA file can
//! make, after detecting the features at run time; so holding one is proof that its kernel can
//! run, and no `unsafe` is needed outside the ISA files.

use super::block::{QueryWords, RowHash, ScanJob};
use super::portable;
use super::sink::{Hit, HitSink};

#[cfg(target_arch = "x86_64")]
use super::{avx2::Avx2, avx512::Avx512};

#[cfg(target_arch = "aarch64")]
use super::neon::Neon;

/// A Hamming-distance kernel that this CPU can run.
///
/// ```
/// use vigil::matcher::Platform;
/// let best = Platform::detect();
/// assert!(Platform::supported().contains(&best));
/// assert_eq!(Platform::portable().name(), "portable");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Plain Rust; every CPU. The reference the others are tested against.
    Portable,
    /// x86_64 AVX2 (nibble-table bit counts).
    #[cfg(target_arch = "x86_64")]
    Avx2(Avx2),
    /// x86_64 AVX-512F with VPOPCNTDQ.
    #[cfg(target_arch = "x86_64")]
    Avx512(Avx512),
    /// aarch64 NEON.
    #[cfg(target_arch = "aarch64")]
    Neon(Neon),
}

impl Platform {
    /// The fastest kernel this CPU supports.
    pub fn detect() -> Platform {
        Self::avx512()
            .or_else(Self::avx2)
            .or_else(Self::neon)
            .unwrap_or(Platform::Portable)
    }

    /// The portable kernel.
    pub const fn portable() -> Platform {
        Platform::Portable
    }

    /// The AVX2 kernel, if this CPU has AVX2.
    pub fn avx2() -> Option<Platform> {
        #[cfg(target_arch = "x86_64")]
        return Avx2::detect().map(Platform::Avx2);
        #[cfg(not(target_arch = "x86_64"))]
        None
    }

    /// The AVX-512 kernel, if this CPU has AVX-512F and VPOPCNTDQ.
    pub fn avx512() -> Option<Platform> {
        #[cfg(target_arch = "x86_64")]
        return Avx512::detect().map(Platform::Avx512);
        #[cfg(not(target_arch = "x86_64"))]
        None
    }

    /// The NEON kernel, if this is an aarch64 CPU with NEON.
    pub fn neon() -> Option<Platform> {
        #[cfg(target_arch = "aarch64")]
        return Neon::detect().map(Platform::Neon);
        #[cfg(not(target_arch = "aarch64"))]
        None
    }

    /// Every kernel this CPU supports, portable first.
    pub fn supported() -> Vec<Platform> {
        std::iter::once(Platform::Portable)
            .chain(Self::avx2())
            .chain(Self::avx512())
            .chain(Self::neon())
            .collect()
    }

    /// The kernel named `name` (as [`Platform::name`] prints it), if this CPU supports it.
    pub fn by_name(name: &str) -> Option<Platform> {
        Self::supported().into_iter().find(|p| p.name() == name)
    }

    /// Stable name: `portable`, `avx2`, `avx512` or `neon`.
    pub const fn name(self) -> &'static str {
        match self {
            Platform::Portable => "portable",
            #[cfg(target_arch = "x86_64")]
            Platform::Avx2(_) => "avx2",
            #[cfg(target_arch = "x86_64")]
            Platform::Avx512(_) => "avx512",
            #[cfg(target_arch = "aarch64")]
            Platform::Neon(_) => "neon",
        }
    }

    /// Runs this platform's kernel: see [`portable::scan`]. At most
    /// [`QUERY_BLOCK`](super::block::QUERY_BLOCK) queries per call.
    #[inline]
    pub(crate) fn scan<S: HitSink>(self, job: ScanJob<'_>, limits: &mut [u32], sink: &mut S) {
        match self {
            Platform::Portable => portable::scan(job, limits, sink),
            #[cfg(target_arch = "x86_64")]
            Platform::Avx2(token) => token.scan(job, limits, sink),
            #[cfg(target_arch = "x86_64")]
            Platform::Avx512(token) => token.scan(job, limits, sink),
            #[cfg(target_arch = "aarch64")]
            Platform::Neon(token) => token.scan(job, limits, sink),
        }
    }
}

impl Platform {
    /// Checks multi-index hashing's candidates: see [`portable::check_candidates`].
    #[inline]
    pub(crate) fn check_candidates(
        self,
        query: &QueryWords,
        hashes: &[RowHash],
        candidates: &[u32],
        radius: u32,
        hits: &mut Vec<Hit>,
    ) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Platform::Avx2(token) => {
                token.check_candidates(query, hashes, candidates, radius, hits)
            }
            #[cfg(target_arch = "x86_64")]
            Platform::Avx512(token) => token
                .avx2()
                .check_candidates(query, hashes, candidates, radius, hits),
            // aarch64's `count_ones` is already NEON's `cnt`.
            _ => portable::check_candidates(query, hashes, candidates, radius, hits),
        }
    }
}

impl Default for Platform {
    fn default() -> Self {
        Self::detect()
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
