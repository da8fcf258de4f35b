"""vigil for python-threatexchange and Meta's Hasher-Matcher-Actioner (HMA).

* :class:`VigilPdqSignal`: the signal type named ``"pdq"`` (so HMA's banks of PDQ hashes keep
  working), a :class:`~threatexchange.signal_type.pdq.signal.PdqSignal` whose hashing goes
  through vigil (the reference's quality rule: under 50, no hash) and whose index is
* :class:`VigilPdqIndex`: a ``SignalTypeIndex`` over vigil's matcher, with the contract HMA
  relies on: ``build([])``, ``build``/``add``/``add_all``/``query``, results as ``IndexMatch``
  with an integer distance, pickling (``serialize``/``deserialize`` through the base class) and
  ``dispose``; and :meth:`VigilPdqIndex.query_dihedral` to match all 8 orientations of an image.
* :data:`TX_MANIFEST`: an extension for the ``threatexchange`` CLI
  (``threatexchange config extensions add vigil.threatexchange``). The CLI always loads its own
  ``pdq``, and refuses a second signal type of the same name, so the extension's signal type is
  :class:`VigilPdqCliSignal`, named ``"vigil_pdq"`` (same hashes, vigil's index).

HMA (``OMM_CONFIG``)::

    from threatexchange.content_type.photo import PhotoContent
    from vigil.threatexchange import VigilPdqSignal
    STORAGE_IFACE_INSTANCE = DefaultOMMStore(
        signal_types=[VigilPdqSignal],           # instead of PdqSignal; still named "pdq"
        content_types=[PhotoContent],
        exchange_types=[...],
    )

>>> index = VigilPdqIndex.build([
...     ("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", "bridge"),
... ])
>>> [(m.similarity_info.distance, m.metadata) for m in
...  index.query("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")]
[(0, 'bridge')]
"""

from __future__ import annotations

import typing as t
from operator import itemgetter

from threatexchange.extensions.manifest import ThreatExchangeExtensionManifest
from threatexchange.signal_type.index import (
    IndexMatchUntyped,
    SignalSimilarityInfoWithIntDistance,
    SignalTypeIndex,
)
from threatexchange.signal_type.pdq.signal import PdqSignal

from vigil import _vigil

__all__ = ["TX_MANIFEST", "VigilPdqCliSignal", "VigilPdqIndex", "VigilPdqSignal"]

T = t.TypeVar("T")

#: PDQ's usual match threshold (inclusive), the one ``PDQIndex`` uses: vigil's default.
PDQ_MATCH_THRESHOLD = _vigil.DEFAULT_THRESHOLD

_LIST_NAME = "threatexchange-index"

#: From this many entries the index uses multi-index hashing (queries come one at a time).
MIH_MIN_ENTRIES = 1 << 16


