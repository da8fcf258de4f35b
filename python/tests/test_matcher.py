"""vigil.Matcher: lists in every format vigil reads, hashes added with ids, thresholds per list
(inclusive at the edge), batches, dihedral queries and low-quality queries."""

import random

import numpy as np
import pytest

import vigil

A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def flip(hex_, bits, seed=0):
    """``hex_`` with ``bits`` distinct bits flipped."""
    value = int(hex_, 16)
    for k in random.Random(seed).sample(range(256), bits):
        value ^= 1 << k
    return f"{value:064x}"


def test_every_list_format_loads(tmp_path):
    near = flip(A, 3)
    files = {
        "hex.txt": f"{A}\n",
        "hq.txt": f"{A},100,bridge\n",
        "list.csv": f"id,hash,quality\nbridge,{A},100\n",
        "video.vpdq": f"0,100,{A},0.000\n",
        "vigil.jsonl": f'{{"path":"bridge","hash":"{A}","quality":100}}\n',
    }
    matcher = vigil.Matcher()
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        number = matcher.load(tmp_path / name, threshold=31)
        assert matcher.threshold(number) == 31
    number = matcher.load_bytes("bytes.txt", f"{A}\n".encode(), threshold=5)
    assert len(matcher) == len(files) + 1
    matches = matcher.query(near, quality=100)
    assert {m.list for m in matches} == set(range(len(files) + 1))
    assert all(m.distance == 3 and m.orientation == "original" for m in matches)
    ids = {m.list_name.rsplit("/", 1)[-1]: m.id for m in matches}
    assert ids["hex.txt"] == 1 and ids["hq.txt"] == "bridge" and ids["list.csv"] == "bridge"
    with pytest.raises(vigil.VigilError):
        matcher.load(tmp_path / "missing.txt")
    (tmp_path / "bad.txt").write_text("not a hash\n")
    with pytest.raises(vigil.VigilError, match="bad.txt"):
        matcher.load(tmp_path / "bad.txt")


def test_thresholds_are_inclusive_and_per_list():
    matcher = vigil.Matcher()
    hashes = [flip(A, d, seed=d) for d in (0, 30, 31, 32)]
    strict = matcher.add(hashes, ids=["d0", "d30", "d31", "d32"], threshold=31, name="strict")
    loose = matcher.add(hashes, ids=[0, 30, 31, 32], threshold=32, name="loose")
    found = matcher.query(A)
    by_list = {}
    for m in found:
        by_list.setdefault(m.list, []).append((m.id, m.distance))
    assert sorted(by_list[strict]) == [("d0", 0), ("d30", 30), ("d31", 31)]
    assert sorted(by_list[loose]) == [(0, 0), (30, 30), (31, 31), (32, 32)]
    assert [m.distance for m in found] == sorted(m.distance for m in found)


def test_batches_equal_single_queries():
    rng = random.Random(5)
    known = [f"{rng.getrandbits(256):064x}" for _ in range(2000)]
    matcher = vigil.Matcher(index="flat")
    matcher.add(known, ids=[f"k{i}" for i in range(len(known))], threshold=31)
    queries = [flip(known[i], i % 40, seed=i) for i in range(0, 2000, 20)]
    batch = matcher.query_batch(queries)
    for query, matches in zip(queries, batch):
        assert matches == matcher.query(query)
        expected = [(f"k{i}", vigil.Hash(k).distance(query)) for i, k in enumerate(known)
                    if vigil.Hash(k).distance(query) <= 31]
        assert sorted((m.id, m.distance) for m in matches) == sorted(expected)
    mih = vigil.Matcher(index="mih")
    mih.add(known, threshold=31)
    assert [[(m.entry, m.distance) for m in r] for r in mih.query_batch(queries)] == [
        [(m.entry, m.distance) for m in r] for r in batch
    ]


def test_dihedral_queries_find_rotated_copies():
    # 320×320: odd filter windows and decimation points symmetric under every flip, so each
    # orientation's hash is exactly the rotated image's.
    rng = np.random.default_rng(2)
    coarse = rng.integers(0, 256, size=(16, 16, 3))
    image = np.kron(coarse, np.ones((20, 20, 1))).astype(np.uint8)
    known, quality = vigil.hash_image(image)
    matcher = vigil.Matcher()
    matcher.add([known], ids=["original"], qualities=[quality])
    rotated = np.ascontiguousarray(np.rot90(image))
    assert matcher.query(vigil.hash_image(rotated)[0]) == []
    hashes, q = vigil.hash_image_dihedral(rotated)
    (match,) = matcher.query_dihedral(hashes, q)
    assert match.id == "original" and match.distance == 0
    assert match.orientation == "rotate270"


def test_low_quality_queries_and_degenerate_entries():
    matcher = vigil.Matcher()
    matcher.add([A, "0" * 64, "f" * 64], ids=["a", "zero", "one"], qualities=[100, 100, 100])
    (result,) = matcher.query_batch([A], qualities=[10])
    assert isinstance(result, vigil.LowQuality) and result.quality == 10
    assert matcher.query(A, quality=10) == []
    assert [m.id for m in matcher.query(A, quality=80)] == ["a"]
    assert matcher.query("0" * 64) == [] and matcher.query("f" * 64) == []
    low = vigil.Matcher(include_low_quality=True)
    low.add([A])
    assert [m.id for m in low.query(A, quality=10)] == [0]
    with pytest.raises(vigil.VigilError):
        matcher.add([A], qualities=[101])
    with pytest.raises(vigil.VigilError):
        vigil.Matcher(index="faiss")
