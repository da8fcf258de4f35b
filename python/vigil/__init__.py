"""vigil: PDQ perceptual hashes, bit-identical on GPU and CPU, and matching against hash lists.

The same hashes as Meta's reference (``pdqhash``) on the same pixels, from a Rust library with
the GIL released during every long call.

>>> import numpy as np, vigil
>>> image = np.zeros((64, 64, 3), dtype=np.uint8)
>>> image[:, 32:] = 255
>>> h, quality = vigil.hash_image(image)
>>> h.hex[:8], quality
('00000000', 71)
>>> h.distance(h)
0

Modules: :mod:`vigil.pdq` (a drop-in for ``pdqhash``), :mod:`vigil.threatexchange` (a PDQ
signal type and index for python-threatexchange and HMA).
"""

from __future__ import annotations

import os
import threading
import typing as t
from pathlib import Path

import numpy as np

from vigil._vigil import DEFAULT_THRESHOLD, MIN_QUALITY, VigilError, Hash, Hasher, dihedral_names, features
from vigil._vigil import Matcher as _RawMatcher
from vigil import _vigil

__all__ = [
    "DEFAULT_THRESHOLD",
    "DIHEDRAL",
    "FileHash",
    "Hash",
    "Hasher",
    "LowQuality",
    "MIN_QUALITY",
    "Match",
    "Matcher",
    "VigilError",
    "features",
    "hash_encoded_images",
    "hash_file",
    "hash_files",
    "hash_frames",
    "hash_image",
    "hash_image_dihedral",
]

#: The eight dihedral orientations, in the reference's (and pdqhash's) order.
DIHEDRAL: t.Tuple[str, ...] = tuple(dihedral_names())

PathLike = t.Union[str, "os.PathLike[str]"]
HashLike = t.Union[Hash, str, bytes]

_hashers: t.Dict[str, Hasher] = {}
_hashers_lock = threading.Lock()


def _hasher(backend: t.Union[str, Hasher]) -> Hasher:
    """One shared hasher per backend name (opening a GPU takes a while)."""
    if isinstance(backend, Hasher):
        return backend
    with _hashers_lock:
        if backend not in _hashers:
            _hashers[backend] = Hasher(backend)
        return _hashers[backend]


def hash_image(image: np.ndarray) -> t.Tuple[Hash, int]:
    """The PDQ hash and quality of a uint8 image: ``H×W`` or ``H×W×1`` grey, ``H×W×3`` RGB or
    ``H×W×4`` RGBA (alpha ignored). Read in place when each pixel's bytes are packed.

    >>> import numpy as np
    >>> hash_image(np.full((8, 8), 7, dtype=np.uint8))[1]
    0
    """
    hashes, quality = _vigil.hash_array(image, False)
    return hashes[0], quality


def hash_image_dihedral(image: np.ndarray) -> t.Tuple[t.List[Hash], int]:
    """The eight dihedral hashes (in :data:`DIHEDRAL` order) and the quality, from one pass.

    >>> import numpy as np
    >>> hashes, quality = hash_image_dihedral(np.eye(32, dtype=np.uint8) * 255)
    >>> len(hashes)
    8
    """
    return _vigil.hash_array(image, True)


def hash_frames(
    frames: np.ndarray, backend: t.Union[str, Hasher] = "auto", dihedral: bool = False
) -> t.List[t.Tuple[t.Union[Hash, t.List[Hash]], int]]:
    """Hashes an ``N×H×W[×C]`` uint8 array of frames in one batch on ``backend`` (``auto``: a
    hardware GPU if there is one, else the CPU; ``cpu``; ``gpu``; or a :class:`Hasher`).
    Returns ``(hash, quality)`` per frame, or ``(8 hashes, quality)`` with ``dihedral``.

    >>> import numpy as np
    >>> frames = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    >>> [q for _, q in hash_frames(frames, backend="cpu")]
    [0, 0]
    """
    results = _hasher(backend).hash_frames(frames, dihedral)
    if dihedral:
        return [(hashes, quality) for hashes, quality in results]
    return [(hashes[0], quality) for hashes, quality in results]


class FileHash(t.NamedTuple):
    """One file's result from :func:`hash_files`: its hash and quality, or why it has none."""

    path: str
    #: The hash of the image as stored; ``None`` when the file failed.
    hash: t.Optional[Hash]
    #: 0..100; ``None`` when the file failed.
    quality: t.Optional[int]
    #: The eight dihedral hashes when asked for, else ``None``.
    dihedral: t.Optional[t.List[Hash]]
    #: The library's message when the file could not be hashed.
    error: t.Optional[str]


