#!/usr/bin/env python3
"""Three-way agreement on Meta's sample videos: vigil, the `vpdq` PyPI package (Meta's C++ vPDQ)
run on this machine, and the hashes Meta published (`../shared/reference/vpdq/expected/`), at full
size and downsampled to 128x128.

    apt-get install libavdevice-dev libavfilter-dev libavformat-dev libavcodec-dev \
        libswresample-dev libswscale-dev libavutil-dev pkg-config && pip install vpdq
    cargo build --release -p vigil-cli
    python3 benches/vpdq_agreement.py [--vigil target/release/vigil] [--backend cpu]

Per video and size, each pair gets: frames compared at quality >= 80 (as the reference gives it),
mean and max Hamming distance over them, and the largest quality difference over all frames.
The point of the three columns: the published hashes were made with some libswscale build, and
vpdq converts each frame to RGB (and downscales it) with the libswscale it is linked against, so
"vpdq here vs published" is how far two builds of the reference already are from each other.
"""

import argparse
import os
import subprocess
import sys

import vpdq

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(REPO, "..", "shared", "reference", "vpdq")


def parse(lines):
    """`frame,quality,hash,timestamp` lines -> {frame: (quality, hash as int)}."""
    frames = {}
    for line in lines:
        line = line.strip()
        if line:
            fields = line.split(",")
            frames[int(fields[0])] = (int(fields[1]), int(fields[2], 16))
    return frames


def vigil_hashes(vigil, backend, video, size):
    args = [vigil, "video", "--backend", backend]
    if size:
        args += ["--downsample", f"{size}x{size}"]
    out = subprocess.run(args + [video], check=True, capture_output=True, text=True).stdout
    return parse(out.splitlines())


def vpdq_hashes(video, size):
    features = vpdq.computeHash(
        video, seconds_per_hash=0, downsample_width=size, downsample_height=size
    )
    return {f.frame_number: (f.quality, int(f.hex, 16)) for f in features}


def distance(ours, reference, min_quality=80):
    """(frames at reference quality >= min_quality, mean, max, largest quality difference)."""
    bits, quality = [], 0
    for frame, (ref_quality, ref_hash) in reference.items():
        if frame not in ours:
            continue
        our_quality, our_hash = ours[frame]
        quality = max(quality, abs(our_quality - ref_quality))
        if ref_quality >= min_quality:
            bits.append(bin(our_hash ^ ref_hash).count("1"))
    mean = sum(bits) / len(bits) if bits else 0.0
    return len(bits), mean, max(bits, default=0), quality


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vigil", default=os.path.join(REPO, "target", "release", "vigil"))
    parser.add_argument("--backend", default="cpu")
    args = parser.parse_args()

    videos = sorted(f[:-4] for f in os.listdir(os.path.join(REFERENCE, "videos")) if f.endswith(".mp4"))
    print("video size | vigil vs vpdq here | vpdq here vs published | vigil vs published")
    print("(each: frames at q>=80, mean/max bits, max |quality diff|)")
    for name in videos:
        video = os.path.join(REFERENCE, "videos", name + ".mp4")
        for size, suffix in ((0, ""), (128, "-128x128")):
            published_path = os.path.join(REFERENCE, "expected", name + suffix + ".txt")
            if not os.path.exists(published_path):
                continue
            with open(published_path) as f:
                published = parse(f)
            ours = vigil_hashes(args.vigil, args.backend, video, size)
            theirs = vpdq_hashes(video, size)
            cells = []
            for a, b in ((ours, theirs), (theirs, published), (ours, published)):
                n, mean, most, quality = distance(a, b)
                cells.append(f"{n:4} {mean:4.2f}/{most:2} q±{quality}")
            print(f"{name + suffix:40} | " + " | ".join(cells))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
