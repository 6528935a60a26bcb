"""Encode small synthetic clips with PyAV, for tests and demo deliveries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_clip(
    path: Path,
    frames: Iterable[np.ndarray],
    *,
    fps: int | Fraction = 30,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    options: dict[str, str] | None = None,
) -> Path:
    """Encode RGB frames (height x width x 3, uint8) into a video file at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = None
        for rgb in frames:
            if stream is None:
                stream = container.add_stream(codec, rate=fps)
                stream.height, stream.width = rgb.shape[:2]
                stream.pix_fmt = pix_fmt
                if options:
                    stream.options = options
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb, dtype=np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        if stream is None:
            raise ValueError(f"no frames given for {path.name}")
        container.mux(stream.encode(None))
    return path


def noise_frames(count: int, width: int = 64, height: int = 48, seed: int = 0) -> Iterator[np.ndarray]:
    """Yield `count` frames of random mid-gray noise, each clearly different from the last."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield rng.integers(40, 216, size=(height, width, 3), dtype=np.uint8)


def solid_frames(count: int, value: int, width: int = 64, height: int = 48) -> Iterator[np.ndarray]:
    """Yield `count` identical frames of one gray level (0 is black)."""
    frame = np.full((height, width, 3), value, dtype=np.uint8)
    for _ in range(count):
        yield frame
