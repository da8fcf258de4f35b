//! vPDQ features and their text form, `FRAME,QUALITY,HASH,TIMESTAMP`, as Meta's
//! `vpdq-hash-video` writes them (`vpdq/cpp/io/vpdqio.cpp`).
//!
//! Reading such files is [`HashList`](crate::lists::HashList)'s job (format
//! [`ListFormat::Vpdq`](crate::lists::ListFormat::Vpdq): the frame number is the entry's id); the
//! video comparison needs only the hashes and qualities.

use std::fmt;
use std::time::Duration;

use crate::Hash256;

/// One hashed frame of a video.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VpdqFeature {
    /// The frame's number in the video, from 0.
    pub frame: u64,
    /// PDQ quality, 0..=100.
    pub quality: u8,
    pub hash: Hash256,
    /// When the frame is shown.
    pub timestamp: Duration,
}

impl fmt::Display for VpdqFeature {
    /// `FRAME,QUALITY,HASH,TIMESTAMP`, the timestamp in seconds with 3 decimals.
    ///
    /// ```
    /// use std::time::Duration;
    /// use vigil::Hash256;
    /// use vigil::video::VpdqFeature;
    /// let feature = VpdqFeature {
    ///     frame: 2,
    ///     quality: 100,
    ///     hash: Hash256::ZERO,
    ///     timestamp: Duration::from_nanos(66_666_667),
    /// };
    /// assert_eq!(feature.to_string(), format!("2,100,{},0.067", Hash256::ZERO));
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.frame,
            self.quality,
            self.hash,
            Seconds3(self.timestamp)
        )
    }
}

/// A duration printed in seconds with 3 decimals, rounded to the nearest millisecond (halves
/// up), as the reference prints timestamps (`std::fixed << std::setprecision(3)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seconds3(pub Duration);

impl fmt::Display for Seconds3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = (self.0.as_nanos() + 500_000) / 1_000_000;
        write!(f, "{}.{:03}", millis / 1000, millis % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_to_the_millisecond() {
        let cases = [
            (0, "0.000"),
            (499_999, "0.000"),
            (500_000, "0.001"),
            (33_333_333, "0.033"),
            (18_766_666_667, "18.767"),
            (59_999_500_000, "60.000"),
        ];
        for (nanos, text) in cases {
            assert_eq!(Seconds3(Duration::from_nanos(nanos)).to_string(), text);
        }
        assert_eq!(
            Seconds3(Duration::MAX).to_string(),
            "18446744073709551616.000"
        );
    }
}
