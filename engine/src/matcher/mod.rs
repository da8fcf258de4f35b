//! Matching hashes against lists of known hashes: flat (SIMD) and multi-index search.
