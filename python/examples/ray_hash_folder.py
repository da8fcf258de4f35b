#!/usr/bin/env python3
"""Hash a folder of images with Ray Data and vigil: Ray decodes (``read_images``), vigil hashes
each batch in one call on a GPU actor when the cluster has GPUs, CPU actors otherwise.

    pip install ./python "ray[data]" pillow
    python python/examples/ray_hash_folder.py PHOTOS/ [--num-cpus 2] [--dihedral]

Prints ``hash,quality,path`` lines (as ``vigil hash``).
"""

import argparse

import ray

from vigil.ray import PdqStage, ray_options


def hash_folder(folder, dihedral=False, concurrency=2):
    """``(path, hash, quality)`` for every image under ``folder``."""
    dataset = ray.data.read_images(folder, mode="RGB", include_paths=True)
    hashed = dataset.map_batches(
        PdqStage,
        fn_constructor_kwargs={"dihedral": dihedral},
        batch_size=64,
        batch_format="numpy",
        concurrency=concurrency,
        **ray_options(),
    )
    return sorted((row["path"], row["hash"], int(row["quality"])) for row in hashed.iter_rows())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--num-cpus", type=int, default=None)
    parser.add_argument("--dihedral", action="store_true")
    args = parser.parse_args()
    ray.init(num_cpus=args.num_cpus, include_dashboard=False)
    for path, hash_, quality in hash_folder(args.folder, args.dihedral):
        print(f"{hash_},{quality},{path}")


if __name__ == "__main__":
    main()
