"""vigil.threatexchange against python-threatexchange's PdqSignal and PDQIndex (FAISS): the same
matches on a generated list with planted near-duplicates, the SignalTypeIndex contract HMA
relies on, and hashing with the reference's quality rule."""

import io
import pickle
import random

import pytest


from threatexchange.signal_type.index import SignalTypeIndex  # noqa: E402
from threatexchange.signal_type.pdq.pdq_index import PDQIndex  # noqa: E402
from threatexchange.signal_type.pdq.signal import PdqSignal  # noqa: E402
from threatexchange.extensions.manifest import ThreatExchangeExtensionManifest  # noqa: E402

import vigil  # noqa: E402
from vigil.threatexchange import (  # noqa: E402
    TX_MANIFEST,
    VigilPdqCliSignal,
    VigilPdqIndex,
    VigilPdqSignal,
)
from conftest import read_csv  # noqa: E402


def flip(hex_, bits, rng):
    value = int(hex_, 16)
    for k in rng.sample(range(256), bits):
        value ^= 1 << k
    return f"{value:064x}"


def planted(n=5000, seed=1):
    """A random list, and queries each with list entries planted at distances 0, 30, 31, 32."""
    rng = random.Random(seed)
    entries = [(f"{rng.getrandbits(256):064x}", {"id": i}) for i in range(n)]
    queries = []
    for q in range(20):
        query = f"{rng.getrandbits(256):064x}"
        for d in (0, 30, 31, 32):
            entries.append((flip(query, d, rng), {"id": f"q{q}-d{d}"}))
        queries.append(query)
    rng.shuffle(entries)
    return entries, queries


def key(matches):
    return sorted((m.similarity_info.distance, repr(m.metadata)) for m in matches)


def test_same_matches_as_pdq_index_and_pdq_signal():
    entries, queries = planted()
    ours = VigilPdqIndex.build(entries)
    theirs = PDQIndex.build(entries)
    assert len(ours) == len(theirs) == len(entries)
    for query in queries + [entries[0][0], entries[77][0]]:
        got = ours.query(query)
        assert key(got) == key(theirs.query(query))
        brute = [
            (PdqSignal.compare_hash(h, query).distance.distance, repr(meta))
            for h, meta in entries
            if PdqSignal.compare_hash(h, query).match
        ]
        assert key(got) == sorted(brute)
        if query in queries:
            assert sorted(m.similarity_info.distance for m in got) == [0, 30, 31]
        assert all(isinstance(m.similarity_info.distance, int) for m in got)
    assert [key(r) for r in ours.query_batch(queries)] == [key(ours.query(q)) for q in queries]


def test_large_index_uses_multi_index_hashing_with_the_same_matches():
    entries, queries = planted(n=70_000, seed=2)
    ours = VigilPdqIndex.build(entries)
    theirs = PDQIndex.build(entries)
    for query in queries:
        assert key(ours.query(query)) == key(theirs.query(query))


def test_empty_and_one_hash_indexes():
    empty = VigilPdqIndex.build([])
    assert len(empty) == 0 and empty.query("ab" * 32) == []
    with pytest.raises(vigil.VigilError):
        empty.query("nonsense")
    one = VigilPdqIndex.build([("ab" * 32, "only")])
    assert [(m.similarity_info.distance, m.metadata) for m in one.query("ab" * 32)] == [(0, "only")]
    assert one.query(f"{int('ab' * 32, 16) ^ ((1 << 32) - 1):064x}") == []


def test_add_after_query_and_duplicates():
    index = VigilPdqIndex.build([("ab" * 32, 1)])
    assert len(index.query("ab" * 32)) == 1
    index.add("ab" * 32, 2)
    index.add_all([("cd" * 32, 3), ("ab" * 32, 4)])
    assert sorted(m.metadata for m in index.query("ab" * 32)) == [1, 2, 4]
    assert [m.metadata for m in index.query("cd" * 32)] == [3]
    # Entries from a generator; an entry that is not a pair is refused, as unpacking would.
    index.add_all((h, i) for h, i in [("ef" * 32, 5)])
    assert [m.metadata for m in index.query("ef" * 32)] == [5]
    with pytest.raises(ValueError, match="pair"):
        index.add_all([("ab" * 32, 6, "extra")])
    assert len(index) == 5


def test_pickle_round_trip_through_the_base_class():
    entries, queries = planted(n=500, seed=3)
    index = VigilPdqIndex.build(entries)
    before = [key(index.query(q)) for q in queries]
    buffer = io.BytesIO()
    index.serialize(buffer)
    buffer.seek(0)
    loaded = SignalTypeIndex.deserialize(buffer)
    assert isinstance(loaded, VigilPdqIndex) and len(loaded) == len(index)
    assert [key(loaded.query(q)) for q in queries] == before
    # Pickled before ever being queried, and after dispose.
    fresh = pickle.loads(pickle.dumps(VigilPdqIndex.build(entries)))
    assert [key(fresh.query(q)) for q in queries] == before
    index.dispose()
    assert [key(index.query(q)) for q in queries] == before


def test_dihedral_query_option():
    import numpy as np

    rng = np.random.default_rng(4)
    image = np.kron(rng.integers(0, 256, size=(16, 16, 3)), np.ones((20, 20, 1))).astype(np.uint8)
    known = vigil.hash_image(image)[0].hex
    index = VigilPdqIndex.build([(known, "image")])
    hashes, _ = vigil.hash_image_dihedral(np.ascontiguousarray(image[:, ::-1]))
    assert index.query(hashes[0].hex) == []
    (match,) = index.query_dihedral([h.hex for h in hashes])
    assert match.metadata == "image" and match.similarity_info.distance == 0


def test_signal_type_hashes_with_the_reference_quality_rule(reference):
    assert VigilPdqSignal.get_name() == "pdq" and VigilPdqSignal.get_index_cls() is VigilPdqIndex
    assert issubclass(VigilPdqSignal, PdqSignal)
    rows = read_csv(reference / "pdq" / "expected-pdqhash.csv")
    for expected, quality, path in rows[:12]:
        data = (reference / "pdq" / path).read_bytes()
        ours = VigilPdqSignal.hash_from_bytes(data)
        theirs = PdqSignal.hash_from_bytes(data)
        if "turbojpeg" in vigil.features() or not path.endswith(".jpg"):
            assert ours == theirs, path
        assert ours == (expected if int(quality) >= 50 else "")
    # A featureless image: quality under 50, no hash (as PdqSignal).
    flat = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (64, 64), (10, 20, 30)).save(flat, format="PNG")
    assert VigilPdqSignal.hash_from_bytes(flat.getvalue()) == PdqSignal.hash_from_bytes(flat.getvalue()) == ""
    assert VigilPdqSignal.hash_from_bytes(b"not an image") == ""


def test_tx_manifest_loads_in_the_threatexchange_cli():
    manifest = ThreatExchangeExtensionManifest.load_from_module_name("vigil.threatexchange")
    assert manifest is TX_MANIFEST and manifest.signal_types == (VigilPdqCliSignal,)
    from threatexchange import interface_validation
    from threatexchange.content_type.photo import PhotoContent

    mapping = interface_validation.SignalTypeMapping([PhotoContent], [PdqSignal, VigilPdqCliSignal])
    assert mapping.signal_type_by_name["vigil_pdq"] is VigilPdqCliSignal
