"""LeRobot checks on frame data: per-episode sequences, lengths, order and values.

`worker.checks.builtin.lerobot` registers these functions as built-in checks.
Each reads only the columns it needs and works on whole-dataset arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import Field

from worker.checks.results import CheckResult, Example, Severity, Status, failed, passed
from worker.lerobot.frames import FrameData, Groups
from worker.lerobot.inputs import (
    MAX_EXAMPLES,
    LayoutArgs,
    Unavailable,
    need_array,
    need_episodes,
    need_frames,
    need_layout,
    row_locator,
)
from worker.lerobot.layout import LeRobotLayout
from worker.lerobot.sequences import (
    StepViolations,
    bad_starts,
    episode_runs,
    global_step_violations,
    rows_per_episode,
    step_violations,
)
from worker.lerobot.text import index_ranges, number, plural, seconds
from worker.lerobot.values import as_matrix, constant_mask, count_non_finite

DEFAULT_VALUE_COLUMNS = ["observation.state", "action"]


def _load(
    ctx: Any, name: str, args: LayoutArgs, columns: list[str], also_read: list[str] | None = None
) -> tuple[LeRobotLayout, FrameData, list[np.ndarray]]:
    """Return the layout, the frame data and `columns` as arrays, reading `also_read` in the same pass."""
    layout = need_layout(ctx, name, args.require_layout)
    frames = need_frames(ctx, name, layout, columns + (also_read or []))
    return layout, frames, [need_array(frames, name, c) for c in columns]


def _step_examples(frames: FrameData, violations: StepViolations, column: str) -> list[Example]:
    locate = row_locator(frames)
    examples = []
    for i in range(min(MAX_EXAMPLES, violations.count)):
        member, row = locate(violations.rows[i])
        value = f"{violations.previous[i]} -> {violations.values[i]}"
        examples.append(Example(member=member, episode=int(violations.episodes[i]), row=row, column=column, value=value))
    return examples


def _where(example: Example) -> str:
    return f"episode {example.episode}, {example.member} row {example.row}"


def check_frame_index(ctx: Any, args: LayoutArgs) -> list[CheckResult]:
    """Check that frame_index runs 0, 1, 2, ... without gaps in every episode."""
    name = "lerobot.frame_index"
    try:
        _, frames, (episode_index, frame_index) = _load(ctx, name, args, ["episode_index", "frame_index"])
    except Unavailable as stop:
        return [stop.result]
    groups = Groups.of(episode_index)
    violations = step_violations(groups, episode_index, frame_index, step=1)
    start_episodes, start_values = bad_starts(groups, frame_index, 0)
    bad_episodes = np.union1d(violations.episodes_affected(), start_episodes)
    total = len(groups.episodes)
    if len(bad_episodes) == 0:
        return [
            passed(
                name,
                f"frame_index runs from 0 without gaps in all {plural(total, 'episode')} ({plural(frames.num_rows, 'frame')})",
                failed_count=0,
                total_count=total,
            )
        ]

    examples = _step_examples(frames, violations, "frame_index")
    parts = []
    if violations.count:
        parts.append(
            f"{plural(violations.count, 'step')} that {'is' if violations.count == 1 else 'are'} not +1 "
            f"(e.g. {_where(examples[0])}: {examples[0].value})"
        )
    if len(start_episodes):
        parts.append(
            f"{plural(len(start_episodes), 'episode')} not starting at 0 "
            f"(e.g. episode {start_episodes[0]} starts at {start_values[0]})"
        )
    return [
        failed(
            name,
            f"frame_index breaks in {len(bad_episodes)} of {total} episodes: " + "; ".join(parts),
            column="frame_index",
            failed_count=len(bad_episodes),
            total_count=total,
            examples=examples,
            details={"bad_steps": violations.count, "bad_starts": len(start_episodes), "episodes": bad_episodes.tolist()[:100]},
        )
    ]


class TimestampArgs(LayoutArgs):
    tolerance_s: float | None = Field(
        default=None,
        ge=0,
        description="Allowed deviation of each step from 1/fps, in seconds; default tolerance_frames / fps.",
    )
    tolerance_frames: float = Field(
        default=0.1,
        ge=0,
        description="Allowed deviation in frame periods when tolerance_s is not set (0.1 = 3.3 ms at 30 fps).",
    )


def check_timestamp_step(ctx: Any, args: TimestampArgs) -> list[CheckResult]:
    """Check that timestamps step by 1/fps within a tolerance inside every episode."""
    name = "lerobot.timestamp_step"
    try:
        layout, frames, (episode_index, timestamp) = _load(ctx, name, args, ["episode_index", "timestamp"])
    except Unavailable as stop:
        return [stop.result]
    period = 1.0 / layout.fps
    tolerance = args.tolerance_s if args.tolerance_s is not None else args.tolerance_frames * period
    groups = Groups.of(episode_index)
    violations = step_violations(groups, episode_index, timestamp.astype(np.float64), step=period, tolerance=tolerance)
    total = len(groups.episodes)
    expected = f"1/{layout.fps:g} s = {seconds(period)} (tolerance {seconds(tolerance)})"
    if violations.count == 0:
        return [
            passed(
                name,
                f"timestamps step by {expected} in all {plural(total, 'episode')}",
                failed_count=0,
                total_count=violations.steps_checked,
            )
        ]

    steps = violations.steps
    worst = int(np.nanargmax(np.abs(steps - period))) if not np.isnan(steps).all() else 0
    locate = row_locator(frames)
    member, row = locate(violations.rows[worst])
    episodes = violations.episodes_affected()
    largest = float(steps[worst])
    examples = _step_examples(frames, violations, "timestamp")
    return [
        failed(
            name,
            f"{plural(violations.count, 'timestamp step')} of {number(violations.steps_checked)} "
            f"{'is' if violations.count == 1 else 'are'} not {expected}, in {len(episodes)} of {total} episodes; "
            f"largest jump {largest:.3f} s at episode {violations.episodes[worst]}, {member} row {row} "
            f"({violations.previous[worst]:.3f} -> {violations.values[worst]:.3f} s)",
            column="timestamp",
            failed_count=violations.count,
            total_count=violations.steps_checked,
            observed=largest,
            expected=period,
            examples=examples,
            details={"tolerance_s": tolerance, "episodes": episodes.tolist()[:100], "largest_jump_s": largest},
        )
    ]


class IndexArgs(LayoutArgs):
    start: int | None = Field(default=0, description="Value the first frame's index must have; null to accept any start.")


def check_index_contiguous(ctx: Any, args: IndexArgs) -> list[CheckResult]:
    """Check that the global `index` column counts up by 1 across the whole dataset in episode order."""
    name = "lerobot.index_contiguous"
    try:
        _, frames, (episode_index, index) = _load(ctx, name, args, ["episode_index", "index"])
    except Unavailable as stop:
        return [stop.result]

    groups = Groups.of(episode_index)
    violations = global_step_violations(groups, episode_index, index, step=1)
    first = int(index[groups.order[0]]) if len(index) else None
    wrong_start = args.start is not None and first is not None and first != args.start
    if violations.count == 0 and not wrong_start:
        return [
            passed(
                name,
                f"index runs {first}..{int(index.max()) if len(index) else first} without gaps over {plural(len(index), 'frame')}",
                failed_count=0,
                total_count=len(index),
            )
        ]

    parts = []
    examples = _step_examples(frames, violations, "index")
    if violations.count:
        parts.append(
            f"{plural(violations.count, 'break')} in {plural(len(violations.episodes_affected()), 'episode')} "
            f"(e.g. {_where(examples[0])}: {examples[0].value})"
        )
    if wrong_start:
        parts.append(f"it starts at {first}, expected {args.start}")
    return [
        failed(
            name,
            "index is not contiguous in episode order: " + "; ".join(parts),
            column="index",
            failed_count=violations.count + int(wrong_start),
            total_count=max(violations.steps_checked, 1),
            examples=examples,
        )
    ]


def check_episode_lengths(ctx: Any, args: LayoutArgs) -> list[CheckResult]:
    """Check that each episode's number of frames equals its `length` in the episodes metadata."""
    name = "lerobot.episode_lengths"
    try:
        layout, frames, (episode_index,) = _load(ctx, name, args, ["episode_index"])
        records = need_episodes(ctx, name, layout)
    except Unavailable as stop:
        return [stop.result]
    actual = rows_per_episode(Groups.of(episode_index))
    declared = {r.episode_index: r.length for r in records}
    source = records[0].member if records else "the episodes metadata"
    wrong = sorted(e for e in declared.keys() & actual.keys() if declared[e] != actual[e])
    no_rows = sorted(declared.keys() - actual.keys())
    no_record = sorted(actual.keys() - declared.keys())
    total = len(declared.keys() | actual.keys())
    bad = len(wrong) + len(no_rows) + len(no_record)
    if bad == 0:
        return [passed(name, f"all {plural(total, 'episode')} have the length {source} declares", failed_count=0, total_count=total)]

    parts = []
    if wrong:
        e = wrong[0]
        parts.append(
            f"{plural(len(wrong), 'episode')} with a different number of frames "
            f"(e.g. episode {e} has {number(actual[e])} frames, length {declared[e]})"
        )
    if no_rows:
        parts.append(f"{plural(len(no_rows), 'declared episode')} without frames ({index_ranges(no_rows)})")
    if no_record:
        parts.append(f"{plural(len(no_record), 'episode')} in the data but not in the metadata ({index_ranges(no_record)})")
    examples = [Example(episode=e, value={"frames": actual[e], "length": declared[e]}) for e in wrong[:MAX_EXAMPLES]]
    return [
        failed(
            name,
            f"{bad} of {total} episodes disagree with {source}: " + "; ".join(parts),
            failed_count=bad,
            total_count=total,
            examples=examples,
        )
    ]


