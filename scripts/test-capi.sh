#!/usr/bin/env bash
# The C ABI (capi/, libvigil): its Rust tests (the wrappers, and include/vigil.h up to date with
# cbindgen's output) run in scripts/test's `cargo test --workspace`; this script adds
# - the C test (capi/tests/c/test_vigil.c) compiled with cc against the debug libvigil.so and
#   run (x86_64, with the `gpu` feature: the GPU batch path runs on lavapipe where there is no GPU);
# - the same test cross-compiled with aarch64-linux-gnu-gcc against a CPU-only aarch64
#   libvigil.a and run under qemu-user;
# - `cargo check` of the crate for the phone targets (Android and iOS device and simulator).
# Under CI=true a missing tool or target is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/apt-install.sh
. scripts/apt-install.sh


out=target/capi-c
mkdir -p "$out"
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -O1 -I capi/include)

# The dev profile, whose settings are the test profile's: the dependencies `cargo test --workspace`
# built are reused.
echo "== capi: the C test against libvigil.so (x86_64)"
cargo build --locked -p vigil-capi
cc "${cflags[@]}" capi/tests/c/test_vigil.c -o "$out/test_vigil" -L target/debug -lvigil \
    -Wl,-rpath,"$PWD/target/debug"
"$out/test_vigil" golden

echo "== capi: the C test against a CPU-only libvigil.a for aarch64, under qemu"
aarch64_ready=true
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
    rustup target add aarch64-unknown-linux-gnu || aarch64_ready=false
fi
if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || ! command -v qemu-aarch64 >/dev/null 2>&1; then
    apt_install "an aarch64 cross compiler and qemu-user" gcc-aarch64-linux-gnu \
        libc6-dev-arm64-cross qemu-user || aarch64_ready=false
fi
if $aarch64_ready; then
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
    cargo build --locked --target aarch64-unknown-linux-gnu -p vigil-capi \
        --no-default-features
    aarch64-linux-gnu-gcc "${cflags[@]}" capi/tests/c/test_vigil.c -o "$out/test_vigil-aarch64" \
        target/aarch64-unknown-linux-gnu/debug/libvigil.a -lpthread -ldl -lm
    qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/test_vigil-aarch64" golden
else
    missing "no aarch64 target, cross compiler or qemu-user: the aarch64 C test did not run"
fi

# Phones: the crate type-checks for them, CPU-only (as apps ship it, and as the <= 2 MB size
# budget is measured) and with the `gpu` feature (wgpu: Vulkan on Android, Metal on iOS).
# `cargo check` needs no SDK but runs build scripts: blake3's compiles a NEON C file, for which
# scripts/capi-phone-cc.sh stands in for the NDK's and Xcode's clang (and SDKROOT for xcrun).
echo "== capi: cargo check for Android and iOS"
installed() { rustup target list --installed 2>/dev/null | grep -qx "$1"; }
phone_cc="$PWD/scripts/capi-phone-cc.sh"
no_sdk="$PWD/target/capi-no-sdk"
mkdir -p "$no_sdk"
# check_phone TARGET [CARGO FLAGS...]: `cargo check` of the crate for TARGET, CPU-only and with gpu.
check_phone() {
    local target=$1 var=${1//-/_} features
    shift
    for features in --no-default-features ""; do
        # shellcheck disable=SC2086 # $features is one flag or none
        env "CC_$var=$phone_cc" "AR_$var=aarch64-linux-gnu-ar" SDKROOT="$no_sdk" \
            cargo check --locked --target "$target" -p vigil-capi $features "$@"
    done
}
for target in aarch64-linux-android aarch64-apple-ios; do
    installed "$target" || { rustup target add "$target" 2>&1 | head -n 4; } || true
    if installed "$target"; then
        check_phone "$target"
    else
        missing "the Rust target $target could not be installed: the crate was not checked for it"
    fi
done
# The iOS simulator: the Rust distribution this project's machines reach answers 404 for the
# prebuilt standard library of aarch64-apple-ios-sim, so where it cannot be installed, the standard
# library is type-checked from source (rust-src, through cargo's -Zbuild-std, which a stable
# toolchain allows under RUSTC_BOOTSTRAP=1) for that target alongside the crate.
sim=aarch64-apple-ios-sim
installed "$sim" || { rustup target add "$sim" 2>&1 | head -n 4; } || true
if installed "$sim"; then
    check_phone "$sim"
else
    rustup component list --installed 2>/dev/null | grep -q '^rust-src' ||
        rustup component add rust-src 2>&1 | tail -n 2 || true
    if rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
        RUSTC_BOOTSTRAP=1 check_phone "$sim" -Zbuild-std=std,panic_unwind
    else
        missing "neither the Rust target $sim nor rust-src could be installed: the crate was not checked for the iOS simulator"
    fi
fi
