"""Find near-black and frozen frames in a sample of decoded frames.

Thresholds are in gray levels (0 to 255, full range) measured on frames
scaled to 64 pixels wide. The 8 AV1 videos of the real G1 LeRobot delivery
come from a mostly static head camera. There, consecutive frames differ by a
median of 0.34 to 0.45 gray levels, and differences below 0.25 never ran
longer than one frame pair. A repeated frame re-encoded with H.264 differs
by exactly 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from worker.video.access import local_video
from worker.video.findings import Finding
from worker.video.sampling import FrameSample, longest_run, sample_frames

_SAMPLE_CACHE_KEY = "video.samples"


@dataclass(frozen=True)
class SamplePlan:
    """How many frames to decode per video and in how many windows."""

    max_frames: int
    windows: int
    width: int


def sample_member(ctx: Any, member: str, plan: SamplePlan, budget_s: float | None) -> FrameSample:
    """Sample `member` once per dataset and plan, so black and frozen checks share one decode.

    Raises `VideoOpenError` or `MemberUnreadable` when the video cannot be read.
    """
    cache: dict[tuple[str, SamplePlan], FrameSample] = ctx.cache.setdefault(_SAMPLE_CACHE_KEY, {})
    key = (member, plan)
    cached = cache.get(key)
    if cached is not None and cached.complete:
        return cached
    with local_video(ctx, member) as path:
        sample = sample_frames(
            path, max_frames=plan.max_frames, windows=plan.windows, width=plan.width, time_budget_s=budget_s
        )
    cache[key] = sample
    return sample


def windows_for_run(plan: SamplePlan, fps: float | None, run_s: float) -> int:
    """Reduce the window count so that one window can hold a run of `run_s` seconds plus a frame."""
    if not fps:
        return plan.windows
    needed = math.ceil(run_s * fps) + 1
    return max(1, min(plan.windows, plan.max_frames // needed))


def black_finding(member: str, sample: FrameSample, max_luma: float, max_fraction: float) -> Finding | None:
    """Report `member` when more than `max_fraction` of its sampled frames are near-black."""
    if sample.frames == 0:
        return None
    black = sample.mean_luma <= max_luma
    count = int(black.sum())
    fraction = count / sample.frames
    if fraction <= max_fraction:
        return None
    first_s = float(sample.times_s[np.argmax(black)])
    text = (
        f"has {count} of {sample.frames} sampled frames near-black ({fraction:.0%}, allowed {max_fraction:.0%}; "
        f"mean gray level <= {max_luma:g}), first at {first_s:.2f} s"
    )
    return Finding(member, text, column="black_frames", value=count)


def frozen_run(sample: FrameSample, max_diff: float) -> tuple[int, float | None]:
    """Return the longest run of near-identical consecutive frames (in frames) and its start time."""
    # A run of n small differences spans n + 1 identical-looking frames.
    still = np.nan_to_num(sample.diff_to_previous, nan=np.inf) < max_diff
    pairs, start = longest_run(still)
    if pairs == 0:
        return 1 if sample.frames else 0, None
    return pairs + 1, float(sample.times_s[start - 1])


def frozen_finding(member: str, sample: FrameSample, max_diff: float, max_frozen_s: float) -> Finding | None:
    """Report `member` when a run of near-identical frames lasts longer than `max_frozen_s`."""
    frames, start_s = frozen_run(sample, max_diff)
    if not sample.fps or start_s is None:
        return None
    run_s = frames / sample.fps
    if run_s <= max_frozen_s:
        return None
    text = (
        f"shows {frames} near-identical consecutive frames ({run_s:.2f} s, allowed {max_frozen_s:g} s) "
        f"from {start_s:.2f} s"
    )
    return Finding(member, text, column="frozen_s", value=round(run_s, 3))