def _metadata_order_problems(records: list[Any]) -> list[str]:
    indices = np.array([r.episode_index for r in records], dtype=np.int64)
    if len(indices) < 2:
        return []
    problems = []
    backwards = np.nonzero(np.diff(indices) < 0)[0]
    if len(backwards):
        i = int(backwards[0])
        problems.append(
            f"the episodes metadata lists {plural(len(backwards), 'episode')} out of order "
            f"(e.g. episode {indices[i + 1]} after {indices[i]})"
        )
    values, counts = np.unique(indices, return_counts=True)
    if (counts > 1).any():
        problems.append(f"the episodes metadata repeats episodes {index_ranges(values[counts > 1])}")
    return problems


def _file_name_problems(layout: LeRobotLayout, frames: FrameData, episode_index: np.ndarray) -> tuple[list[str], list[Example]]:
    """Find v2.x rows whose episode_index differs from the episode named in their file name."""
    named = []
    for member in frames.readable:
        indices = layout.data_file_indices(member) or {}
        named.append(indices.get("episode_index", -1))
    counts = [frames.row_counts[m] for m in frames.readable]
    expected = np.repeat(np.array(named, dtype=np.int64), counts)
    wrong_rows = np.nonzero(expected != episode_index)[0]
    if not len(wrong_rows):
        return [], []
    locate = row_locator(frames)
    member, row = locate(wrong_rows[0])
    wrong_files = {locate(r)[0] for r in wrong_rows}
    problem = (
        f"{plural(len(wrong_files), 'data file')} contain rows of another episode than the one in their name "
        f"(e.g. {member} row {row} has episode_index {episode_index[wrong_rows[0]]})"
    )
    return [problem], [Example(member=member, row=row, column="episode_index", value=int(episode_index[wrong_rows[0]]))]


