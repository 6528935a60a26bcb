"""Decode a bounded sample of a video's frames as small grayscale images.

Black and frozen frame checks need decoded pixels, but decoding every frame
of a 250 MB delivery is too slow for a default suite. A video of at most
`max_frames` frames is decoded whole. A longer one is sampled in `windows`
evenly spaced runs of consecutive frames, reached by seeking, so a frozen
stretch is still seen as consecutive frames. Each kept frame is scaled to
`width` pixels wide in gray before any arithmetic, which keeps the per-frame
cost small.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import av.error
import numpy as np

from worker.faults import gate_side
from worker.video.probe import describe_error, first_video_stream, open_container, probe_video

DEFAULT_MAX_FRAMES = 240
DEFAULT_WINDOWS = 4
DEFAULT_WIDTH = 64


@dataclass(frozen=True)
class FrameSample:
    """Per-frame statistics of the sampled frames, in decode order.

    `mean_luma` is the mean gray level (0 to 255, full range) of each frame.
    `diff_to_previous` is the mean absolute gray-level difference to the
    previous frame of the same window, NaN for the first frame of a window.
    `complete` is false when the time budget or a decoder error (`error`)
    stopped sampling early.
    """

    times_s: np.ndarray
    mean_luma: np.ndarray
    diff_to_previous: np.ndarray
    windows: int
    fps: float | None
    complete: bool
    error: str | None
    elapsed_s: float

    @property
    def frames(self) -> int:
        return int(self.times_s.size)


def sample_frames(
    path: Path,
    *,
    max_frames: int = DEFAULT_MAX_FRAMES,
    windows: int = DEFAULT_WINDOWS,
    width: int = DEFAULT_WIDTH,
    time_budget_s: float | None = None,
) -> FrameSample:
    """Decode at most `max_frames` frames of `path` and measure luma and frame-to-frame change.

    Raises `VideoOpenError` when the container cannot be opened.
    """
    probe = probe_video(path)
    starts_s, window_len = _plan_windows(probe.frame_count, probe.fps, probe.duration_s, probe.start_s, max_frames, windows)
    collector = _Collector(width)
    started = time.monotonic()
    error: str | None = None
    complete = True
    with open_container(path) as container:
        stream = first_video_stream(container)
        stream.thread_type = "AUTO"
        half_frame_s = 0.5 / probe.fps if probe.fps else 0.0
        try:
            for start_s in starts_s:
                if start_s is not None:
                    container.seek(int(start_s / stream.time_base), stream=stream, backward=True)
                if not collector.read_window(container, stream, start_s, half_frame_s, window_len, started, time_budget_s):
                    complete = False
                    break
        except (av.error.FFmpegError, EOFError) as decode_error:
            if gate_side(decode_error):
                raise
            error = describe_error(decode_error)
            complete = False
    return collector.result(len(starts_s), probe.fps, complete, error, time.monotonic() - started)


def _plan_windows(
    frame_count: int | None,
    fps: float | None,
    duration_s: float | None,
    start_s: float,
    max_frames: int,
    windows: int,
) -> tuple[list[float | None], int | None]:
    """Return the start time of each window (None: from the beginning, no seek) and its length in frames."""
    if frame_count is None or frame_count <= max_frames or not fps or duration_s is None or windows < 2:
        return [None], max_frames
    window_len = max(2, max_frames // windows)
    span_s = max(0.0, duration_s - window_len / fps)
    return [start_s + span_s * k / (windows - 1) for k in range(windows)], window_len


class _Collector:
    def __init__(self, width: int) -> None:
        self.width = width
        self.times: list[float] = []
        self.luma: list[float] = []
        self.diffs: list[float] = []

    def read_window(
        self,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        start_s: float | None,
        half_frame_s: float,
        window_len: int | None,
        started: float,
        time_budget_s: float | None,
    ) -> bool:
        """Append one window's frames; return False when the time budget ran out."""
        previous: np.ndarray | None = None
        kept = 0
        for frame in container.decode(stream):
            if time_budget_s is not None and time.monotonic() - started > time_budget_s:
                return False
            # Seeking lands on the keyframe before the target, so frames
            # before the window start are decoded but not kept.
            if start_s is not None and frame.time is not None and frame.time < start_s - half_frame_s:
                continue
            gray = self._gray(frame)
            self.times.append(frame.time if frame.time is not None else float("nan"))
            self.luma.append(float(gray.mean()))
            self.diffs.append(float("nan") if previous is None else float(np.abs(gray - previous).mean()))
            previous = gray
            kept += 1
            if window_len is not None and kept >= window_len:
                break
        return True

    def _gray(self, frame: av.VideoFrame) -> np.ndarray:
        height = max(1, round(self.width * frame.height / max(1, frame.width)))
        small = frame.reformat(width=self.width, height=height, format="gray")
        return small.to_ndarray().astype(np.int16)

    def result(self, windows: int, fps: float | None, complete: bool, error: str | None, elapsed_s: float) -> FrameSample:
        return FrameSample(
            times_s=np.asarray(self.times, dtype=np.float64),
            mean_luma=np.asarray(self.luma, dtype=np.float64),
            diff_to_previous=np.asarray(self.diffs, dtype=np.float64),
            windows=windows,
            fps=fps,
            complete=complete,
            error=error,
            elapsed_s=elapsed_s,
        )


def longest_run(mask: np.ndarray) -> tuple[int, int]:
    """Return the length and start index of the longest run of True values in `mask` (0, -1 when none)."""
    best_len, best_start = 0, -1
    run_len, run_start = 0, 0
    for index, value in enumerate(mask.tolist()):
        if value:
            if run_len == 0:
                run_start = index
            run_len += 1
            if run_len > best_len:
                best_len, best_start = run_len, run_start
        else:
            run_len = 0
    return best_len, best_start
