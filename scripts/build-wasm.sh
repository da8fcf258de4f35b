#!/usr/bin/env bash
# Builds the WebAssembly package (wasm/, crate vigil-wasm) once, in release, and makes its JS glue
# with wasm-bindgen-cli: the `web` target into wasm/demo/pkg/ (the demo page) and the `nodejs`
# target into target/wasm/nodejs/ (the Node test). Installs, when missing, the wasm32 Rust target
# and wasm-bindgen-cli (into target/tools/, at the version of the wasm-bindgen crate in
# Cargo.lock: the two must be equal). Used by scripts/test-wasm.sh and scripts/demo-wasm.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "vigil: installing the Rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
fi
version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
bindgen=target/tools/bin/wasm-bindgen
if [ ! -x "$bindgen" ] || [ "$("$bindgen" --version)" != "wasm-bindgen $version" ]; then
    echo "vigil: installing wasm-bindgen-cli $version into target/tools (a few minutes, once)"
    # --locked first; its lockfile can pin a crate version the registry no longer serves (seen
    # with webpki-roots 1.0.11 on 2026-12-02), then the newest compatible versions are used.
    cargo install wasm-bindgen-cli --version "$version" --locked --root target/tools ||
        cargo install wasm-bindgen-cli --version "$version" --root target/tools
fi

echo "== wasm: cargo build -p vigil-wasm --target wasm32-unknown-unknown --release"
cargo build -p vigil-wasm --target wasm32-unknown-unknown --release --locked
module=target/wasm32-unknown-unknown/release/vigil_wasm.wasm
"$bindgen" --target web --out-dir wasm/demo/pkg "$module"
"$bindgen" --target nodejs --out-dir target/wasm/nodejs "$module"
echo "vigil: wasm package: wasm/demo/pkg (web), target/wasm/nodejs (Node);" \
    "$(wc -c < wasm/demo/pkg/vigil_wasm_bg.wasm) bytes of wasm"
