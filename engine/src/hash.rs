//! The 256-bit PDQ hash, its hex form and bit order, and the eight dihedral orientations.

use std::fmt;
use std::str::FromStr;

/// A 256-bit PDQ hash.
///
/// Bit `k` (0..256) is DCT coefficient `(k / 16, k % 16)`, as in the reference. The bytes are kept in
/// the order of the hex form: most significant first, so `bytes[0]` holds bits 255..248.
///
/// ```
/// use vigil::Hash256;
/// let hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
/// let hash: Hash256 = hex.parse()?;
/// assert_eq!(hash.to_string(), hex);
/// assert_eq!(hash.distance(&hash), 0);
/// # Ok::<(), vigil::ParseHashError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash256 {
    bytes: [u8; 32],
}

impl Hash256 {
    /// The all-zero hash (what frames under 5 pixels on a side get).
    pub const ZERO: Hash256 = Hash256 { bytes: [0; 32] };

    /// From bytes in hex order (most significant first).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Hash256 { bytes }
    }

    /// The bytes in hex order (most significant first).
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Sets bit `k` (0..256), numbered as the reference's `setBit`.
    pub fn set_bit(&mut self, k: usize) {
        self.bytes[31 - k / 8] |= 1 << (k % 8);
    }

    /// Reads bit `k` (0..256).
    pub fn bit(&self, k: usize) -> bool {
        self.bytes[31 - k / 8] >> (k % 8) & 1 == 1
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> u32 {
        self.bytes.iter().map(|b| b.count_ones()).sum()
    }

    /// Hamming distance: the number of differing bits (0..=256).
    pub fn distance(&self, other: &Hash256) -> u32 {
        self.bytes
            .iter()
            .zip(other.bytes.iter())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.bytes {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({self})")
    }
}

/// A hex string that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a PDQ hash is 64 hex digits; got {0:?}")]
pub struct ParseHashError(pub String);

impl FromStr for Hash256 {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.as_bytes();
        if digits.len() != 64 {
            return Err(ParseHashError(s.to_owned()));
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let hi = hex_value(pair[0]).ok_or_else(|| ParseHashError(s.to_owned()))?;
            let lo = hex_value(pair[1]).ok_or_else(|| ParseHashError(s.to_owned()))?;
            *byte = hi << 4 | lo;
        }
        Ok(Hash256 { bytes })
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|v| v as u8)
}

/// The eight dihedral orientations, in the reference's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dihedral {
    Original,
    Rotate90,
    Rotate180,
    Rotate270,
    FlipX,
    FlipY,
    FlipPlus1,
    FlipMinus1,
}

impl Dihedral {
    /// All eight, in the reference's order (the order of [`DihedralHashes::hashes`]).
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rotate90,
        Dihedral::Rotate180,
        Dihedral::Rotate270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::FlipPlus1,
        Dihedral::FlipMinus1,
    ];

    /// Stable name, as in JSON output.
    pub const fn name(self) -> &'static str {
        match self {
            Dihedral::Original => "original",
            Dihedral::Rotate90 => "rotate90",
            Dihedral::Rotate180 => "rotate180",
            Dihedral::Rotate270 => "rotate270",
            Dihedral::FlipX => "flipx",
            Dihedral::FlipY => "flipy",
            Dihedral::FlipPlus1 => "flip+1",
            Dihedral::FlipMinus1 => "flip-1",
        }
    }
}

/// The quality under which a hash is too featureless to mean much (PDQ practice: 50), and the
/// one default of every quality floor in vigil: queries the [`Matcher`](crate::matcher::Matcher)
/// matches ([`MatchOptions::min_quality`](crate::matcher::MatchOptions::min_quality)), the hashes
/// a vPDQ comparison counts ([`CompareOptions::min_quality`](crate::video::CompareOptions::min_quality), `F`)
/// and the frames a video decision counts ([`VideoLists::tally`](crate::video::VideoLists::tally)).
pub const MIN_QUALITY: u8 = 50;

/// Two PDQ hashes match at up to this many differing bits, inclusive: PDQ practice ("within 31
/// bits"), and the one default of every distance in vigil: a list's threshold when none is given
/// (`vigil match`, the C, Python and wasm matchers) and vPDQ's frame distance
/// ([`CompareOptions::distance`](crate::video::CompareOptions::distance), `D`).
pub const DEFAULT_THRESHOLD: u32 = 31;

/// A PDQ hash with its quality score (0..=100).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PdqHash {
    pub hash: Hash256,
    pub quality: u8,
}

/// The hashes of all eight orientations of a frame, computed from one DCT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DihedralHashes {
    /// Indexed as [`Dihedral::ALL`]; `hashes[0]` is the ordinary PDQ hash.
    pub hashes: [Hash256; 8],
    pub quality: u8,
}

impl DihedralHashes {
    /// What a frame too small to hash (under 5 pixels on a side) gets, as in the reference:
    /// every orientation all zero, quality 0.
    pub const EMPTY: DihedralHashes = DihedralHashes {
        hashes: [Hash256::ZERO; 8],
        quality: 0,
    };

    /// The hash of one orientation.
    pub fn get(&self, orientation: Dihedral) -> Hash256 {
        self.hashes[orientation as usize]
    }

    /// The ordinary PDQ hash and quality.
    pub fn original(&self) -> PdqHash {
        PdqHash {
            hash: self.hashes[0],
            quality: self.quality,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_order_matches_the_reference_hex() {
        // Bit k lives in 16-bit word k / 16, printed from word 15 down to word 0.
        let mut hash = Hash256::ZERO;
        hash.set_bit(0);
        assert_eq!(hash.to_string(), format!("{}1", "0".repeat(63)));
        let mut hash = Hash256::ZERO;
        hash.set_bit(255);
        assert_eq!(hash.to_string(), format!("8{}", "0".repeat(63)));
        let mut hash = Hash256::ZERO;
        hash.set_bit(16);
        assert_eq!(hash.to_string(), format!("{}10000", "0".repeat(59)));
        assert!(hash.bit(16) && !hash.bit(15));
    }

    #[test]
    fn hex_parsing_rejects_malformed_input() {
        for bad in [
            "",
            "abc",
            &"g".repeat(64),
            &"0".repeat(63),
            &"0".repeat(65),
            &"é".repeat(32),
        ] {
            assert!(bad.parse::<Hash256>().is_err(), "{bad:?}");
        }
        let upper = "F8F8F0CEE0F4A84F06370A22038F63F0B36E2ED596621E1D33E6B39C4E9C9B22";
        let hash: Hash256 = upper.parse().expect("upper-case hex");
        assert_eq!(hash.to_string(), upper.to_lowercase());
        assert_eq!(hash.distance(&Hash256::ZERO), hash.count_ones());
    }
}
