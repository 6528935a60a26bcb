"""Gather the data behind the HTML report's plots while the archive is still open.

`collect_report_data` runs right after the checks, on the same open source
and check cache. Its result is a plain dict (picklable and JSON-safe) that
`GateRecord.report_data` carries to the HTML writer:

- ``lerobot``: fps, per-episode row counts and timestamp steps (min, median,
  max), declared episode lengths, and per-dimension min/max of
  ``observation.state`` and ``action``;
- ``frames``: a few JPEG stills per camera, base64-encoded;
- ``notes``: what could not be gathered and why.

Each part is gathered on its own, so a failure in one (a video FFmpeg cannot
open) leaves the others in the report. Nothing here changes the verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog

from worker.lerobot.episodes import EpisodesError, load_episodes
from worker.lerobot.layout import LayoutError, LeRobotLayout, load_layout
from worker.reports.episode_data import summarize_episodes
from worker.reports.frame_grabs import BUDGET_S, grab_report_frames, pick_videos
from worker.verdict import Evaluation

log = structlog.get_logger(__name__)

REPORT_DATA_VERSION = 1


class _CacheView:
    """The attributes of a check context that the LeRobot readers use."""

    def __init__(self, source: Any, cache: dict[str, Any]) -> None:
        self.source = source
        self.cache = cache


def collect_report_data(
    source: Any, ctx_cache: dict[str, Any], evaluation: Evaluation | None = None, *, frame_budget_s: float = BUDGET_S
) -> dict[str, Any]:
    """Gather per-episode timing, value ranges and video frames of an open dataset.

    `ctx_cache` is the check context's cache, so data the checks already read
    is reused. `evaluation` is accepted for callers that have it; the plots
    take their limits from the results at render time.
    """
    started = time.monotonic()
    data: dict[str, Any] = {"version": REPORT_DATA_VERSION, "notes": []}
    view = _CacheView(source, ctx_cache)
    layout = _guarded(data, "layout", lambda: _layout(view))

    if layout is not None:
        lerobot = _guarded(data, "episode data", lambda: _episode_data(source, ctx_cache, view, layout))
        if lerobot is not None:
            data["lerobot"] = lerobot

    picks = _guarded(data, "video choice", lambda: pick_videos(source, ctx_cache, layout)) or []
    grabbed = _guarded(data, "video frames", lambda: grab_report_frames(source, ctx_cache, picks, frame_budget_s))
    if grabbed is not None:
        frames, notes = grabbed
        data["frames"] = frames
        data["notes"].extend(notes)

    log.debug("report_data_collected", elapsed_s=round(time.monotonic() - started, 3),
              frames=len(data.get("frames", [])), notes=len(data["notes"]))
    return data


def _guarded(data: dict[str, Any], what: str, gather: Callable[[], Any]) -> Any:
    try:
        return gather()
    except Exception as error:  # noqa: BLE001 - a plot that cannot be drawn must not cost the others
        log.warning("report_data_part_failed", part=what, error=f"{type(error).__name__}: {error}")
        data["notes"].append(f"{what} not gathered: {type(error).__name__}: {error}")
        return None


def _layout(view: _CacheView) -> LeRobotLayout | None:
    try:
        return load_layout(view)
    except LayoutError:
        # The layout check reports why; without a layout there is nothing to plot.
        return None


def _episode_data(source: Any, cache: dict[str, Any], view: _CacheView, layout: LeRobotLayout) -> dict[str, Any]:
    summary = summarize_episodes(source, cache, layout)
    try:
        records = load_episodes(view, layout)
    except EpisodesError:
        records = None
    declared = {r.episode_index: r.length for r in records or [] if r.length is not None}
    return summary.to_dict(declared)