def check_episode_order(ctx: Any, args: LayoutArgs) -> list[CheckResult]:
    """Check that episodes appear in increasing order, each in one block, in the data and the metadata."""
    name = "lerobot.episode_order"
    try:
        layout, frames, (episode_index,) = _load(ctx, name, args, ["episode_index"])
    except Unavailable as stop:
        return [stop.result]

    problems: list[str] = []
    examples: list[Example] = []
    starts, run_episodes = episode_runs(episode_index)
    backwards = np.nonzero(np.diff(run_episodes) < 0)[0]
    if len(backwards):
        i = int(backwards[0])
        member, row = row_locator(frames)(starts[i + 1])
        problems.append(
            f"the data goes back from episode {run_episodes[i]} to {run_episodes[i + 1]} "
            f"{plural(len(backwards), 'time')} (e.g. {member} row {row})"
        )
        examples.append(Example(member=member, row=row, episode=int(run_episodes[i + 1]), column="episode_index"))
    values, counts = np.unique(run_episodes, return_counts=True)
    split = values[counts > 1]
    if len(split):
        problems.append(f"{plural(len(split), 'episode')} split into several blocks of rows ({index_ranges(split)})")

    if not layout.is_v3:
        file_problems, file_examples = _file_name_problems(layout, frames, episode_index)
        problems += file_problems
        examples += file_examples
    try:
        records = need_episodes(ctx, name, layout)
        problems += _metadata_order_problems(records)
    except Unavailable:
        pass  # lerobot.episode_lengths reports missing or unreadable episodes metadata

    total = len(np.unique(episode_index))
    if not problems:
        return [passed(name, f"all {plural(total, 'episode')} appear in increasing order", failed_count=0, total_count=total)]
    return [
        failed(
            name,
            "episodes are out of order: " + "; ".join(problems),
            failed_count=len(problems),
            total_count=total,
            examples=examples[:MAX_EXAMPLES],
        )
    ]


