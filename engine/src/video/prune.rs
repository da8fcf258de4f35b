//! Pruning: leaving out frames whose hash is within `D_prune` bits of the last frame kept (vPDQ's
//! "Pruning Frames"), so a still scene costs one hash, not one per frame.

use crate::Hash256;

/// Decides, frame after frame in video order, which hashes are kept.
///
/// A frame is kept when it is the first, or when its hash is more than `distance` bits from the
/// last kept hash ("within D_prune" is pruned, as in the vPDQ README's example, where D_prune = 2
/// prunes a frame at distance 2).
///
/// ```
/// use vigil::Hash256;
/// use vigil::video::Pruner;
/// let a = Hash256::ZERO;
/// let mut two_bits = [0u8; 32];
/// two_bits[0] = 0b11;
/// let b = Hash256::from_bytes(two_bits);
/// let mut pruner = Pruner::new(2);
/// assert!(pruner.keep(&a));
/// assert!(!pruner.keep(&b)); // 2 bits from a
/// ```
#[derive(Clone, Debug)]
pub struct Pruner {
    distance: u32,
    last_kept: Option<Hash256>,
}

impl Pruner {
    /// Prunes frames within `distance` bits (inclusive) of the last kept one.
    pub fn new(distance: u32) -> Pruner {
        Pruner {
            distance,
            last_kept: None,
        }
    }

    /// Whether to keep the next frame, whose hash is `hash`; remembers it if kept.
    pub fn keep(&mut self, hash: &Hash256) -> bool {
        let keep = self
            .last_kept
            .is_none_or(|last| last.distance(hash) > self.distance);
        if keep {
            self.last_kept = Some(*hash);
        }
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::tests::hash_with_bits as with_bits;

    #[test]
    fn compares_with_the_last_kept_frame_not_the_last_frame() {
        // The README's example with D_prune = 2: distances 0, 2 from frame 1, then 3 (kept),
        // then 0 from frame 4.
        let frames = [
            with_bits(&[]),
            with_bits(&[]),
            with_bits(&[1, 2]),
            with_bits(&[1, 2, 3]),
            with_bits(&[1, 2, 3]),
        ];
        let mut pruner = Pruner::new(2);
        let kept: Vec<bool> = frames.iter().map(|h| pruner.keep(h)).collect();
        assert_eq!(kept, [true, false, false, true, false]);
        // Distance 0 keeps only changes.
        let mut pruner = Pruner::new(0);
        let kept: Vec<bool> = frames.iter().map(|h| pruner.keep(h)).collect();
        assert_eq!(kept, [true, false, true, true, false]);
    }
}
