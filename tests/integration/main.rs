//! Integration tests: one binary, one module per subject.

mod concurrency;
mod golden;
mod gpu;
mod reference;
mod robust;
mod video;
