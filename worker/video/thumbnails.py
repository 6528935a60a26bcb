"""Grab a few frames of a video as small JPEG or PNG images for reports."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import av.error

from worker.video.probe import VideoOpenError, describe_error, first_video_stream, open_container, probe_video

ImageFormat = Literal["jpeg", "png"]

# Encoder, the pixel format it takes, and the MIME type of its output.
_ENCODERS = {"jpeg": ("mjpeg", "yuvj420p", "image/jpeg"), "png": ("png", "rgb24", "image/png")}


@dataclass(frozen=True)
class Thumbnail:
    """One encoded still image and the video time it shows."""

    time_s: float
    width: int
    height: int
    mime_type: str
    data: bytes


def grab_frames(path: Path, *, count: int = 3, width: int = 320, image_format: ImageFormat = "jpeg") -> list[Thumbnail]:
    """Encode `count` frames spread evenly over `path`, scaled to `width` pixels wide.

    Raises `VideoOpenError` when the file cannot be opened or a frame cannot
    be decoded.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if width < 2:
        raise ValueError(f"width must be at least 2 pixels, got {width}")
    probe = probe_video(path)
    duration_s = probe.duration_s or 0.0
    targets_s = [probe.start_s + duration_s * (k + 0.5) / count for k in range(count)]
    thumbnails: list[Thumbnail] = []
    with open_container(path) as container:
        stream = first_video_stream(container)
        try:
            for target_s in targets_s:
                frame = _frame_at(container, stream, target_s)
                if frame is not None:
                    thumbnails.append(_encode(frame, width, image_format))
        except av.error.FFmpegError as error:
            raise VideoOpenError(f"cannot decode a frame for a thumbnail: {describe_error(error)}") from error
    return thumbnails


def _frame_at(container: av.container.InputContainer, stream: av.video.stream.VideoStream, target_s: float) -> av.VideoFrame | None:
    container.seek(int(target_s / stream.time_base), stream=stream, backward=True)
    last = None
    for frame in container.decode(stream):
        last = frame
        if frame.time is None or frame.time >= target_s:
            break
    return last


def _encode(frame: av.VideoFrame, width: int, image_format: ImageFormat) -> Thumbnail:
    codec_name, pix_fmt, mime_type = _ENCODERS[image_format]
    # JPEG's 4:2:0 chroma subsampling needs an even height.
    height = max(2, round(width * frame.height / max(1, frame.width)) // 2 * 2)
    scaled = frame.reformat(width=width, height=height, format=pix_fmt)
    scaled.pts = None
    encoder = av.CodecContext.create(codec_name, "w")
    encoder.width = width
    encoder.height = height
    encoder.pix_fmt = pix_fmt
    # Image encoders ignore timing, but FFmpeg refuses to open one without a time base.
    encoder.time_base = Fraction(1, 25)
    packets = [*encoder.encode(scaled), *encoder.encode(None)]
    return Thumbnail(float(frame.time or 0.0), width, height, mime_type, b"".join(bytes(p) for p in packets))
