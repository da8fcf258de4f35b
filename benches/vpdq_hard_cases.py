#!/usr/bin/env python3
"""vigil against Meta's `vpdq` on clips made to be hard: dark scenes with colour, saturated
colours, BT.709, full range, 10-bit, a rotation tag. Each clip is generated here by ffmpeg,
hashed by `vpdq.computeHash` and by `vigil video` (files through ffmpeg, and the same clip piped
as YUV4MPEG2, which vigil converts to RGB itself), every frame.

    apt-get install ffmpeg libavformat-dev libavcodec-dev libswscale-dev libavutil-dev \
        libavdevice-dev libavfilter-dev libswresample-dev pkg-config && pip install vpdq
    cargo build --release -p vigil-cli
    python3 benches/vpdq_hard_cases.py [--vigil target/release/vigil] [--check]

Per clip and path: frames at quality >= 50 (by vpdq), mean and max bits from vpdq's hash,
largest quality difference, and whether the video-level decision of the clip against itself
(vigil's hashes as the query, vpdq's as the listed video, `vigil video-compare`) matches.
--check exits 1 when a file is over 2 bits mean from vpdq (the target of issue 9; measured: 0 on
every clip), a YUV4MPEG2 stream over 4 (vigil's own conversion, within libswscale's rounding;
measured 0.8-3.5), or a decision differs.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import vpdq

from vpdq_agreement import distance, parse  # the same frame parsing and distances

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTSRC = "testsrc=size=320x240:rate=10:duration=3"
TESTSRC2 = "testsrc2=size=320x240:rate=10:duration=3"

# name -> (lavfi source, filters, output options, file extension)
CLIPS = {
    "normal": (TESTSRC, "", ["-pix_fmt", "yuv420p", "-c:v", "libx264"], "mp4"),
    "dark-0.2": (TESTSRC2, "eq=brightness=-0.2", ["-pix_fmt", "yuv420p", "-c:v", "libx264"], "mp4"),
    "dark-0.4": (TESTSRC, "eq=brightness=-0.4", ["-pix_fmt", "yuv420p", "-c:v", "libx264"], "mp4"),
    "dark-0.6-contrast-0.5": (
        TESTSRC,
        "eq=brightness=-0.6:contrast=0.5",
        ["-pix_fmt", "yuv420p", "-c:v", "libx264"],
        "mp4",
    ),
    "saturated": (TESTSRC2, "eq=saturation=3", ["-pix_fmt", "yuv420p", "-c:v", "libx264"], "mp4"),
    "bt709-1280x720": (
        "testsrc2=size=1280x720:rate=10:duration=2",
        "scale=out_color_matrix=bt709",
        ["-pix_fmt", "yuv420p", "-c:v", "libx264", "-colorspace", "bt709",
         "-color_primaries", "bt709", "-color_trc", "bt709"],
        "mp4",
    ),
    "full-range": (TESTSRC2, "eq=brightness=-0.2", ["-pix_fmt", "yuvj420p", "-c:v", "libx264"], "mp4"),
    "10-bit": (TESTSRC2, "eq=brightness=-0.2", ["-pix_fmt", "yuv420p10le", "-c:v", "ffv1"], "mkv"),
    "rotation-tag": (
        TESTSRC,
        "",
        ["-pix_fmt", "yuv420p", "-c:v", "libx264", "-metadata:s:v:0", "rotate=90"],
        "mp4",
    ),
}


def make_clip(directory, name):
    source, filters, options, extension = CLIPS[name]
    path = os.path.join(directory, f"{name}.{extension}")
    command = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source]
    if filters:
        command += ["-vf", filters]
    subprocess.run(command + options + [path], check=True)
    return path


def vigil_file(vigil, clip):
    out = subprocess.run([vigil, "video", "--backend", "cpu", clip], check=True, capture_output=True)
    return out.stdout.decode()


def vigil_y4m(vigil, clip):
    """The clip piped as YUV4MPEG2 (8-bit: vigil reads 8-bit Y4M only)."""
    decode = subprocess.Popen(
        ["ffmpeg", "-v", "error", "-noautorotate", "-i", clip, "-pix_fmt", "yuv420p",
         "-f", "yuv4mpegpipe", "-"],
        stdout=subprocess.PIPE,
    )
    out = subprocess.run([vigil, "video", "--backend", "cpu", "-"], stdin=decode.stdout,
                         check=True, capture_output=True)
    decode.wait()
    return out.stdout.decode()


def vpdq_text(clip):
    features = vpdq.computeHash(clip, seconds_per_hash=0)
    return "".join(f"{f.frame_number},{f.quality},{f.hex},{f.timestamp:.3f}\n" for f in features)


def decision(vigil, query, listed, directory):
    paths = []
    for i, text in enumerate((query, listed)):
        path = os.path.join(directory, f"decision-{i}.txt")
        with open(path, "w") as f:
            f.write(text)
        paths.append(path)
    status = subprocess.run([vigil, "video-compare", *paths], capture_output=True).returncode
    return {0: "match", 1: "no match"}.get(status, "error")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vigil", default=os.path.join(REPO, "target", "release", "vigil"))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    failed = []
    print("clip | path | frames q>=50 (+ under) | mean/max bits | max |quality diff| | decision vigil/vpdq")
    with tempfile.TemporaryDirectory() as directory:
        for name in CLIPS:
            clip = make_clip(directory, name)
            reference_text = vpdq_text(clip)
            reference = parse(reference_text.splitlines())
            expected = decision(args.vigil, reference_text, reference_text, directory)
            for path, text in (("file", vigil_file(args.vigil, clip)), ("y4m", vigil_y4m(args.vigil, clip))):
                n, mean, most, quality = distance(parse(text.splitlines()), reference, min_quality=50)
                under = len(reference) - n
                ours = decision(args.vigil, text, reference_text, directory)
                print(f"{name:22} | {path:4} | {n:3} (+{under}) | {mean:5.2f}/{most:3} | {quality:3} | {ours}/{expected}")
                bound = 2.0 if path == "file" else 4.0
                if mean > bound or ours != expected or n + under != len(parse(text.splitlines())):
                    failed.append(f"{name} ({path})")
            sys.stdout.flush()
    if args.check and failed:
        print("over the bound, or another decision: " + ", ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
