//! Compatibility with Meta's reference PDQ hashes.
