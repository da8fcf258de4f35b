#!/usr/bin/env python3
"""FAISS's binary indexes on the workload of vigil's matcher bench, for a side-by-side table.

    pip install faiss-cpu numpy
    python3 benches/faiss_matcher.py                  # 1M and 10M random hashes
    python3 benches/faiss_matcher.py 1000000          # sizes to run (comma-separated)
    VIGIL_BENCH_QUICK=1 python3 benches/faiss_matcher.py

The same shape of data and queries as `benches/examples/matcher_scale.rs`: uniformly random
256-bit hashes, random queries, radius 31. FAISS's `range_search` is exclusive (distance <
radius), so PDQ's inclusive radius 31 is asked as 32. Timed, best of several runs:

* IndexBinaryFlat: one query, and a batch of 256 queries, one thread and all threads
  (FAISS blocks batched queries itself).
* IndexBinaryMultiHash(256, nhash=16, b=16) with nflip=1: sixteen 16-bit substrings, each
  probed at its value and every value one bit away, which by the pigeonhole principle is exact
  at radius 31, the same scheme as vigil's MihIndex.

Figures are in the same units as the Rust example: ms per query and 10^9 comparisons per second
(queries x entries / time; for the multi-hash index, the flat scan's comparisons it stands in
for).
"""

import os
import sys
import time

import faiss
import numpy as np

BATCH = 256
RADIUS = 31  # inclusive, PDQ practice
QUICK = os.environ.get("VIGIL_BENCH_QUICK", "") not in ("", "0")


def best_of(min_runs, budget_s, f):
    start = time.perf_counter()
    best = float("inf")
    runs = 0
    while runs < min_runs or time.perf_counter() - start < budget_s:
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
        runs += 1
    return best


def measure(label, index, queries, n, min_one_runs, budget, all_threads):
    """Prints one query and batch times of `index` at one thread and all threads."""
    for threads in sorted({1, all_threads}):
        faiss.omp_set_num_threads(threads)
        state = {"next": 0}

        def one():
            i = state["next"] = (state["next"] + 1) % len(queries)
            index.range_search(queries[i : i + 1], RADIUS + 1)

        one_s = best_of(min_one_runs, budget, one)
        batch_s = best_of(1, budget, lambda: index.range_search(queries, RADIUS + 1))
        per_query = batch_s / len(queries)
        print(
            f"{label:<16} {threads:>7}  {one_s * 1e3:>13.3f}  {n / one_s / 1e9:>6.2f} |"
            f" {per_query * 1e3:>18.4f}  {n / per_query / 1e9:>6.2f}"
        )


def main():
    if len(sys.argv) > 1:
        sizes = [int(s) for s in sys.argv[1].split(",")]
    else:
        sizes = [100_000] if QUICK else [1_000_000, 10_000_000]
    budget = 0.05 if QUICK else 1.5
    all_threads = os.cpu_count() or 1
    rng = np.random.default_rng(1)
    queries = rng.integers(0, 256, size=(BATCH, 32), dtype=np.uint8)
    print(f"faiss {faiss.__version__}, {all_threads} threads available")
    for n in sizes:
        hashes = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
        flat = faiss.IndexBinaryFlat(256)
        flat.add(hashes)
        print(f"\n{n} hashes ({n * 32 // 1_000_000} MB)")
        print(f"index            threads  one query: ms  Gcmp/s | batch {BATCH}: ms/query  Gcmp/s")
        measure("faiss-flat", flat, queries, n, 3, budget, all_threads)

        build = time.perf_counter()
        mih = faiss.IndexBinaryMultiHash(256, 16, 16)
        mih.nflip = 1
        mih.add(hashes)
        build = time.perf_counter() - build
        # Exactness check against the flat index on a few queries near list entries.
        near = hashes[:8].copy()
        near[:, :3] ^= 0x5A  # 12 bits away
        lims_f, _, ids_f = flat.range_search(near, RADIUS + 1)
        lims_m, _, ids_m = mih.range_search(near, RADIUS + 1)
        for q in range(len(near)):
            f = set(ids_f[lims_f[q] : lims_f[q + 1]].tolist())
            m = set(ids_m[lims_m[q] : lims_m[q + 1]].tolist())
            assert f == m, f"IndexBinaryMultiHash differs from flat on query {q}"
        measure("faiss-multihash", mih, queries, n, 20, budget, all_threads)
        print(f"(IndexBinaryMultiHash built in {build:.2f} s)")


if __name__ == "__main__":
    main()