class V3IndicesArgs(LayoutArgs):
    tolerance_frames: float = Field(
        default=1.0,
        ge=0,
        description="Allowed difference, in frame periods, between a video span and length / fps.",
    )


def _v3_row_problems(layout: LeRobotLayout, frames: FrameData, records: list[Any], episode_index: np.ndarray, index: np.ndarray) -> list[tuple[int, str]]:
    groups = Groups.of(episode_index)
    ordered = index[groups.order]
    lowest = np.minimum.reduceat(ordered, groups.starts) if len(ordered) else ordered
    highest = np.maximum.reduceat(ordered, groups.starts) if len(ordered) else ordered
    member_of_row = frames.row_member()[groups.order]
    first_member = np.minimum.reduceat(member_of_row, groups.starts) if len(ordered) else member_of_row
    last_member = np.maximum.reduceat(member_of_row, groups.starts) if len(ordered) else member_of_row
    position = {int(e): g for g, e in enumerate(groups.episodes)}
    problems = []
    for record in records:
        g = position.get(record.episode_index)
        if g is None:
            problems.append((record.episode_index, f"episode {record.episode_index} has no rows in the data"))
            continue
        low, high, count = int(lowest[g]), int(highest[g]), int(groups.counts[g])
        if (record.dataset_from_index, record.dataset_to_index) != (low, high + 1) or high - low + 1 != count:
            problems.append(
                (
                    record.episode_index,
                    f"episode {record.episode_index}: dataset_from_index {record.dataset_from_index}, "
                    f"dataset_to_index {record.dataset_to_index}, but its {number(count)} rows have index {low}..{high}",
                )
            )
        if record.data_chunk_index is not None and record.data_file_index is not None:
            declared = layout.data_file_v3(record.data_chunk_index, record.data_file_index)
            actual = {frames.readable[int(first_member[g])], frames.readable[int(last_member[g])]}
            if actual != {declared}:
                problems.append(
                    (record.episode_index, f"episode {record.episode_index} is declared in {declared} but its rows are in {', '.join(sorted(actual))}")
                )
    return problems


