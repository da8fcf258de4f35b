"""vigil.vpdq against Meta's vpdq on its sample videos (run here on the same files), and frames
pushed from Python through the library's FrameChecker."""

import shutil

import numpy as np
import pytest

import vigil
import vigil.vpdq
from conftest import need

VIDEOS = ["chair-19-sd-bar", "chair-22-sd-grey-bar", "doorknob-hd-no-bar"]


def reference_vpdq():
    need(shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None,
         "ffmpeg and ffprobe are needed for the vPDQ tests")
    try:
        import vpdq
    except ImportError:
        need(False, "Meta's vpdq is not installed")
    return vpdq


@pytest.mark.parametrize("name", VIDEOS)
@pytest.mark.parametrize("seconds_per_hash", [0, 1.0])
def test_compute_hash_equals_vpdq(reference, name, seconds_per_hash):
    vpdq = reference_vpdq()
    path = reference / "vpdq" / "videos" / f"{name}.mp4"
    need(path.exists(), f"{path} not found")
    ours = vigil.vpdq.computeHash(str(path), seconds_per_hash=seconds_per_hash, backend="cpu")
    theirs = vpdq.computeHash(str(path), seconds_per_hash=seconds_per_hash)
    assert [f.frame_number for f in ours] == [f.frame_number for f in theirs]
    distances = [vigil.Hash(a.hex).distance(b.hex) for a, b in zip(ours, theirs)]
    assert np.mean(distances) <= 0.1 and max(distances) <= 4, distances
    assert max(abs(a.quality - b.quality) for a, b in zip(ours, theirs)) <= 2
    assert max(abs(a.timestamp - b.timestamp) for a, b in zip(ours, theirs)) < 1e-3
    first = ours[0]
    assert isinstance(first.hex, str) and isinstance(first.quality, int) and first.hash.hex == first.hex
    assert isinstance(first.timestamp, float) and isinstance(first.frame_number, int)


def test_downsampled_hashes_equal_vpdq(reference):
    vpdq = reference_vpdq()
    name = VIDEOS[0]
    path = reference / "vpdq" / "videos" / f"{name}.mp4"
    ours = vigil.vpdq.computeHash(path, seconds_per_hash=0, downsample_width=128,
                                  downsample_height=128, backend="cpu")
    theirs = vpdq.computeHash(str(path), seconds_per_hash=0, downsample_width=128,
                              downsample_height=128)
    assert [f.frame_number for f in ours] == [f.frame_number for f in theirs]
    assert np.mean([a.hash.distance(b.hex) for a, b in zip(ours, theirs)]) <= 0.1
    # The published hashes came from another build of libswscale: within a few bits.
    published = [line.split(",")[2] for line in
                 (reference / "vpdq" / "expected" / f"{name}-128x128.txt").read_text().splitlines()]
    assert len(published) == len(ours)
    assert np.mean([f.hash.distance(h) for f, h in zip(ours, published)]) <= 4


def test_missing_video_is_an_error(tmp_path):
    with pytest.raises(ValueError):
        vigil.vpdq.computeHash(tmp_path / "missing.mp4")
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    if shutil.which("ffprobe"):
        with pytest.raises(vigil.VigilError, match="bad.mp4"):
            vigil.vpdq.computeHash(tmp_path / "bad.mp4")


def test_pushed_frames_are_hashed_in_order_with_backpressure():
    rng = np.random.default_rng(9)
    frames = [np.kron(rng.integers(0, 256, (8, 8, 3)), np.ones((12, 12, 1))).astype(np.uint8)
              for _ in range(40)]
    expected = [vigil.hash_image(f) for f in frames]
    # Room for 2 frames: submit must wait for hashing, and nothing is read until the end.
    hasher = vigil.vpdq.VideoHasher(backend="cpu", capacity=2, batch_size=2)
    for n, frame in enumerate(frames):
        assert hasher.submit(frame, frame_number=n, timestamp=n / 30) == n
    got = hasher.ready() + hasher.finish()
    assert [(f.hash, f.quality) for f in got] == expected
    assert [f.frame_number for f in got] == list(range(40))
    assert got[3].timestamp == pytest.approx(0.1)
    with pytest.raises(vigil.VigilError):
        hasher.submit(frames[0], 0, 0.0)
