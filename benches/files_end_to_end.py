#!/usr/bin/env python3
"""End-to-end speed on files: `vigil hash` against Pillow + `pdqhash` on the same 1920x1080 photos,
both in one run, one core and all cores, with the two sides' hashes compared.

    python3 -m venv /tmp/venv-ref && /tmp/venv-ref/bin/pip install pdqhash pillow numpy
    cargo build --release -p vigil-cli
    /tmp/venv-ref/bin/python benches/files_end_to_end.py                 # JPEG q90, PNG, BMP
    /tmp/venv-ref/bin/python benches/files_end_to_end.py --runs 5 --formats jpeg

The photos: every image under ../shared/reference/pdq (Meta's PDQ test set) that Pillow opens,
at least 100 px on its short side, distinct by content; each is converted to RGB, resized to
1920x1080 (Lanczos, aspect not kept) and written by Pillow as JPEG (quality 90, Pillow's default
4:2:0 subsampling), PNG (Pillow's default zlib level 6) and BMP (24-bit) into a temporary folder.

Each side is timed on the whole folder, the two alternating, `--runs` times; the best run is kept
(files/s = files / seconds). vigil: the wall time of `vigil hash -jN --backend cpu DIR`, process
start included. The reference: `Image.open(p).convert("RGB")`, `numpy.asarray`, `pdqhash.compute`
for each file, in this process (one core), or in a `multiprocessing.Pool` of N processes started
before the clock starts (all cores). Hash distances: vigil's hash of each file against the
reference's of the same file.
"""

import argparse
import glob
import hashlib
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import pdqhash  # noqa: E402
import PIL  # noqa: E402
from PIL import Image  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = os.path.join(REPO, "..", "shared", "reference", "pdq")
SIZE = (1920, 1080)
FORMATS = {
    "jpeg": ("jpg", dict(format="JPEG", quality=90)),
    "png": ("png", dict(format="PNG")),
    "bmp": ("bmp", dict(format="BMP")),
}


def source_photos(root):
    seen, photos = set(), []
    for path in sorted(glob.glob(os.path.join(root, "**", "*"), recursive=True)):
        if not os.path.isfile(path):
            continue
        try:
            with Image.open(path) as im:
                if min(im.size) < 100:
                    continue
                im.load()
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).digest()
                if digest in seen:
                    continue
                seen.add(digest)
                photos.append((path, im.convert("RGB").resize(SIZE, Image.LANCZOS)))
        except Exception:
            continue
    return photos


def reference_hash(path):
    with Image.open(path) as im:
        arr = np.asarray(im.convert("RGB"))
    bits, quality = pdqhash.compute(arr)
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex(), int(quality)


def time_reference(files, pool):
    t0 = time.perf_counter()
    hashes = pool.map(reference_hash, files, chunksize=1) if pool else list(map(reference_hash, files))
    return time.perf_counter() - t0, hashes


def time_vigil(exe, folder, jobs):
    cmd = [exe, "hash", f"-j{jobs}", "--backend", "cpu", folder]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr.strip()}")
    hashes = {}
    for line in res.stdout.splitlines():
        hex_hash, quality, path = line.split(",", 2)
        hashes[os.path.realpath(path)] = (hex_hash, int(quality))
    return elapsed, hashes


def distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vigil", default=os.path.join(REPO, "target", "release", "vigil"))
    ap.add_argument("--runs", type=int, default=3, help="timed runs per side and case (best kept)")
    ap.add_argument("--formats", default="jpeg,png,bmp")
    ap.add_argument("--cores", default=None, help="comma-separated core counts (default: 1,all)")
    ap.add_argument("--keep", default=None, help="write the files here and keep them")
    args = ap.parse_args()

    all_cores = len(os.sched_getaffinity(0))
    cores = [int(c) for c in args.cores.split(",")] if args.cores else sorted({1, all_cores})
    photos = source_photos(SOURCES)
    if not photos:
        sys.exit(f"no source images under {SOURCES}")
    print(f"{len(photos)} source photos from {os.path.realpath(SOURCES)}, at {SIZE[0]}x{SIZE[1]}")
    print(f"Pillow {PIL.__version__}, pdqhash {pdqhash.__version__}, numpy {np.__version__}, "
          f"Python {sys.version.split()[0]}; {all_cores} cores; vigil: {args.vigil}")

    work = args.keep or tempfile.mkdtemp(prefix="vigil-e2e-")
    rows = []
    for fmt in args.formats.split(","):
        ext, save = FORMATS[fmt]
        folder = os.path.join(work, fmt)
        os.makedirs(folder, exist_ok=True)
        files = []
        for i, (_, im) in enumerate(photos):
            path = os.path.realpath(os.path.join(folder, f"photo{i:02}.{ext}"))
            im.save(path, **save)
            files.append(path)
        mb = sum(os.path.getsize(p) for p in files) / len(files) / 1e6
        for n in cores:
            pool = multiprocessing.Pool(n) if n > 1 else None
            if pool:
                pool.map(reference_hash, files[:n], chunksize=1)  # warm the workers
            else:
                reference_hash(files[0])
            ref_best = vig_best = float("inf")
            for _ in range(args.runs):
                ref_t, ref_hashes = time_reference(files, pool)
                vig_t, vig_hashes = time_vigil(args.vigil, folder, n)
                ref_best, vig_best = min(ref_best, ref_t), min(vig_best, vig_t)
            if pool:
                pool.close()
            dists = [distance(r[0], vig_hashes[p][0]) for p, r in zip(files, ref_hashes)]
            qdiff = max(abs(r[1] - vig_hashes[p][1]) for p, r in zip(files, ref_hashes))
            k = len(files)
            row = (fmt, mb, n, k / vig_best, vig_best / k * 1e3, k / ref_best, ref_best / k * 1e3,
                   ref_best / vig_best, sum(dists) / k, max(dists), qdiff)
            rows.append(row)
            print(f"{fmt} {n} core(s): vigil {row[3]:.1f} files/s ({row[4]:.2f} ms/file), "
                  f"reference {row[5]:.1f} files/s ({row[6]:.2f} ms/file), {row[7]:.2f}x; "
                  f"distance mean {row[8]:.2f} max {row[9]}, quality ±{row[10]}", flush=True)

    print()
    print(f"| format ({len(photos)} files, 1920×1080) | MB/file | cores | vigil files/s | vigil ms/file "
          "| Pillow + pdqhash files/s | ref ms/file | speed-up | bits from ref, mean / max |")
    print("|---|---|---|---|---|---|---|---|---|")
    for fmt, mb, n, vf, vms, rf, rms, x, dmean, dmax, q in rows:
        print(f"| {fmt} | {mb:.2f} | {n} | {vf:.1f} | {vms:.2f} | {rf:.1f} | {rms:.2f} | {x:.2f}× "
              f"| {dmean:.2f} / {dmax} |")
    if not args.keep:
        import shutil

        shutil.rmtree(work)


if __name__ == "__main__":
    main()
