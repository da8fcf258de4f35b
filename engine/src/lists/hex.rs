//! Decoding 64 hex digits to a hash, fast enough for lists of ten million lines: eight digits at
//! a time in a `u64` (SWAR), validity checked alongside.

use crate::Hash256;

/// Digits in a hex hash.
pub const HEX_LEN: usize = 64;

/// Eight copies of a byte.
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

const HIGH_BITS: u64 = splat(0x80);

/// Per byte of `x` (each below 0x80), the high bit set where the byte is at least `low`.
#[inline(always)]
fn at_least(x: u64, low: u8) -> u64 {
    x.wrapping_add(splat(0x80 - low)) & HIGH_BITS
}

/// Eight hex digits (little-endian load of their ASCII) to four bytes, first digit highest; `None`
/// unless all eight are hex digits. SWAR: every byte at once in one `u64`, no branches.
#[inline(always)]
fn decode_eight(x: u64) -> Option<u32> {
    // Range checks per byte are exact only below 0x80, so anything else fails first.
    let ascii = x & HIGH_BITS == 0;
    let digit = at_least(x, b'0') & !at_least(x, b'9' + 1);
    let folded = x | splat(0x20);
    let letter = at_least(folded, b'a') & !at_least(folded, b'f' + 1);
    let valid = ascii && (digit | letter) == HIGH_BITS;
    // '0'..'9' = 0x30..0x39 and 'a'..'f' / 'A'..'F' = 0x61.. / 0x41..: the low nibble, plus 9
    // where bit 6 (letters) is set.
    let values = (x & splat(0x0f)) + ((x >> 6) & splat(0x01)) * 9;
    // Each 16-bit lane holds digits (d0, d1) as bytes; make its low byte d0 << 4 | d1.
    let pairs = ((values << 4) & 0x00f0_00f0_00f0_00f0) | ((values >> 8) & 0x000f_000f_000f_000f);
    let packed = (pairs & 0xff)
        | ((pairs >> 8) & 0xff00)
        | ((pairs >> 16) & 0x00ff_0000)
        | ((pairs >> 24) & 0xff00_0000);
    valid.then_some(packed as u32)
}

/// The hash spelled by `digits`, if they are exactly 64 hex digits (either case).
#[inline]
pub fn decode_hash(digits: &[u8]) -> Option<Hash256> {
    let digits: &[u8; HEX_LEN] = digits.try_into().ok()?;
    let mut bytes = [0u8; 32];
    let mut valid = true;
    for (out, chunk) in bytes.chunks_exact_mut(4).zip(digits.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        match decode_eight(u64::from_le_bytes(word)) {
            Some(four) => out.copy_from_slice(&four.to_le_bytes()),
            None => valid = false,
        }
    }
    valid.then(|| Hash256::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_from_str_on_every_byte_value() {
        let hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        assert_eq!(decode_hash(hex.as_bytes()), hex.parse().ok());
        assert_eq!(decode_hash(hex.to_uppercase().as_bytes()), hex.parse().ok());
        // Every byte value in every position class: only hex digits pass.
        for c in 0..=255u8 {
            let mut digits = hex.as_bytes().to_vec();
            digits[17] = c;
            let expected = std::str::from_utf8(&digits)
                .ok()
                .and_then(|s| s.parse::<Hash256>().ok());
            assert_eq!(decode_hash(&digits), expected, "byte {c:#x}");
        }
        assert_eq!(decode_hash(&hex.as_bytes()[1..]), None);
        assert_eq!(decode_hash(b""), None);
    }
}
