"""A drop-in for ``pdqhash`` (Meta's C++ PDQ through Cython): ``import vigil.pdq as pdqhash``.

The same functions, argument types, return types, bit order and dihedral order as ``pdqhash``
0.2, with vigil's hashes: on the same pixels, exactly the reference's (checked on Meta's test
images and on random arrays). The GIL is released while hashing.

>>> import numpy as np
>>> import vigil.pdq as pdqhash
>>> image = np.zeros((64, 64, 3), dtype=np.uint8)
>>> image[16:48, 16:48] = 255
>>> vector, quality = pdqhash.compute(image)
>>> vector.shape, vector.dtype, type(quality)
((256,), dtype('int64'), <class 'int'>)
>>> vectors, quality = pdqhash.compute_dihedral(image)
>>> len(vectors)
8
"""

from __future__ import annotations

import typing as t

import numpy as np

from vigil import _vigil

__all__ = ["compute", "compute_dihedral", "compute_float", "hash_to_vector", "vector_to_hex"]


def _pixels(image: np.ndarray) -> np.ndarray:
    """What pdqhash accepts: a 3-dimensional uint8 array whose first three channels are RGB
    (H×W×3, or H×W×4 with alpha ignored). vigil also takes grey ``H×W`` and ``H×W×1`` arrays,
    which pdqhash refuses. One difference the other way: pdqhash also takes int8 arrays and
    hashes their values as signed (-128..127, which no image decoder produces); vigil refuses
    them with pdqhash's dtype error."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"Argument 'image' has incorrect type (expected numpy.ndarray, got {type(image).__name__})")
    if image.dtype != np.uint8:
        raise ValueError(f"Buffer dtype mismatch, expected 'char' but got '{image.dtype}'")
    if image.ndim == 3 and image.shape[2] > 4:
        # pdqhash reads channels 0, 1 and 2 of any number of channels.
        image = image[:, :, :3]
    return image


def hash_to_vector(hash: _vigil.Hash) -> np.ndarray:
    """A hash as pdqhash's vector: 256 int64 0/1 values, the most significant bit first (so
    ``"".join(map(str, vector))`` read as binary is the hex form)."""
    return np.unpackbits(np.frombuffer(bytes(hash), dtype=np.uint8)).astype(np.int64)


def vector_to_hex(vector: np.ndarray) -> str:
    """pdqhash's vector as the reference's 64 hex digits.

    >>> vector_to_hex(np.zeros(256, dtype=np.int64))[:4]
    '0000'
    """
    return np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes().hex()


def compute(image: np.ndarray) -> t.Tuple[np.ndarray, int]:
    """The PDQ hash as a vector of 256 bits (most significant first) and the quality (0..100)."""
    hashes, quality = _vigil.hash_array(_pixels(image), False)
    return hash_to_vector(hashes[0]), quality


def compute_dihedral(image: np.ndarray) -> t.Tuple[t.List[np.ndarray], int]:
    """The eight dihedral hashes as vectors, in pdqhash's order (original, rotate 90, 180, 270,
    flip x, flip y, flip +1, flip -1), and the quality; computed from one pass."""
    hashes, quality = _vigil.hash_array(_pixels(image), True)
    return [hash_to_vector(h) for h in hashes], quality


def compute_float(image: np.ndarray) -> t.Tuple[np.ndarray, int]:
    """The 16×16 DCT block that the hash thresholds at its median, as pdqhash returns it: 256
    float64 values in reverse row-major order (``[0]`` is coefficient (15, 15)), and the quality.

    What differs: pdqhash computes the block in float32 and returns those values; vigil returns
    its integer DCT divided by its fixed-point scale, which equals the exact DCT of the filtered
    luma to about one part in 10^7 of the block's largest value. The two agree to float32
    rounding (about 1e-5 relative to the largest value), and bit ``k`` of :func:`compute` is
    ``value > median`` of these values exactly, which pdqhash's floats do not always honour.
    """
    values, quality = _vigil.dct_array(_pixels(image))
    return np.asarray(values, dtype=np.float64)[::-1].copy(), quality