def _v3_video_problems(layout: LeRobotLayout, records: list[Any], tolerance: float) -> list[tuple[int, str]]:
    problems = []
    spans: dict[tuple[str, int | None, int | None], list[tuple[float, float, int]]] = {}
    for record in records:
        for key, span in record.videos.items():
            if span.from_timestamp is None or span.to_timestamp is None:
                problems.append((record.episode_index, f"episode {record.episode_index} {key}: from_timestamp or to_timestamp is missing"))
                continue
            spans.setdefault((key, span.chunk_index, span.file_index), []).append(
                (span.from_timestamp, span.to_timestamp, record.episode_index)
            )
            if record.length is None:
                continue
            duration = span.to_timestamp - span.from_timestamp
            expected = record.length / layout.fps
            if span.from_timestamp < 0 or abs(duration - expected) > tolerance:
                problems.append(
                    (
                        record.episode_index,
                        f"episode {record.episode_index} {key}: video span {span.from_timestamp:.3f}..{span.to_timestamp:.3f} s "
                        f"is {duration:.3f} s, but {record.length} frames at {layout.fps:g} fps last {expected:.3f} s",
                    )
                )
    for (key, _, _), items in spans.items():
        items.sort()
        for (_, previous_end, previous), (start, _, episode) in zip(items, items[1:], strict=False):
            if start < previous_end - tolerance:
                problems.append((episode, f"episode {episode} {key} starts at {start:.3f} s, inside episode {previous} (ends {previous_end:.3f} s)"))
    return problems


def check_v3_indices(ctx: Any, args: V3IndicesArgs) -> list[CheckResult]:
    """Check v3.0 episode metadata: row ranges and data files against the data, video spans against lengths."""
    name = "lerobot.v3_indices"
    try:
        layout = need_layout(ctx, name, args.require_layout)
        if not layout.is_v3:
            return [CheckResult(name, Status.SKIPPED, f"the dataset uses layout {layout.version}; episode row ranges exist only in v3.0")]
        records = need_episodes(ctx, name, layout)
        _, frames, (episode_index, index) = _load(ctx, name, args, ["episode_index", "index"])
    except Unavailable as stop:
        return [stop.result]

    tolerance = args.tolerance_frames / layout.fps
    problems = _v3_row_problems(layout, frames, records, episode_index, index)
    problems += _v3_video_problems(layout, records, tolerance)
    total = len(records)
    if not problems:
        return [
            passed(
                name,
                f"row ranges, data files and video spans of all {plural(total, 'episode')} agree with the data",
                failed_count=0,
                total_count=total,
            )
        ]

    bad = sorted({e for e, _ in problems})
    shown = "; ".join(text for _, text in problems[:3])
    more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
    return [
        failed(
            name,
            f"{len(bad)} of {total} episodes have metadata that disagrees with the data: {shown}{more}",
            failed_count=len(bad),
            total_count=total,
            examples=[Example(episode=e, value=text) for e, text in problems[:MAX_EXAMPLES]],
        )
    ]


class ValueColumnsArgs(LayoutArgs):
    columns: list[str] = Field(
        default_factory=lambda: list(DEFAULT_VALUE_COLUMNS),
        description="Vector columns to inspect; default observation.state and action.",
    )


def _dimension_names(layout: LeRobotLayout, column: str, width: int) -> list[str]:
    feature = layout.features.get(column)
    names = feature.element_names if feature is not None else None
    if names is None or len(names) != width:
        return [f"{column}[{i}]" for i in range(width)]
    return names


def _column_or_result(ctx: Any, name: str, layout: LeRobotLayout, frames: FrameData, column: str) -> np.ndarray | CheckResult:
    declared = column in layout.features
    if not declared and len(frames.members_missing(column)) == len(frames.readable):
        return CheckResult(name, Status.SKIPPED, f"{column} is neither declared nor in the data", column=column)
    try:
        return need_array(frames, name, column)
    except Unavailable as stop:
        stop.result.column = column
        return stop.result


