#!/usr/bin/env python3
"""Times the reference PDQ (the `pdqhash` PyPI package: Meta's C++ PDQ behind Cython) on one core,
on the same synthetic pixels as vigil's criterion benches, and checks vigil's hashes against it.

    python3 -m venv /tmp/pdqvenv && /tmp/pdqvenv/bin/pip install pdqhash numpy
    /tmp/pdqvenv/bin/python benches/reference_pdqhash.py            # timings + hash check
    /tmp/pdqvenv/bin/python benches/reference_pdqhash.py --runs 50 --no-vigil

The frames come from a numpy mirror of `vigil::synthetic::synthetic_frame` (integer
arithmetic only, so the bytes are identical); the check confirms that by handing frame bytes to
the `hash_raw` example, which compares them with its own generator before hashing.

`pdqhash.compute` takes an H x W x 3 uint8 RGB array (it computes float luma with numpy, then runs
the C++ `pdqHash256FromFloatLuma`). The 512x512 grey case is therefore passed as three equal
channels (R = G = B = grey), while vigil is handed the 1-byte-a-pixel Luma8 frame. The timings
include that numpy luma conversion: it is part of what the package costs per frame.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# One core, one thread: set before numpy loads its BLAS (pdqhash itself is single-threaded).
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import pdqhash  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Same cases and frame count as benches/benches/hash_cpu.rs.
CASES = [
    (1920, 1080, "rgb8"),
    (1280, 720, "rgb8"),
    (640, 360, "rgb8"),
    (512, 512, "luma8"),
]
DISTINCT = 8

U32 = np.uint32


def synthetic_rgb(w, h, index):
    """H x W x 3 uint8: mirror of `synthetic_rgb` in engine/src/synthetic.rs."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    gx = x * 255 // max(w - 1, 1)
    gy = y * 255 // max(h - 1, 1)
    period = (w + h) // (3 + index % 4) + 1
    t = (x + 2 * y + 17 * index) % period
    tri = np.abs(2 * t - period) * 255 // period
    cx = w * (1 + (index * 7) % 5) // 7
    cy = h * (1 + (index * 3) % 5) // 7
    r2 = (w * w + h * h) // 16 + 1
    d2 = (x - cx) ** 2 + (y - cy) ** 2
    blob = np.maximum(r2 - d2, 0) * 255 // r2
    base = [
        (3 * gx + gy + 2 * tri + 2 * blob) // 8,
        (gx + 3 * gy + tri + 3 * blob) // 8,
        (2 * (255 - gx) + gy + 3 * tri + 2 * blob) // 8,
    ]
    seed = U32(((index * 0x9E3779B9) & 0xFFFFFFFF) ^ 0x12345678)
    pixel = (y * w + x).astype(U32)
    out = np.empty((h, w, 3), dtype=np.uint8)
    with np.errstate(over="ignore"):
        for c in range(3):
            s = ((pixel * U32(3) + U32(c)) ^ seed) * U32(0x9E3779B1)
            s ^= s << U32(13)
            s ^= s >> U32(17)
            s ^= s << U32(5)
            noise = (s >> U32(27)).astype(np.int64) - 16
            out[:, :, c] = np.clip(base[c] + noise, 0, 255)
    return out


def grey(rgb):
    """H x W uint8: mirror of `grey` in engine/src/synthetic.rs."""
    r, g, b = (rgb[:, :, c].astype(np.uint32) for c in range(3))
    return ((77 * r + 150 * g + 29 * b + 128) >> 8).astype(np.uint8)


def synthetic_frame(w, h, fmt, index):
    """(bytes as vigil gets them, H x W x 3 array as pdqhash gets it)."""
    rgb = synthetic_rgb(w, h, index)
    if fmt == "rgb8":
        return rgb.tobytes(), rgb
    if fmt == "luma8":
        g = grey(rgb)
        return g.tobytes(), np.ascontiguousarray(np.repeat(g[:, :, None], 3, axis=2))
    raise ValueError(fmt)


