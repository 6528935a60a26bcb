"""Read a video file's stream properties from its container, without decoding.

Every function here raises `VideoOpenError` for a file that is not a
readable video (broken header, truncated index, no video stream). Checks turn
that error into a FAILED result naming the member, because an unreadable
video is the vendor's fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av
import av.error

from worker.faults import gate_side

# Container or decoder names that name the same codec as a LeRobot
# `video.codec` value or a rule argument would.
CODEC_ALIASES = {
    "avc": "h264",
    "avc1": "h264",
    "libx264": "h264",
    "h265": "hevc",
    "hvc1": "hevc",
    "libx265": "hevc",
    "libsvtav1": "av1",
    "libaom-av1": "av1",
    "libdav1d": "av1",
    "av01": "av1",
    "vp09": "vp9",
    "libvpx-vp9": "vp9",
}

CountSource = Literal["decoded", "container", "estimated"]


class VideoOpenError(Exception):
    """The file is not a readable video; the message names the cause."""


@dataclass(frozen=True)
class VideoProbe:
    """Stream properties of a file's first video stream.

    `frame_count_source` is ``"container"`` when the count comes from the
    container's index (MP4 sample table), ``"estimated"`` when it is
    duration x frame rate because the container stores no count, and
    ``"decoded"`` when a full decode counted the frames.
    """

    codec: str
    pix_fmt: str | None
    width: int
    height: int
    fps: float | None
    frame_count: int | None
    frame_count_source: CountSource | None
    duration_s: float | None
    start_s: float


def normalize_codec(name: str) -> str:
    """Map a codec, decoder or encoder name to FFmpeg's canonical codec name."""
    lowered = name.strip().lower()
    return CODEC_ALIASES.get(lowered, lowered)


def open_container(path: Path) -> av.container.InputContainer:
    """Open `path` for reading, raising `VideoOpenError` when FFmpeg cannot parse it."""
    try:
        return av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError) as error:
        if gate_side(error):
            raise
        raise VideoOpenError(f"FFmpeg cannot parse the container: {describe_error(error)}") from error


def describe_error(error: Exception) -> str:
    """Return FFmpeg's reason for `error` without the local file path it quotes."""
    reason = getattr(error, "strerror", None)
    return reason or str(error)


def first_video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    if not container.streams.video:
        raise VideoOpenError("the file contains no video stream")
    return container.streams.video[0]


def probe_video(path: Path, *, count_frames: bool = False) -> VideoProbe:
    """Read codec, pixel format, size, frame rate, frame count and duration of `path`.

    With `count_frames`, every frame is decoded and counted instead of
    trusting the container's index; a decoder error then raises
    `VideoOpenError`.
    """
    with open_container(path) as container:
        stream = first_video_stream(container)
        context = stream.codec_context
        fps = float(stream.average_rate) if stream.average_rate else None
        duration_s = _duration_s(container, stream)
        count, count_source = _frame_count(stream, fps, duration_s)
        if count_frames:
            count, count_source = _decoded_count(container, stream), "decoded"
        start_s = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        return VideoProbe(
            codec=normalize_codec(context.codec.canonical_name or context.codec.name),
            pix_fmt=context.pix_fmt,
            width=context.width,
            height=context.height,
            fps=fps,
            frame_count=count,
            frame_count_source=count_source,
            duration_s=duration_s,
            start_s=start_s,
        )


def _duration_s(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float | None:
    # The stream's own duration excludes other streams (audio may run longer).
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _decoded_count(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> int:
    stream.thread_type = "AUTO"
    try:
        return sum(1 for _ in container.decode(stream))
    except (av.error.FFmpegError, EOFError) as error:
        if gate_side(error):
            raise
        raise VideoOpenError(f"decoding failed: {describe_error(error)}") from error


def _frame_count(
    stream: av.video.stream.VideoStream, fps: float | None, duration_s: float | None
) -> tuple[int | None, CountSource | None]:
    if stream.frames:
        return stream.frames, "container"
    if fps and duration_s is not None:
        return round(fps * duration_s), "estimated"
    return None, None
