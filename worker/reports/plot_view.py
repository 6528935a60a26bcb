"""The plots section of the HTML report: charts with one-line captions, and video frames."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from worker.checks.results import CheckResult
from worker.lerobot.text import index_ranges, plural
from worker.reports import svg
from worker.reports.limits import collect_limits

DEFAULT_TOLERANCE_FRAMES = 0.1
TIMESTAMP_CHECK = "lerobot.timestamp_step"


@dataclass
class Plot:
    """One chart: a heading, the SVG markup and a caption that states what it shows in numbers."""

    title: str
    svg: str
    caption: str


@dataclass
class FrameView:
    """One video still as a data: URI, with where in which video it comes from."""

    src: str
    caption: str
    width: int
    height: int


def build_plots(report_data: dict[str, Any], results: list[CheckResult], suites: Iterable[Any] = ()) -> list[Plot]:
    """Draw the timing, length and value-range charts for whatever `report_data` holds."""
    lerobot = report_data.get("lerobot") or {}
    episodes = lerobot.get("episodes") or {}
    indices = episodes.get("index") or []
    plots: list[Plot] = []
    if indices:
        fps = float(lerobot.get("fps") or 0)
        if fps > 0 and any(v is not None for v in episodes.get("step_max", [])):
            plots.append(_timing_plot(episodes, fps, _tolerance_frames(results, suites, fps)))
        plots.append(_length_plot(episodes, lerobot.get("declared_lengths") or {}))
    dimensions = lerobot.get("dimensions") or {}
    if dimensions and indices:
        vectors = {column: list(d.get("names") or []) for column, d in dimensions.items()}
        limits = collect_limits(vectors, results, suites)
        for column, dims in dimensions.items():
            if dims.get("names"):
                plots.append(_range_plot(column, dims, limits.get(column, [])))
    return plots


def _tolerance_frames(results: list[CheckResult], suites: Iterable[Any], fps: float) -> float:
    for result in results:
        tolerance_s = result.details.get("tolerance_s") if result.check == TIMESTAMP_CHECK else None
        if isinstance(tolerance_s, int | float):
            return float(tolerance_s) * fps
    for suite in suites:
        for rule in getattr(suite, "rules", []):
            if getattr(rule, "check", None) == TIMESTAMP_CHECK:
                value = rule.args.get("tolerance_frames")
                if isinstance(value, int | float):
                    return float(value)
    return DEFAULT_TOLERANCE_FRAMES


def _timing_plot(episodes: dict[str, list[Any]], fps: float, tolerance_frames: float) -> Plot:
    indices = episodes["index"]
    lows, highs = episodes["step_min"], episodes["step_max"]
    period = 1.0 / fps
    band = (period * (1 - tolerance_frames), period * (1 + tolerance_frames))
    off = [
        index for index, low, high in zip(indices, lows, highs, strict=True)
        if low is not None and high is not None and (low < band[0] or high > band[1])
    ]
    known = [(high, index) for index, high in zip(indices, highs, strict=True) if high is not None]
    largest, at = max(known)
    caption = (
        f"{plural(len(indices), 'episode')}; each bar spans the episode's smallest to largest step between "
        f"frames, the tick is the median, and the shaded band is 1/fps ± {tolerance_frames:g} frame. "
        f"Largest step {svg.format_number(largest * 1000)} ms (episode {at}). "
    )
    if off:
        verb = "leaves" if len(off) == 1 else "leave"
        caption += f"{plural(len(off), 'episode')} {verb} the band: {index_ranges(off)}."
    else:
        caption += "Every episode stays inside the band."

    chart = svg.timestamp_step_chart(indices, lows, episodes["step_median"], highs, fps, tolerance_frames)
    return Plot("Timestamp step per episode", chart, caption)


def _length_plot(episodes: dict[str, list[Any]], declared_text: dict[str, int]) -> Plot:
    indices, lengths = episodes["index"], episodes["length"]
    declared = {int(k): int(v) for k, v in declared_text.items()}
    differing = [i for i, n in zip(indices, lengths, strict=True) if i in declared and declared[i] != n]
    caption = (
        f"{plural(len(indices), 'episode')}, {min(lengths):,} to {max(lengths):,} rows "
        f"(median {statistics.median(lengths):g}). "
    )
    if declared:
        if differing:
            verb = "differs" if len(differing) == 1 else "differ"
            caption += (f"{plural(len(differing), 'episode')} {verb} from the length in the episodes metadata: "
                        f"{index_ranges(differing)}.")
        else:
            caption += "Every length matches the episodes metadata."

    return Plot("Episode lengths", svg.episode_length_chart(indices, lengths, declared), caption)


def _range_plot(column: str, dims: dict[str, Any], limits: list[list[float | None]]) -> Plot:
    names, lows, highs = dims["names"], dims.get("min") or [], dims.get("max") or []
    outside = []
    for position, name in enumerate(names):
        low, high = lows[position], highs[position]
        bounds = limits[position] if position < len(limits) else [None, None]
        if low is None or high is None:
            continue
        if (bounds[0] is not None and low < bounds[0]) or (bounds[1] is not None and high > bounds[1]):
            outside.append(name)
    bounded = sum(1 for pair in limits if pair[0] is not None or pair[1] is not None)
    non_finite = sum(dims.get("non_finite") or [])
    caption = f"{plural(len(names), 'dimension')}; {bounded} with limits in the rules"
    if outside:
        more = ", …" if len(outside) > 8 else ""
        caption += f", {len(outside)} outside them ({', '.join(outside[:8])}{more})."
    else:
        caption += "."
    if non_finite:
        caption += f" {non_finite:,} values are NaN or infinite and are left out of the ranges."
    element_id = "plot-range-" + column.replace(".", "-")
    chart = svg.value_range_chart(element_id, f"Value range of each {column} dimension", names, lows, highs, limits)
    return Plot(f"Value range of {column}", chart, caption)


def frame_views(report_data: dict[str, Any]) -> list[FrameView]:
    views = []
    for frame in report_data.get("frames") or []:
        where = frame.get("member", "")
        if frame.get("episode") is not None:
            where += f", episode {frame['episode']}"
        views.append(
            FrameView(
                src=f"data:{frame['mime_type']};base64,{frame['data_base64']}",
                caption=f"{where} at {frame.get('time_s', 0):.2f} s",
                width=int(frame.get("width") or 0),
                height=int(frame.get("height") or 0),
            )
        )
    return views


def data_notes(report_data: dict[str, Any]) -> list[str]:
    """Say which data files the episode plots could not read, with a count and an example."""
    lerobot = report_data.get("lerobot") or {}
    unreadable = lerobot.get("unreadable") or {}
    if not unreadable:
        return []
    name, cause = next(iter(unreadable.items()))
    count = int(lerobot.get("unreadable_count") or len(unreadable))
    return [f"{plural(count, 'data file')} left out of the episode plots, e.g. {name}: {cause}"]
