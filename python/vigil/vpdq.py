"""A drop-in for Meta's ``vpdq`` package: ``import vigil.vpdq as vpdq``.

``computeHash`` takes vpdq's arguments and returns features with vpdq's fields (``quality``,
``frame_number``, ``hash``, ``hex``, ``timestamp``), with the values ``vigil video FILE`` gives:
every frame decoded by ffmpeg to the RGB pixels vpdq hashes (libswscale's conversion), on
Meta's sample videos equal to vpdq's hashes (mean 0.00 bits). ``hash`` is a :class:`vigil.Hash`
(vpdq's is its own hash object); ``hex``, ``quality``, ``frame_number`` and ``timestamp`` are
the same types. Needs ``ffmpeg`` and ``ffprobe`` on the PATH.

Frames decoded in Python (PyAV, OpenCV) go through :class:`VideoHasher`, the library's
``FrameChecker``: hashed in batches while the next frames are decoded, ``submit`` blocking
when hashing falls behind, no frame dropped.

>>> import numpy as np
>>> hasher = VideoHasher(backend="cpu")
>>> for n in range(3):
...     _ = hasher.submit(np.full((64, 64, 3), 40 * n, np.uint8), frame_number=n, timestamp=n / 25)
>>> [(f.frame_number, f.quality, f.timestamp) for f in hasher.finish()]
[(0, 0, 0.0), (1, 0, 0.04), (2, 0, 0.08)]
"""

from __future__ import annotations

import dataclasses
import os
import typing as t

import numpy as np

import vigil
from vigil import _vigil

__all__ = ["VideoHasher", "VpdqFeature", "computeHash", "hamming_distance"]


@dataclasses.dataclass(frozen=True)
class VpdqFeature:
    """One hashed frame, with vpdq's fields."""

    quality: int
    frame_number: int
    hash: vigil.Hash
    hex: str
    #: Seconds from the start.
    timestamp: float

    def hamming_distance(self, other: "VpdqFeature") -> int:
        """Bits differing from another feature's hash."""
        return self.hash.distance(other.hash)

    @classmethod
    def _from_raw(cls, raw: t.Tuple[int, int, vigil.Hash, float]) -> "VpdqFeature":
        frame, quality, hash_, timestamp = raw
        return cls(quality, frame, hash_, hash_.hex, timestamp)


def hamming_distance(a: VpdqFeature, b: VpdqFeature) -> int:
    """Bits differing between two features' hashes."""
    return a.hamming_distance(b)


def computeHash(  # noqa: N802 (vpdq's name)
    input_video_filename: t.Union[str, "os.PathLike[str]"],
    ffmpeg_path: t.Optional[str] = None,
    verbose: bool = False,
    seconds_per_hash: float = 1.0,
    downsample_width: int = 0,
    downsample_height: int = 0,
    thread_count: int = 0,
    *,
    backend: t.Union[str, vigil.Hasher] = "auto",
    apply_rotation: bool = False,
) -> t.List[VpdqFeature]:
    """vPDQ features of a video file: one frame every ``seconds_per_hash`` seconds (0: every
    frame), scaled to ``downsample_width``×``downsample_height`` first when both are set (as
    vpdq: libswscale's area filter). ``ffmpeg_path``, ``verbose`` and ``thread_count`` are
    accepted for vpdq's signature and not used (vpdq ignores ``ffmpeg_path`` too); vigil uses
    every core, or the GPU ``backend`` picks. Raises :class:`vigil.VigilError` with the
    library's message for a file ffmpeg cannot read.
    """
    if not os.path.isfile(os.fspath(input_video_filename)):
        raise ValueError(f"Input_video_filename doesn't exist: {os.fspath(input_video_filename)}")
    downsample = (
        (downsample_width, downsample_height) if downsample_width > 0 and downsample_height > 0 else None
    )
    raw = _vigil.hash_video_file(
        vigil._hasher(backend), os.fspath(input_video_filename), seconds_per_hash, downsample,
        apply_rotation,
    )
    return [VpdqFeature._from_raw(r) for r in raw]


class VideoHasher:
    """Hashes frames pushed from Python (``H×W×3`` RGB, ``H×W×4`` RGBA or ``H×W`` grey uint8
    arrays, such as PyAV's ``frame.to_ndarray(format="rgb24")``) in batches on ``backend``.

    ``submit`` returns at once while fewer than ``capacity`` frames are in flight and blocks
    (GIL released) otherwise; ``ready()`` returns the features finished so far, ``finish()``
    the rest, all in submission order.
    """

    def __init__(
        self, backend: t.Union[str, vigil.Hasher] = "auto", capacity: int = 0, batch_size: int = 0
    ) -> None:
        self._raw = _vigil.VideoHasher(vigil._hasher(backend), capacity, batch_size)

    def submit(self, frame: np.ndarray, frame_number: int, timestamp: float) -> int:
        """Queues one frame; returns its submission number."""
        return self._raw.submit(frame, frame_number, timestamp)

    def ready(self) -> t.List[VpdqFeature]:
        """The features finished so far, not yet returned."""
        return [VpdqFeature._from_raw(r) for r in self._raw.ready()]

    def finish(self) -> t.List[VpdqFeature]:
        """Waits for every submitted frame; returns the features not yet returned."""
        return [VpdqFeature._from_raw(r) for r in self._raw.finish()]
