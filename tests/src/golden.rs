//! The deterministic generator of golden inputs and the manifest format.
