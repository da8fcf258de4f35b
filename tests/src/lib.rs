//! Helpers shared by the integration tests and the golden-hash tool.

pub mod golden;
pub mod gpu;
pub mod reference;
