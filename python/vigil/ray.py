"""PDQ hashing as a Ray Data stage: ``dataset.map_batches(PdqStage, ...)`` with a callable class
that holds one vigil hasher per actor (a GPU opened once, not per batch).

>>> import numpy as np
>>> stage = PdqStage(backend="cpu")
>>> out = stage({"image": np.zeros((2, 32, 32, 3), np.uint8), "path": np.array(["a", "b"])})
>>> out["quality"].tolist(), out["path"].tolist()
([0, 0], ['a', 'b'])

See ``python/examples/ray_hash_folder.py``.
"""

from __future__ import annotations

import os
import typing as t

import numpy as np

import vigil


def ray_options(num_gpus: t.Optional[float] = None) -> t.Dict[str, t.Any]:
    """``map_batches`` resources for :class:`PdqStage`: one GPU per actor when the cluster has
    GPUs (and this build has the ``gpu`` feature), else CPU actors."""
    import ray

    if num_gpus is None:
        gpus = ray.cluster_resources().get("GPU", 0) if ray.is_initialized() else 0
        num_gpus = 1 if gpus and "gpu" in vigil.features() else 0
    return {"num_gpus": num_gpus} if num_gpus else {"num_cpus": 1}


class PdqStage:
    """Hashes the ``image`` column of each batch (an ``N×H×W×3`` array when the images share a
    size, as ``ray.data.read_images(..., size=...)`` gives, else an object array of ``H×W×3``
    arrays) and adds ``hash`` (hex) and ``quality`` columns; with ``dihedral``, ``dihedral``
    holds the 8 hex hashes joined by commas. Other columns pass through; ``image`` is dropped
    unless ``keep_image``.

    ``backend``: ``auto`` takes the GPU Ray assigned to this actor when it was given one (a
    hardware adapter through Vulkan/Metal/DX12; Vulkan ignores ``CUDA_VISIBLE_DEVICES``, and
    vigil opens the first hardware adapter: right on one-GPU nodes, see the README for
    multi-GPU nodes), the CPU otherwise.
    """

    def __init__(self, backend: str = "auto", dihedral: bool = False, keep_image: bool = False):
        if backend == "auto" and not _assigned_gpus():
            backend = "cpu"
        self.hasher = vigil.Hasher(backend)
        self.dihedral = dihedral
        self.keep_image = keep_image

    def __call__(self, batch: t.Dict[str, np.ndarray]) -> t.Dict[str, np.ndarray]:
        images = batch["image"]
        if isinstance(images, np.ndarray) and images.dtype == np.uint8 and images.ndim in (3, 4):
            results = vigil.hash_frames(images, self.hasher, dihedral=self.dihedral)
        else:
            results = [
                vigil.hash_frames(np.asarray(image)[None], self.hasher, dihedral=self.dihedral)[0]
                for image in images
            ]
        out = {k: v for k, v in batch.items() if k != "image" or self.keep_image}
        if self.dihedral:
            out["hash"] = np.array([hashes[0].hex for hashes, _ in results])
            out["dihedral"] = np.array([",".join(h.hex for h in hashes) for hashes, _ in results])
        else:
            out["hash"] = np.array([h.hex for h, _ in results])
        out["quality"] = np.array([q for _, q in results], dtype=np.int64)
        return out


def _assigned_gpus() -> t.List[t.Any]:
    try:
        import ray

        if ray.is_initialized():
            return list(ray.get_gpu_ids())
    except ImportError:
        pass
    return [g for g in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if g]