def check_finite_values(ctx: Any, args: ValueColumnsArgs) -> list[CheckResult]:
    """Check that state and action columns hold no NaN or infinite values, per dimension."""
    name = "lerobot.finite_values"
    try:
        layout, frames, (episode_index,) = _load(ctx, name, args, ["episode_index"], also_read=args.columns)
    except Unavailable as stop:
        return [stop.result]
    results = []
    locate = row_locator(frames)
    for column in args.columns:
        values = _column_or_result(ctx, name, layout, frames, column)
        if isinstance(values, CheckResult):
            results.append(values)
            continue
        counts = count_non_finite(values)
        matrix = as_matrix(values)
        elements = matrix.size
        if counts.total == 0:
            results.append(passed(name, f"{column}: all {number(elements)} values are finite", column=column, failed_count=0, total_count=elements))
            continue
        names = _dimension_names(layout, column, matrix.shape[1])
        bad_dims = np.nonzero(counts.nan_counts + counts.inf_counts)[0]
        listed = ", ".join(
            f"{names[d]} ({_kinds(int(counts.nan_counts[d]), int(counts.inf_counts[d]))})" for d in bad_dims[:6]
        )
        if len(bad_dims) > 6:
            listed += f", and {len(bad_dims) - 6} more"
        first_row = min(r for r in (counts.first_nan_row, counts.first_inf_row) if r is not None)
        member, row = locate(first_row)
        bad_rows = ~np.isfinite(matrix).all(axis=1)
        episodes = np.unique(episode_index[bad_rows])
        results.append(
            failed(
                name,
                f"{column} has {number(int(counts.nan_counts.sum()))} NaN and {number(int(counts.inf_counts.sum()))} infinite values "
                f"in {len(bad_dims)} of {matrix.shape[1]} dimensions, {plural(len(episodes), 'episode')}: {listed}; "
                f"first at episode {episode_index[first_row]}, {member} row {row}",
                column=column,
                failed_count=counts.total,
                total_count=elements,
                examples=[
                    Example(member=member, episode=int(episode_index[first_row]), row=row, column=column, value=names[int(bad_dims[0])])
                ],
                details={
                    "nan_per_dimension": {names[d]: int(counts.nan_counts[d]) for d in bad_dims},
                    "inf_per_dimension": {names[d]: int(counts.inf_counts[d]) for d in bad_dims},
                    "episodes": episodes.tolist()[:100],
                },
            )
        )
    return results


def _kinds(nan: int, inf: int) -> str:
    parts = []
    if nan:
        parts.append(f"{number(nan)} NaN")
    if inf:
        parts.append(f"{number(inf)} infinite")
    return ", ".join(parts)


class ConstantArgs(ValueColumnsArgs):
    max_std: float = Field(default=0.0, ge=0, description="Standard deviation at or below which a dimension counts as constant.")
    min_fraction: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Report a dimension only when it is constant in at least this fraction of episodes (0: in any episode).",
    )


def check_constant_dimensions(ctx: Any, args: ConstantArgs) -> list[CheckResult]:
    """Report state and action dimensions that do not change over a whole episode (usually a warning)."""
    name = "lerobot.constant_dimensions"
    try:
        layout, frames, (episode_index,) = _load(ctx, name, args, ["episode_index"], also_read=args.columns)
    except Unavailable as stop:
        return [stop.result]
    groups = Groups.of(episode_index)
    episodes = len(groups.episodes)
    threshold = max(1, math.ceil(args.min_fraction * episodes))
    results = []
    for column in args.columns:
        values = _column_or_result(ctx, name, layout, frames, column)
        if isinstance(values, CheckResult):
            results.append(values)
            continue
        mask = constant_mask(groups, values, args.max_std)
        per_dimension = mask.sum(axis=0)
        flagged = np.nonzero(per_dimension >= threshold)[0]
        width = mask.shape[1]
        if not len(flagged):
            results.append(
                passed(name, f"{column}: all {width} dimensions vary within every episode", column=column, failed_count=0, total_count=width)
            )
            continue
        names = _dimension_names(layout, column, width)
        listed = ", ".join(
            f"{names[d]} in {per_dimension[d]} of {episodes} episodes" for d in flagged[:6]
        ) + (f", and {len(flagged) - 6} more" if len(flagged) > 6 else "")
        first_episode = int(groups.episodes[np.nonzero(mask[:, flagged[0]])[0][0]])
        results.append(
            CheckResult(
                check=name,
                status=Status.FAILED,
                severity=Severity.WARNING,
                message=f"{column}: {len(flagged)} of {width} dimensions are constant over a whole episode "
                f"(std <= {args.max_std:g}): {listed}",
                column=column,
                failed_count=len(flagged),
                total_count=width,
                examples=[Example(episode=first_episode, column=column, value=names[int(flagged[0])])],
                details={"constant_episodes_per_dimension": {names[d]: int(per_dimension[d]) for d in flagged}},
            )
        )
    return results
