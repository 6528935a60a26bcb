"""Decode a video file end to end, or its keyframes, within a time budget."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av.error

from worker.faults import gate_side
from worker.video.probe import VideoOpenError, describe_error, first_video_stream, open_container

# "packets" reads every compressed packet but decodes none: it proves the
# container's index and sizes hold together, not that the pictures decode.
DecodeMode = Literal["full", "keyframes", "packets"]


@dataclass(frozen=True)
class DecodeReport:
    """Outcome of decoding one file.

    `complete` is true when the decoder reached the end of the stream. It is
    false when the decoder failed (`error` gives the reason) or when the time budget
    ran out first (`timed_out`). `packets` counts the compressed packets read
    from the container, so in ``"keyframes"`` and ``"packets"`` modes it still
    covers every frame.
    """

    mode: DecodeMode
    frames: int
    packets: int
    complete: bool
    timed_out: bool
    error: str | None
    elapsed_s: float
    last_time_s: float | None


def decode_video(path: Path, *, mode: DecodeMode = "full", time_budget_s: float | None = None) -> DecodeReport:
    """Decode `path`'s first video stream and count frames, stopping at an error or the budget.

    Raises `VideoOpenError` when the container cannot be opened at all.
    """
    started = time.monotonic()
    frames = packets = 0
    last_time_s: float | None = None
    with open_container(path) as container:
        stream = first_video_stream(container)
        # Frame threading roughly halves wall time on two cores; the added
        # decoder delay is harmless because frames are only counted.
        stream.thread_type = "AUTO"
        if mode == "keyframes":
            stream.codec_context.skip_frame = "NONKEY"
        try:
            for packet in container.demux(stream):
                if packet.size:
                    packets += 1
                if mode == "packets":
                    continue
                for frame in packet.decode():
                    frames += 1
                    if frame.time is not None:
                        last_time_s = frame.time
                if time_budget_s is not None and time.monotonic() - started > time_budget_s:
                    return DecodeReport(mode, frames, packets, False, True, None, _since(started), last_time_s)
        except (av.error.FFmpegError, EOFError) as error:
            if gate_side(error):
                raise
            return DecodeReport(mode, frames, packets, False, False, describe_error(error), _since(started), last_time_s)
    return DecodeReport(mode, frames, packets, True, False, None, _since(started), last_time_s)


def _since(started: float) -> float:
    return time.monotonic() - started


def frame_times(path: Path, *, decoded: bool = False) -> list[float]:
    """Return the presentation time in seconds of every frame, in display order.

    By default the times come from the container's packets (no decoding, a
    few milliseconds per file). With `decoded`, every frame is decoded and
    frames the decoder cannot produce are missing from the list. Raises
    `VideoOpenError` when the file cannot be opened or decoded.
    """
    times: list[float] = []
    with open_container(path) as container:
        stream = first_video_stream(container)
        time_base = float(stream.time_base)
        try:
            if decoded:
                stream.thread_type = "AUTO"
                times = [frame.time for frame in container.decode(stream) if frame.time is not None]
            else:
                times = [packet.pts * time_base for packet in container.demux(stream) if packet.pts is not None and packet.size]
        except (av.error.FFmpegError, EOFError) as error:
            if gate_side(error):
                raise
            raise VideoOpenError(f"cannot read frame times: {describe_error(error)}") from error
    return sorted(times)
