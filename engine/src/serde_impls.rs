//! `serde` for the public result types (the `serde` feature), in the shapes vigil's JSON output
//! is built from: a hash is its 64 hex digits, an orientation its name, the eight dihedral hashes an object
//! keyed by orientation in the reference's order, a vPDQ feature `{frame, quality, hash,
//! timestamp}` with the timestamp in seconds rounded to the millisecond (as the vPDQ text format).
//!
//! ```
//! let pdq = vigil::PdqHash { hash: vigil::Hash256::ZERO, quality: 100 };
//! let json = serde_json::to_string(&pdq).unwrap();
//! assert_eq!(json, format!("{{\"hash\":\"{}\",\"quality\":100}}", "0".repeat(64)));
//! assert_eq!(serde_json::from_str::<vigil::PdqHash>(&json).unwrap(), pdq);
//! ```

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::video::{CompareOptions, Gate, VpdqFeature};
use crate::{Dihedral, DihedralHashes, Hash256};

impl Serialize for Hash256 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hash256 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(de::Error::custom)
    }
}

impl Serialize for Dihedral {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl Serialize for DihedralHashes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Dihedral::ALL.len()))?;
        for orientation in Dihedral::ALL {
            map.serialize_entry(orientation.name(), &self.get(orientation))?;
        }
        map.end()
    }
}

impl Serialize for Gate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The settings a video comparison reports beside its result: `{gate, compared_threshold,
/// query_threshold, distance, quality}` (`quality` is F, [`CompareOptions::min_quality`]).
impl Serialize for CompareOptions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut record = serializer.serialize_struct("CompareOptions", 5)?;
        record.serialize_field("gate", &self.gate)?;
        record.serialize_field("compared_threshold", &self.compared_percent)?;
        record.serialize_field("query_threshold", &self.query_percent)?;
        record.serialize_field("distance", &self.distance)?;
        record.serialize_field("quality", &self.min_quality)?;
        record.end()
    }
}

impl Serialize for VpdqFeature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let millis = (self.timestamp.as_nanos() + 500_000) / 1_000_000;
        let mut record = serializer.serialize_struct("VpdqFeature", 4)?;
        record.serialize_field("frame", &self.frame)?;
        record.serialize_field("quality", &self.quality)?;
        record.serialize_field("hash", &self.hash)?;
        record.serialize_field("timestamp", &(millis as f64 / 1000.0))?;
        record.end()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn feature_is_the_vpdq_line_as_json() {
        let feature = VpdqFeature {
            frame: 30,
            quality: 87,
            hash: Hash256::ZERO,
            timestamp: Duration::from_micros(1_000_600),
        };
        let json = serde_json::to_string(&feature).unwrap();
        let zeros = "0".repeat(64);
        assert_eq!(
            json,
            format!("{{\"frame\":30,\"quality\":87,\"hash\":\"{zeros}\",\"timestamp\":1.001}}")
        );
    }

    #[test]
    fn dihedral_keys_in_reference_order() {
        let json = serde_json::to_string(&DihedralHashes::EMPTY).unwrap();
        let keys: Vec<&str> = Dihedral::ALL.iter().map(|d| d.name()).collect();
        let mut at = 0;
        for key in keys {
            let found = json[at..].find(&format!("\"{key}\"")).expect(key);
            at += found;
        }
    }

    #[test]
    fn bad_hash_text_is_an_error() {
        assert!(serde_json::from_str::<Hash256>("\"xyz\"").is_err());
    }
}
