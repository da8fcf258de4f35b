//! `include/vigil.h` is what cbindgen makes of the crate now: a stale header fails this test,
//! which says how to regenerate it.

use std::path::PathBuf;

#[test]
fn header_is_current() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not read the crate")
        .write(&mut generated);
    let generated = String::from_utf8(generated).unwrap();
    let path = crate_dir.join("include/vigil.h");
    if std::env::var_os("VIGIL_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "{} is stale (the C ABI changed); regenerate it with\n    \
         VIGIL_BLESS=1 cargo test -p vigil-capi --test header\nand commit it",
        path.display()
    );
}
