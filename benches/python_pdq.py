#!/usr/bin/env python3
"""vigil's Python package against the references Python users run today, both in one run:

* ``compute``: ``vigil.pdq.compute`` against ``pdqhash.compute`` on the same arrays (1920x1080
  RGB, 512x512 grey given to pdqhash as H×W×3), one core (vigil's hashing of one image is
  single-threaded; pdqhash is too), with their hashes compared.
* ``files``: ``vigil.hash_files`` against Pillow + ``pdqhash`` on the same 1920x1080 JPEG (q90)
  and PNG files, one core and all (``vigil.hash_files(threads=N)``; the reference in a
  ``multiprocessing.Pool`` of N processes started before the clock), with hash distances.
* ``index``: ``vigil.threatexchange.VigilPdqIndex`` against python-threatexchange's ``PDQIndex``
  (FAISS ``IndexBinaryMultiHash``) at ``--index-size`` random hashes: build seconds, resident
  memory added, uploads/s where an upload is 8 dihedral queries (one ``query`` each, as HMA
  does, and vigil's ``query_dihedral``), and whether the matches are the same.

    scripts/test-python.sh    # builds and installs the wheel into target/python-venv
    target/python-venv/bin/python benches/python_pdq.py [--quick] [--index-size 1000000]

``--quick`` (the test command's smoke run) shrinks every part.
"""

import argparse
import gc
import io
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time

import numpy as np
import pdqhash
from PIL import Image

import vigil
import vigil.pdq


def best(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def photo(rng, height, width):
    coarse = rng.integers(0, 256, size=(height // 40 + 1, width // 40 + 1, 3))
    big = np.kron(coarse, np.ones((40, 40, 1)))[:height, :width]
    noise = rng.integers(-25, 26, size=big.shape)
    return np.clip(big + noise, 0, 255).astype(np.uint8)


def bench_compute(args):
    rng = np.random.default_rng(0)
    cases = {
        "1920x1080 RGB": photo(rng, 1080, 1920),
        "512x512 grey": np.repeat(photo(rng, 512, 512)[:, :, :1], 3, axis=2),
    }
    for name, image in cases.items():
        runs = 3 if args.quick else 20
        theirs = best(lambda: pdqhash.compute(image), runs)
        ours = best(lambda: vigil.pdq.compute(image), runs * 5)
        grey = image[:, :, 0].copy() if "grey" in name else None
        ours_grey = best(lambda: vigil.hash_image(grey), runs * 5) if grey is not None else None
        a, qa = vigil.pdq.compute(image)
        b, qb = pdqhash.compute(image)
        same = np.array_equal(a, b) and qa == qb
        extra = f", H×W array {ours_grey * 1e3:.3f} ms" if ours_grey else ""
        print(f"compute {name}: vigil.pdq {ours * 1e3:.3f} ms{extra}, pdqhash {theirs * 1e3:.2f} ms: "
              f"{theirs / ours:.1f}x; same hash: {same}")


def _reference_hash(path):
    with Image.open(path) as image:
        vector, quality = pdqhash.compute(np.asarray(image.convert("RGB")))
    return vigil.pdq.vector_to_hex(vector)


def bench_files(args):
    rng = np.random.default_rng(1)
    count = 4 if args.quick else 24
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        for fmt, ext, options in (("JPEG", "jpg", {"quality": 90}), ("PNG", "png", {})):
            paths = []
            for i in range(count):
                path = os.path.join(folder, f"{i}.{ext}")
                Image.fromarray(photo(rng, 1080, 1920)).save(path, format=fmt, **options)
                paths.append(path)
            for threads in sorted({1, cores}):
                runs = 1 if args.quick else 3
                ours = best(lambda: vigil.hash_files(paths, "cpu", threads=threads), runs)
                if threads == 1:
                    theirs = best(lambda: [_reference_hash(p) for p in paths], runs)
                else:
                    with multiprocessing.Pool(threads) as pool:
                        pool.map(_reference_hash, paths[:threads])
                        theirs = best(lambda: pool.map(_reference_hash, paths), runs)
                results = vigil.hash_files(paths, "cpu", threads=threads)
                distances = [r.hash.distance(_reference_hash(p)) for r, p in zip(results, paths)]
                print(f"files {fmt} 1920x1080, {threads} core(s): vigil.hash_files "
                      f"{ours / count * 1e3:.1f} ms a file, Pillow + pdqhash {theirs / count * 1e3:.1f} ms: "
                      f"{theirs / ours:.2f}x; max distance {max(distances)}")


def rss_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def bench_index(args):
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex
    from vigil.threatexchange import VigilPdqIndex

    size = 20_000 if args.quick else args.index_size
    rng = random.Random(2)
    entries = [(f"{rng.getrandbits(256):064x}", i) for i in range(size)]
    # Uploads: random images' 8 dihedral hashes, with a near-duplicate of one planted per upload.
    np_rng = np.random.default_rng(3)
    uploads = []
    for u in range(8 if args.quick else 40):
        hashes, _ = vigil.hash_image_dihedral(photo(np_rng, 256, 256))
        hexes = [h.hex for h in hashes]
        value = int(hexes[u % 8], 16)
        for k in rng.sample(range(256), u % 32):
            value ^= 1 << k
        entries.append((f"{value:064x}", f"planted{u}"))
        uploads.append(hexes)
    results = {}
    for name, cls in (("vigil", VigilPdqIndex), ("PDQIndex", PDQIndex)):
        gc.collect()
        before = rss_mib()
        start = time.perf_counter()
        index = cls.build(entries)
        if name == "vigil":
            index.query(uploads[0][0])  # vigil indexes lazily: the first query builds
        build = time.perf_counter() - start
        memory = rss_mib() - before
        start = time.perf_counter()
        found = [sorted((m.similarity_info.distance, str(m.metadata)) for h in up for m in index.query(h))
                 for up in uploads]
        per_upload = (time.perf_counter() - start) / len(uploads)
        line = (f"index {name} at {size} hashes: build {build:.2f} s, +{memory:.0f} MiB resident, "
                f"{1 / per_upload:.1f} uploads/s (8 queries each)")
        if name == "vigil":
            start = time.perf_counter()
            for up in uploads:
                index.query_dihedral(up)
            line += f", query_dihedral {len(uploads) / (time.perf_counter() - start):.1f} uploads/s"
        print(line)
        results[name] = (build, per_upload, found)
        index.dispose()
        del index
    (vb, vq, vf), (rb, rq, rf) = results["vigil"], results["PDQIndex"]
    print(f"index: build {rb / vb:.1f}x faster, {rq / vq:.1f}x more uploads/s; same matches: {vf == rf}")
    if vf != rf:
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke-sized runs")
    parser.add_argument("--index-size", type=int, default=1_000_000)
    parser.add_argument("--parts", default="compute,files,index")
    args = parser.parse_args()
    print(f"vigil {vigil.features()}, {os.cpu_count()} cores")
    for part in args.parts.split(","):
        {"compute": bench_compute, "files": bench_files, "index": bench_index}[part](args)


if __name__ == "__main__":
    main()
