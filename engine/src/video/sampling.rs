//! Frame rates, timestamps, and which frames vPDQ hashes ("one every `seconds_per_hash`").
//!
//! Meta's vPDQ (`vpdq/cpp/.../filehasher.cpp`) numbers decoded frames from 0 and hashes frame `n`
//! when `n % frame_mod == 0`, where `frame_mod = trunc(seconds_per_hash × frames_per_second)`
//! computed in `double`, and 1 when that is 0 (so `seconds_per_hash = 0` hashes every frame).
//! Its timestamp is `n / frames_per_second`; vigil computes it exactly from the rational rate
//! (the reference divides in `float`, which agrees to the millisecond printed for the first
//! 2^13 s ≈ 2.3 hours and drifts after).

use std::time::Duration;

/// A frame rate, `num / den` frames per second (the Y4M `F` tag, ffmpeg's `r_frame_rate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameRate {
    num: u32,
    den: u32,
}

const NANOS_PER_SECOND: u128 = 1_000_000_000;

impl FrameRate {
    /// `num / den` frames per second; `None` unless both are positive.
    pub const fn new(num: u32, den: u32) -> Option<FrameRate> {
        if num == 0 || den == 0 {
            None
        } else {
            Some(FrameRate { num, den })
        }
    }

    /// The numerator.
    pub const fn num(self) -> u32 {
        self.num
    }

    /// The denominator.
    pub const fn den(self) -> u32 {
        self.den
    }

    /// Frames per second, as the reference computes it (`double(num) / double(den)`).
    pub fn frames_per_second(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }

    /// When frame `index` (from 0) is shown: `index × den / num` seconds, to the nearest
    /// nanosecond.
    ///
    /// ```
    /// use std::time::Duration;
    /// use vigil::video::FrameRate;
    /// let ntsc = FrameRate::new(30000, 1001).unwrap();
    /// assert_eq!(ntsc.timestamp(30), Duration::from_nanos(1_001_000_000));
    /// ```
    pub fn timestamp(self, index: u64) -> Duration {
        let num = u128::from(self.num);
        let nanos = (u128::from(index) * u128::from(self.den) * NANOS_PER_SECOND + num / 2) / num;
        let seconds = (nanos / NANOS_PER_SECOND).min(u128::from(u64::MAX)) as u64;
        Duration::new(seconds, (nanos % NANOS_PER_SECOND) as u32)
    }
}

/// Which frames of a video are hashed: every `frame_mod`-th, from frame 0, as vPDQ.
///
/// ```
/// use vigil::video::{FrameRate, FrameSampler};
/// let rate = FrameRate::new(30, 1).unwrap();
/// let every_second = FrameSampler::new(rate, 1.0).unwrap();
/// assert_eq!(every_second.frame_mod(), 30);
/// assert!(every_second.takes(0) && every_second.takes(60) && !every_second.takes(59));
/// assert_eq!(FrameSampler::new(rate, 0.0).unwrap().frame_mod(), 1); // every frame
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameSampler {
    frame_mod: u64,
}

/// A `seconds_per_hash` that is negative or not a number.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error("seconds per hash must be a number ≥ 0; got {0}")]
pub struct BadSecondsPerHash(pub f64);

impl FrameSampler {
    /// Every frame.
    pub const EVERY_FRAME: FrameSampler = FrameSampler { frame_mod: 1 };

    /// One frame every `seconds_per_hash` seconds of video at `rate` (0: every frame).
    pub fn new(rate: FrameRate, seconds_per_hash: f64) -> Result<FrameSampler, BadSecondsPerHash> {
        if seconds_per_hash.is_nan() || seconds_per_hash < 0.0 || seconds_per_hash.is_infinite() {
            return Err(BadSecondsPerHash(seconds_per_hash));
        }
        // `as` truncates toward zero and saturates, as the reference's cast does in range.
        let frame_mod = (seconds_per_hash * rate.frames_per_second()) as u64;
        Ok(FrameSampler {
            frame_mod: frame_mod.max(1),
        })
    }

    /// Every how many frames one is hashed.
    pub fn frame_mod(self) -> u64 {
        self.frame_mod
    }

    /// Whether frame `index` (from 0) is hashed.
    pub fn takes(self, index: u64) -> bool {
        index.is_multiple_of(self.frame_mod)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_mod_truncates_like_the_reference() {
        let ntsc = FrameRate::new(30000, 1001).unwrap();
        assert_eq!(FrameSampler::new(ntsc, 1.0).unwrap().frame_mod(), 29);
        assert_eq!(FrameSampler::new(ntsc, 0.5).unwrap().frame_mod(), 14);
        let slow = FrameRate::new(1, 2).unwrap();
        assert_eq!(FrameSampler::new(slow, 1.0).unwrap().frame_mod(), 1);
        assert_eq!(
            FrameSampler::new(slow, 1e300).unwrap().frame_mod(),
            u64::MAX
        );
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(FrameSampler::new(slow, bad).is_err());
        }
    }

    #[test]
    fn timestamps_are_exact_and_never_overflow() {
        let rate = FrameRate::new(30, 1).unwrap();
        assert_eq!(rate.timestamp(1), Duration::from_nanos(33_333_333));
        assert_eq!(rate.timestamp(2), Duration::from_nanos(66_666_667));
        let slowest = FrameRate::new(1, u32::MAX).unwrap();
        assert_eq!(slowest.timestamp(u64::MAX).as_secs(), u64::MAX);
    }
}
