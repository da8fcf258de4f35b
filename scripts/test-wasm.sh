#!/usr/bin/env bash
# The WebAssembly front end (wasm/): one release build of the package, its Node test (hashes
# equal the golden manifest and Meta's reference hashes, matching, errors) and the browser test
# of the upload-prevention demo in headless Chromium (playwright-core driving Debian's chromium).
# Installs what is missing: the wasm32 target and wasm-bindgen-cli (scripts/build-wasm.sh),
# Node.js and npm, Chromium, and playwright-core from wasm/package-lock.json.
# Under CI=true a tool that cannot be installed is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/apt-install.sh
. scripts/apt-install.sh


node_major() { node -e 'console.log(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install "the wasm package's Node and browser tests" nodejs npm || true
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
    apt_install "the browser test of the wasm demo" chromium || true
fi

scripts/build-wasm.sh

if [ "$(node_major)" -lt 18 ]; then
    missing "the wasm tests need Node.js 18 or later (node --test); found: $(node --version 2>&1)"
    exit 0
fi
echo "== wasm: Node test (golden manifest, reference hashes, matching, errors)"
node --test wasm/tests/node.test.mjs

echo "== wasm: upload-prevention demo in headless Chromium"
if [ ! -x "$chromium" ]; then
    missing "no Chromium at $chromium: the browser test of the wasm demo cannot run"
    exit 0
fi
if [ ! -d wasm/node_modules/playwright-core ] ||
    [ wasm/package-lock.json -nt wasm/node_modules/.package-lock.json ]; then
    npm ci --prefix wasm --no-audit --no-fund
fi
CHROMIUM="$chromium" node --test wasm/tests/browser.test.mjs
echo "vigil: screenshot of the demo: target/wasm/demo.png; WebGPU probe: target/wasm/webgpu.txt"
