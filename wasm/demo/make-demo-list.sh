#!/usr/bin/env bash
# Rebuilds wasm/demo/demo-list.bin, the list the browser demo bundles: the PDQ hashes of three
# golden inputs (golden/inputs/), hashed by the vigil CLI and written in its binary list format.
# The demo and its browser test block these three images (and rotated copies) and let others pass.
set -euo pipefail
cd "$(dirname "$0")/../.."
listed=(photo-320x240-rgb8 text-300x420-rgb8 lines-200x150-rgb8)
csv=$(mktemp --suffix=.csv)
trap 'rm -f "$csv"' EXIT
{
    echo "id,hash,quality"
    for name in "${listed[@]}"; do
        cargo run -q --locked -p vigil-cli -- hash "golden/inputs/$name.png" |
            awk -F, -v id="listed-$name" '{ print id "," $1 "," $2 }'
    done
} > "$csv"
cargo run -q --locked -p vigil-cli -- list convert "$csv" wasm/demo/demo-list.bin
cargo run -q --locked -p vigil-cli -- list info wasm/demo/demo-list.bin
