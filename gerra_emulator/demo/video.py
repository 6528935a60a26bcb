"""Encode the demo's short clips with PyAV: H.264 MP4 videos and animated GIF previews.

Encoding runs single-threaded, so identical frames give identical bytes with
one installation of PyAV, and the demo catalog is reproducible for a seed.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import av
import numpy as np

# PyAV's wheels ship libx264; LeRobot's meta/info.json names the codec "h264".
MP4_ENCODER = "libx264"
MP4_CODEC_NAME = "h264"
PIXEL_FORMAT = "yuv420p"


def encode_mp4(frames: Iterable[np.ndarray], fps: int) -> bytes:
    """Encode RGB frames of shape (height, width, 3) into an H.264 MP4 with one frame per 1/fps second."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = None
        for frame_index, pixels in enumerate(frames):
            if stream is None:
                stream = _add_mp4_stream(container, fps, width=pixels.shape[1], height=pixels.shape[0])
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            frame.pts = frame_index
            for packet in stream.encode(frame):
                container.mux(packet)
        if stream is None:
            raise ValueError("encode_mp4 got no frames; pass at least one frame")
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def _add_mp4_stream(container: av.container.OutputContainer, fps: int, width: int, height: int) -> av.VideoStream:
    if width % 2 or height % 2:
        raise ValueError(f"frame size {width}x{height} must have even sides for {PIXEL_FORMAT}")
    stream = container.add_stream(MP4_ENCODER, rate=fps)
    stream.width = width
    stream.height = height
    stream.pix_fmt = PIXEL_FORMAT
    stream.options = {"preset": "ultrafast", "crf": "28"}
    stream.codec_context.thread_count = 1
    return stream


def encode_gif(frames: Sequence[np.ndarray], fps: int) -> bytes:
    """Encode RGB frames into a looping animated GIF.

    GIF stores frame delays in hundredths of a second, so `fps` should divide 100
    (10, 20, 25, 50) for the delays to be exact.
    """
    if not frames:
        raise ValueError("encode_gif got no frames; pass at least one frame")
    height, width = frames[0].shape[:2]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="gif") as container:
        stream = container.add_stream("gif", rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "rgb8"
        stream.codec_context.thread_count = 1
        for frame_index, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            frame.pts = frame_index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def render_marker_frames(
    positions: np.ndarray,
    sizes: np.ndarray,
    width: int,
    height: int,
    background: tuple[int, int, int],
    marker: tuple[int, int, int],
) -> np.ndarray:
    """Draw one square marker per frame on a shaded background.

    `positions` is (n, 2) with x and y in [0, 1]; `sizes` is (n,) marker sides in
    pixels. Returns uint8 frames of shape (n, height, width, 3).
    """
    count = len(positions)
    shade = np.linspace(0.75, 1.0, height, dtype=np.float32)[:, None, None]
    base = (shade * np.asarray(background, dtype=np.float32)).astype(np.uint8)
    frames = np.broadcast_to(base, (count, height, width, 3)).copy()
    for index in range(count):
        side = int(max(2, sizes[index]))
        left = int(round(positions[index, 0] * (width - side)))
        top = int(round(positions[index, 1] * (height - side)))
        frames[index, top : top + side, left : left + side] = marker
    return frames


def channel_stats(frames: np.ndarray, quantiles: Sequence[float] = (), sample_frames: int = 20) -> dict[str, list]:
    """Compute LeRobot image statistics per channel over pixels scaled to [0, 1].

    LeRobot computes image statistics on sampled, downscaled frames. This uses at
    most `sample_frames` evenly spaced frames and every fourth pixel in each
    direction, and count is the number of sampled frames. Returns min, max, mean,
    std, count and one `qNN` entry per quantile, each nested as [[[v]]] per
    channel, the (3, 1, 1) shape LeRobot uses.
    """
    picks = np.unique(np.linspace(0, len(frames) - 1, min(sample_frames, len(frames))).round().astype(int))
    pixels = frames[picks, ::4, ::4].reshape(-1, 3).astype(np.float64) / 255.0
    stats = {
        "min": _per_channel(pixels.min(axis=0)),
        "max": _per_channel(pixels.max(axis=0)),
        "mean": _per_channel(pixels.mean(axis=0)),
        "std": _per_channel(pixels.std(axis=0)),
        "count": [int(len(picks))],
    }
    for quantile in quantiles:
        stats[f"q{round(quantile * 100):02d}"] = _per_channel(np.quantile(pixels, quantile, axis=0))
    return stats


def _per_channel(values: np.ndarray) -> list:
    return [[[float(value)]] for value in values]