class VigilPdqIndex(SignalTypeIndex[T]):
    """A PDQ index over vigil's matcher: exact radius search (inclusive, distance ≤ 31 by
    default), multi-index hashing for large indexes, a SIMD scan otherwise, the GIL released
    while searching. Returns the same matches as ``PDQIndex``, except that all-zero and all-one
    hashes (what featureless images hash to) are never matched.

    Entries added after a query are indexed at the next query, in one batch.

    >>> index = VigilPdqIndex.build([])
    >>> len(index), index.query("00" * 32)
    (0, [])
    """

    #: Matches are hashes at most this far from the query.
    threshold: int = PDQ_MATCH_THRESHOLD

    @classmethod
    def get_match_threshold(cls) -> int:
        """The distance up to which :meth:`query` reports (as ``PDQIndex``)."""
        return cls.threshold

    def __init__(self, entries: t.Iterable[t.Tuple[str, T]] = ()) -> None:
        super().__init__()
        self._hashes: t.List[str] = []
        self._entries: t.List[T] = []
        self._matcher: t.Optional[_vigil.Matcher] = None
        # Entries [0, _indexed) are in the matcher's lists; list i starts at _starts[i].
        self._indexed = 0
        self._starts: t.List[int] = []
        self.add_all(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, signal_str: str, entry: T) -> None:
        """Adds one hash (64 hex digits) with its metadata; duplicates keep every entry."""
        self.add_all(((signal_str, entry),))

    def add_all(self, entries: t.Iterable[t.Tuple[str, T]]) -> None:
        """Adds ``(hash, metadata)`` pairs."""
        if not isinstance(entries, (list, tuple)):
            entries = list(entries)
        # Split in C (map, itemgetter) rather than a Python loop: a tenth of a 10M build. Every
        # entry must be a pair, as unpacking would demand.
        if any(length != 2 for length in set(map(len, entries))):
            raise ValueError("each entry is a (hash, metadata) pair")
        self._hashes.extend(map(itemgetter(0), entries))
        self._entries.extend(map(itemgetter(1), entries))

    def _index(self) -> _vigil.Matcher:
        pending = len(self._hashes) - self._indexed
        if self._matcher is None or pending > self._indexed:
            # Built whole (at most twice the work of all the adds together): one list, indexed
            # by multi-index hashing once it is large enough that one query at a time beats a
            # SIMD scan with it.
            large = len(self._hashes) >= MIH_MIN_ENTRIES and self.get_match_threshold() <= PDQ_MATCH_THRESHOLD
            self._matcher = _vigil.Matcher("mih" if large else "flat", True)
            self._indexed = 0
            self._starts = []
        if self._indexed < len(self._hashes):
            self._matcher.add_hex(
                _LIST_NAME, self._hashes[self._indexed :], self.get_match_threshold()
            )
            self._starts.append(self._indexed)
            self._indexed = len(self._hashes)
        return self._matcher

    def _results(
        self, raw: t.Iterable[t.Tuple[int, int, int]]
    ) -> t.List[IndexMatchUntyped[SignalSimilarityInfoWithIntDistance, T]]:
        return [
            IndexMatchUntyped(
                SignalSimilarityInfoWithIntDistance(int(distance)),
                self._entries[self._starts[list_number] + entry],
            )
            for list_number, entry, distance in raw
        ]

    def query(self, query: str) -> t.List[IndexMatchUntyped[SignalSimilarityInfoWithIntDistance, T]]:
        """Every entry within the threshold of ``query`` (64 hex digits)."""
        if not self._hashes:
            _vigil.Hash(query)  # a malformed query is still an error
            return []
        (raw,) = self._index().query_hex([query])
        return self._results(raw)

    def query_batch(
        self, queries: t.Sequence[str]
    ) -> t.List[t.List[IndexMatchUntyped[SignalSimilarityInfoWithIntDistance, T]]]:
        """:meth:`query` for many hashes at once (faster per query)."""
        if not self._hashes:
            return [[] for _ in queries]
        return [self._results(raw) for raw in self._index().query_hex(list(queries))]

    def query_dihedral(
        self, hashes: t.Sequence[str]
    ) -> t.List[IndexMatchUntyped[SignalSimilarityInfoWithIntDistance, T]]:
        """Entries within the threshold of any of an image's 8 dihedral hashes (in the
        reference's order, as :func:`vigil.hash_image_dihedral` or ``pdqhash.compute_dihedral``
        give them): rotated and flipped copies match. Each entry once, at its nearest
        orientation's distance."""
        if len(hashes) != 8:
            raise _vigil.VigilError(f"a dihedral query is 8 hashes; got {len(hashes)}")
        if not self._hashes:
            return []
        ((raw, _),) = self._index().query([list(hashes)], [None])
        return self._results((m[0], m[1], m[2]) for m in raw)

    def __getstate__(self) -> t.Dict[str, t.Any]:
        # The native matcher is rebuilt on load: only the hashes and metadata are pickled.
        return {"hashes": self._hashes, "entries": self._entries}

    def __setstate__(self, state: t.Dict[str, t.Any]) -> None:
        self._hashes = state["hashes"]
        self._entries = state["entries"]
        self._matcher = None
        self._indexed = 0
        self._starts = []

    def dispose(self) -> None:
        """Frees the native index now (it is rebuilt if the index is queried again)."""
        self._matcher = None
        self._indexed = 0
        self._starts = []


def _hash_from_bytes(bytes_: bytes, quality_threshold: int) -> str:
    try:
        hashes, quality = _vigil.hash_encoded(bytes_)
    except _vigil.VigilError:
        return ""
    if quality < quality_threshold:
        return ""
    return hashes[0].hex


class VigilPdqSignal(PdqSignal):
    """``PdqSignal`` with vigil's hashing and index, under the same name (``"pdq"``).

    ``hash_from_bytes`` decodes with vigil (JPEG through libjpeg-turbo, Pillow's decoder, when
    built with the ``turbojpeg`` feature) and returns ``""`` for an image of quality under 50 or
    one that cannot be decoded, as ``PdqSignal`` does.

    >>> VigilPdqSignal.get_name()
    'pdq'
    """

    @classmethod
    def get_name(cls) -> str:
        return "pdq"

    @classmethod
    def get_index_cls(cls) -> t.Type[VigilPdqIndex]:  # type: ignore[override]
        return VigilPdqIndex

    @classmethod
    def hash_from_bytes(cls, bytes_: bytes) -> str:
        return _hash_from_bytes(bytes_, cls.QUALITY_THRESHOLD)


class VigilPdqCliSignal(VigilPdqSignal):
    """:class:`VigilPdqSignal` under the name ``"vigil_pdq"``, for the ``threatexchange`` CLI,
    which always loads its own ``"pdq"``."""

    @classmethod
    def get_name(cls) -> str:
        return "vigil_pdq"


#: ``threatexchange config extensions add vigil.threatexchange``
TX_MANIFEST = ThreatExchangeExtensionManifest(signal_types=(VigilPdqCliSignal,))
