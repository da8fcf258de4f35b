//! Integration tests: one binary, one module per subject.

mod golden;
mod gpu;
mod reference;
mod video;