def hash_files(
    paths: t.Iterable[PathLike],
    backend: t.Union[str, Hasher] = "auto",
    *,
    dihedral: bool = False,
    apply_exif: bool = False,
    cpp_cli_resize: bool = False,
    threads: int = 0,
) -> t.List[FileHash]:
    """Hashes image files and folders (walked recursively, image extensions only): decoded in
    parallel on ``threads`` threads (0: every core) within a memory budget, hashed in batches on
    ``backend``. One :class:`FileHash` per file in input order; a file that fails carries its
    error and the others are still hashed, nothing is raised for it.

    ``apply_exif`` applies the EXIF orientation (off, as every ThreatExchange tool);
    ``cpp_cli_resize`` resizes images over 512 px to 512×512 first, as Meta's C++ CLI does.

    >>> [r.error is not None for r in hash_files(["/no/such/file.jpg"], backend="cpu")]
    [True]
    """
    names = [os.fspath(p) for p in paths]
    results = _hasher(backend).hash_files(names, dihedral, apply_exif, cpp_cli_resize, threads)
    return _file_hashes(results, dihedral)


def hash_encoded_images(
    images: t.Iterable[t.Union[bytes, t.Tuple[str, bytes]]],
    backend: t.Union[str, Hasher] = "auto",
    *,
    dihedral: bool = False,
    apply_exif: bool = False,
    threads: int = 0,
) -> t.List[FileHash]:
    """Hashes encoded images held in memory (uploads that never touch the disk) as
    :func:`hash_files` hashes files: decoded in parallel within the memory budget, hashed in
    batches on ``backend``, one :class:`FileHash` per image in input order, a bad image failing
    alone. Each item is the image's bytes, or ``(name, bytes)``: the name labels its result and
    errors (and tells a TGA image by its extension); unnamed images are ``<bytes N>``.

    >>> [r.error is not None for r in hash_encoded_images([b"not an image"], backend="cpu")]
    [True]
    """
    named = [
        item if isinstance(item, tuple) else (f"<bytes {i}>", item)
        for i, item in enumerate(images)
    ]
    results = _hasher(backend).hash_encoded_batch(
        [(name, bytes(data)) for name, data in named], dihedral, apply_exif, threads
    )
    return _file_hashes(results, dihedral)


def _file_hashes(results, dihedral: bool) -> t.List[FileHash]:
    """The native pipeline's ``(name, (hashes, quality) or None, error)`` as :class:`FileHash`."""
    out = []
    for path, hashed, error in results:
        if hashed is None:
            out.append(FileHash(os.fspath(path), None, None, None, error))
        else:
            hashes, quality = hashed
            out.append(
                FileHash(os.fspath(path), hashes[0], quality, hashes if dihedral else None, None)
            )
    return out


def hash_file(
    path: PathLike, *, apply_exif: bool = False, cpp_cli_resize: bool = False
) -> t.Tuple[Hash, int]:
    """The PDQ hash and quality of one image file (decoded by vigil); raises
    :class:`VigilError` with the library's message when it cannot be hashed.

    >>> hash_file("/no/such/file.png")
    Traceback (most recent call last):
    ...
    vigil.VigilError: ...
    """
    (result,) = hash_files([path], "cpu", apply_exif=apply_exif, cpp_cli_resize=cpp_cli_resize,
                           threads=1)
    if result.error is not None or result.hash is None or result.quality is None:
        raise VigilError(f"{os.fspath(path)}: {result.error}")
    return result.hash, result.quality


class Match(t.NamedTuple):
    """A list entry within its list's threshold of a query."""

    #: The list's number (in the order lists were added) and name.
    list: int
    list_name: str
    #: The entry's position in its list, and its id: the id a list gives (a str), its line or
    #: frame number (an int), or the object passed to :meth:`Matcher.add`.
    entry: int
    id: t.Any
    #: Hamming distance (≤ the list's threshold).
    distance: int
    #: Which orientation of the query matched (``original`` for plain queries).
    orientation: str


class LowQuality(t.NamedTuple):
    """A query whose quality is under 50: too featureless to match (see ``include_low_quality``)."""

    quality: int


