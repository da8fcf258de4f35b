//! Opening the GPU for tests: a test that finds no adapter skips with a message, except under
//! `CI=true`, where CI installs Mesa's lavapipe and a missing adapter is a failure.

use vigil::gpu::GpuHasher;

/// The GPU hasher, or `None` after printing why the test skips.
pub fn gpu_or_skip(test: &str) -> Option<GpuHasher> {
    match GpuHasher::new() {
        Ok(gpu) => {
            println!("[{}] {test}", gpu.adapter());
            Some(gpu)
        }
        Err(error) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{test}: no GPU adapter under CI=true ({error}); CI must install mesa-vulkan-drivers"
            );
            eprintln!("{test}: skipped: no GPU adapter ({error})");
            None
        }
    }
}
