//! Helpers the CLI's test files share: run the `vigil` binary and read what it printed.

use std::path::Path;
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;

/// Runs the `vigil` binary with `args` and waits for it.
pub fn vigil(args: &[&str]) -> Output {
    cargo_bin_cmd!("vigil")
        .args(args)
        .output()
        .expect("run vigil")
}

/// Output bytes as text (vigil prints UTF-8).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// A temporary path as an argument.
pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}