class Matcher:
    """Hash lists, each with its own threshold (inclusive: distance ≤ threshold matches), and
    radius queries against all of them. All-zero and all-one entries and entries of quality 0
    never match; queries of quality under 50 are refused unless ``include_low_quality``.

    >>> m = Matcher()
    >>> known = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    >>> m.add([known], ids=["bridge"], threshold=31, name="bank")
    0
    >>> [(x.id, x.distance) for x in m.query(known)]
    [('bridge', 0)]
    """

    def __init__(self, index: str = "auto", include_low_quality: bool = False) -> None:
        self._raw = _RawMatcher(index, include_low_quality)
        self._ids: t.Dict[int, t.Sequence[t.Any]] = {}
        self._names: t.List[str] = []

    def load(self, path: PathLike, threshold: int = DEFAULT_THRESHOLD) -> int:
        """Loads a list file in any format vigil reads (hex lines, ``HASH,QUALITY[,ID]``, CSV
        with a header, vPDQ, what ``vigil hash`` prints, vigil's binary lists); returns its
        number."""
        number = self._raw.load(os.fspath(path), threshold)
        self._names.append(os.fspath(path))
        return number

    def load_bytes(self, name: str, data: bytes, threshold: int = DEFAULT_THRESHOLD) -> int:
        """As :meth:`load`, from the bytes of a list file."""
        number = self._raw.parse(name, data, threshold)
        self._names.append(name)
        return number

    def add(
        self,
        hashes: t.Sequence[HashLike],
        ids: t.Optional[t.Sequence[t.Any]] = None,
        qualities: t.Optional[t.Sequence[t.Optional[int]]] = None,
        threshold: int = DEFAULT_THRESHOLD,
        name: t.Optional[str] = None,
    ) -> int:
        """Adds a list of hashes (:class:`Hash`, hex or 32 bytes) with ids (any objects; by
        default the positions 0, 1, ...) and qualities; returns its number."""
        if ids is not None and len(ids) != len(hashes):
            raise VigilError(f"{len(ids)} ids for {len(hashes)} hashes")
        name = name if name is not None else f"list{len(self._names)}"
        if hashes and all(isinstance(h, str) for h in hashes) and qualities is None:
            number = self._raw.add_hex(name, list(hashes), threshold)
        else:
            number = self._raw.add_hashes(name, list(hashes), qualities, threshold)
        self._ids[number] = ids if ids is not None else range(len(hashes))
        self._names.append(name)
        return number

    def __len__(self) -> int:
        return len(self._raw)

    def _match(self, raw: t.Tuple[int, int, int, str]) -> Match:
        list_number, entry, distance, orientation = raw
        ids = self._ids.get(list_number)
        if ids is not None:
            entry_id = ids[entry]
        else:
            entry_id, _ = self._raw.entry(list_number, entry)
        return Match(list_number, self._names[list_number], entry, entry_id, distance, orientation)

    def query_batch(
        self,
        queries: t.Sequence[t.Union[HashLike, t.Sequence[HashLike]]],
        qualities: t.Optional[t.Sequence[t.Optional[int]]] = None,
    ) -> t.List[t.Union[t.List[Match], LowQuality]]:
        """Matches many queries at once (the list streams through cache once per block of
        queries). Each query is one hash, or the 8 dihedral hashes of an image (a match then
        names the orientation that matched). Per query: its matches, nearest first, or
        :class:`LowQuality`."""
        raw_queries = [[q] if isinstance(q, (Hash, str, bytes)) else list(q) for q in queries]
        quals = list(qualities) if qualities is not None else [None] * len(raw_queries)
        out: t.List[t.Union[t.List[Match], LowQuality]] = []
        for result, low_quality in self._raw.query(raw_queries, quals):
            if low_quality is not None:
                out.append(LowQuality(low_quality))
            else:
                out.append(sorted((self._match(m) for m in result), key=lambda m: (m.distance, m.list, m.entry)))
        return out

    def query(self, hash: HashLike, quality: t.Optional[int] = None) -> t.List[Match]:
        """The matches of one hash (``quality`` None: unknown, always matched); a query of
        quality under 50 has none unless ``include_low_quality``."""
        result = self.query_batch([hash], [quality])[0]
        return [] if isinstance(result, LowQuality) else result

    def query_dihedral(
        self, hashes: t.Sequence[HashLike], quality: t.Optional[int] = None
    ) -> t.List[Match]:
        """The matches of an image in any of its 8 orientations (its :func:`hash_image_dihedral`
        hashes); each match names the orientation that matched."""
        if len(hashes) != 8:
            raise VigilError(f"a dihedral query is 8 hashes; got {len(hashes)}")
        result = self.query_batch([list(hashes)], [quality])[0]
        return [] if isinstance(result, LowQuality) else result

    def threshold(self, list_number: int) -> int:
        """The threshold of list ``list_number``."""
        return self._raw.list_info(list_number)[2]
