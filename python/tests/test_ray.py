"""The Ray Data example on a local cluster (ray.init(num_cpus=2)) over a small folder: the same
hashes as vigil.hash_files on the same files."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import vigil
from conftest import REPO, need


def test_ray_stage_hashes_a_folder(tmp_path):
    try:
        import ray
    except ImportError:
        need(False, "ray is not installed")
    from PIL import Image

    rng = np.random.default_rng(5)
    for i in range(6):
        pixels = np.kron(rng.integers(0, 256, (12, 12, 3)), np.ones((10, 10, 1))).astype(np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"{i}.png")
    spec = importlib.util.spec_from_file_location(
        "ray_hash_folder", REPO / "python" / "examples" / "ray_hash_folder.py"
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        rows = example.hash_folder(str(tmp_path), concurrency=1)
    finally:
        ray.shutdown()
    expected = {Path(r.path).name: (r.hash.hex, r.quality)
                for r in vigil.hash_files([tmp_path], backend="cpu")}
    assert len(rows) == 6
    assert {Path(p).name: (h, q) for p, h, q in rows} == expected
