//! Golden hashes: the project's own inputs, recomputed and compared exactly.