def numpy_luma(image):
    """The float luma step `pdqhash.compute` runs in numpy before the C++ (bindings.pyx)."""
    return (image[:, :, 0] * 0.299 + image[:, :, 1] * 0.587 + image[:, :, 2] * 0.114).astype(
        "float32"
    )


def reference_hash(arr):
    bits, quality = pdqhash.compute(arr)
    # compute() returns bit 255 first, i.e. the hex order: most significant bit first.
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex(), int(quality)


def build_hash_raw():
    cmd = [
        "cargo", "build", "--release", "-q", "-p", "vigil-benches",
        "--example", "hash_raw", "--message-format=json",
    ]
    out = subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "hash_raw":
            if msg.get("executable"):
                return msg["executable"]
    sys.exit("could not find the hash_raw example's executable")


def vigil_hash(exe, path, w, h, fmt, index):
    res = subprocess.run(
        [exe, path, str(w), str(h), fmt, str(index)], capture_output=True, text=True
    )
    if res.returncode != 0:
        sys.exit(f"hash_raw failed ({res.returncode}): {res.stderr.strip()}")
    hex_hash, quality = res.stdout.split()
    return hex_hash, int(quality)


def distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="timed calls per case (default 30)")
    ap.add_argument("--no-vigil", action="store_true", help="skip the vigil hash check")
    ap.add_argument("--cpu", type=int, default=None, help="pin to this CPU (default: first allowed)")
    args = ap.parse_args()

    if hasattr(os, "sched_setaffinity"):
        cpu = args.cpu if args.cpu is not None else min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        print(f"pinned to CPU {cpu}")
    print(f"pdqhash {pdqhash.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}")
    exe = None if args.no_vigil else build_hash_raw()

    print()
    print(f"{'case':<16} {'median ms':>10} {'min ms':>8} {'frames/s':>9} {'luma ms':>8}"
          f"  (1 core, {args.runs} runs; luma ms: median of the numpy luma step alone)")
    checks = []
    for w, h, fmt in CASES:
        name = f"{fmt}_{w}x{h}"
        frames = [synthetic_frame(w, h, fmt, i) for i in range(DISTINCT)]
        for _, arr in frames:  # warm-up: page in the buffers, load the code
            pdqhash.compute(arr)
        times = []
        for run in range(args.runs):
            arr = frames[run % DISTINCT][1]
            t0 = time.perf_counter()
            pdqhash.compute(arr)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        luma = []
        for run in range(args.runs):
            arr = frames[run % DISTINCT][1]
            t0 = time.perf_counter()
            numpy_luma(arr)
            luma.append(time.perf_counter() - t0)
        print(f"{name:<16} {med * 1e3:>10.3f} {min(times) * 1e3:>8.3f} {1 / med:>9.1f}"
              f" {statistics.median(luma) * 1e3:>8.3f}")
        checks.append((name, w, h, fmt, frames))

    if exe is None:
        return
    print()
    print("hashes of frame 0 (reference, then vigil), and vigil-vs-reference distance over "
          f"frames 0..{DISTINCT - 1}:")
    worst = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, w, h, fmt, frames in checks:
            dists = []
            for i, (raw, arr) in enumerate(frames):
                path = os.path.join(tmp, f"{name}_{i}.raw")
                with open(path, "wb") as f:
                    f.write(raw)
                ref, ref_q = reference_hash(arr)
                vig, vig_q = vigil_hash(exe, path, w, h, fmt, i)
                dists.append(distance(ref, vig))
                if i == 0:
                    print(f"{name}")
                    print(f"  reference {ref} q={ref_q}")
                    print(f"  vigil     {vig} q={vig_q}")
                if ref_q != vig_q:
                    print(f"  frame {i}: quality differs: reference {ref_q}, vigil {vig_q}")
            worst = max(worst, max(dists))
            print(f"  distances: {dists}")
    print(f"max distance: {worst} bits (pixels identical: hash_raw checked every frame's bytes)")


if __name__ == "__main__":
    main()
