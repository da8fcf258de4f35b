#!/usr/bin/env bash
# A C compiler for `cargo check` of the phone targets (scripts/test-capi.sh) on a machine with
# neither Xcode nor the Android NDK: `cargo check` runs build scripts, and blake3's compiles its
# NEON C file for the target. The aarch64 GNU compiler compiles it (the object is only checked,
# never linked into anything), with the Apple-only flags cc-rs adds for iOS dropped. Real phone
# builds use Xcode's or the NDK's clang.
args=()
skip=false
for arg in "$@"; do
    if $skip; then
        skip=false
        continue
    fi
    case $arg in
        -arch | -isysroot) skip=true ;;
        -m*-version-min=* | -mtargetos=*) ;;
        *) args+=("$arg") ;;
    esac
done
exec aarch64-linux-gnu-gcc "${args[@]}"
