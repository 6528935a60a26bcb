"""Built-in checks of LeRobot episode datasets (layouts v2.0, v2.1 and v3.0).

Every check skips with a reason when the archive has no ``meta/info.json``
(unless its rule sets ``require_layout: true``) and fails, naming the file,
when the layout, the episodes metadata or the data files are present but
unusable. Frame data is read once per dataset and shared through `ctx.cache`.
The checks on frame data are implemented in `worker.lerobot.frame_checks`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from worker.checks.registry import register
from worker.checks.results import CheckResult, Example, failed, passed
from worker.lerobot import frame_checks
from worker.lerobot.episodes import EpisodesError, read_task_count
from worker.lerobot.frames import FrameData, describe_unreadable, load_frames
from worker.lerobot.inputs import (
    MAX_EXAMPLES,
    LayoutArgs,
    Unavailable,
    need_array,
    need_frames,
    need_layout,
    optional_episodes,
)
from worker.lerobot.layout import INFO_PATH, SUPPORTED_VERSIONS, LayoutError, LeRobotLayout, load_layout
from worker.lerobot.text import index_ranges, number, plural

STANDARD_FEATURES = ["timestamp", "frame_index", "episode_index", "index", "task_index"]


class LayoutCheckArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    versions: list[str] = Field(
        default_factory=lambda: list(SUPPORTED_VERSIONS),
        description="codebase_version values to accept; default every supported one (v2.0, v2.1, v3.0).",
    )
    required_features: list[str] = Field(
        default_factory=lambda: list(STANDARD_FEATURES),
        description="Features info.json must declare; default the five LeRobot writes into every dataset.",
    )
    required_keys: list[str] = Field(
        default_factory=list,
        description="Further top-level info.json keys that must be present, such as robot_type.",
    )


@register("lerobot.layout", args=LayoutCheckArgs)
def check_layout(ctx: Any, args: LayoutCheckArgs) -> list[CheckResult]:
    """Check that meta/info.json exists, parses, has a known codebase_version and the required keys."""
    name = "lerobot.layout"
    try:
        layout = load_layout(ctx)
    except LayoutError as error:
        return [
            failed(
                name,
                f"{INFO_PATH} is invalid ({plural(len(error.problems), 'problem')}): {error}",
                failed_count=len(error.problems),
                details={"problems": error.problems},
            )
        ]
    if layout is None:
        return [failed(name, f"{INFO_PATH} is missing: a LeRobot dataset declares its version, fps and features there")]

    problems = []
    if layout.version not in args.versions:
        problems.append(f"codebase_version {layout.version} is not accepted here (accepted: {', '.join(args.versions)})")
    missing_features = [f for f in args.required_features if f not in layout.features]
    if missing_features:
        problems.append(f"features lack {', '.join(missing_features)}")
    missing_keys = [k for k in args.required_keys if layout.info.get(k) is None]
    if missing_keys:
        problems.append(f"required keys missing or null: {', '.join(missing_keys)}")
    if problems:
        return [
            failed(
                name,
                f"{INFO_PATH}: " + "; ".join(problems),
                failed_count=len(problems),
                observed=layout.version,
                details={"problems": problems},
            )
        ]
    videos = layout.video_keys
    return [
        passed(
            name,
            f"LeRobot {layout.version} layout: {plural(layout.total_episodes, 'episode')}, "
            f"{plural(layout.total_frames, 'frame')} at {layout.fps:g} fps, {plural(len(videos), 'video feature')}",
            observed=layout.version,
        )
    ]


def _count_videos(ctx: Any, layout: LeRobotLayout) -> int:
    pattern = layout.video_glob()
    return len(ctx.source.glob(pattern)) if pattern else 0


def _task_total(ctx: Any, layout: LeRobotLayout, frames: FrameData) -> tuple[int, str]:
    """Count tasks in the tasks file, or distinct task_index values when there is none.

    Raises `EpisodesError` when the tasks file exists but is unreadable.
    """
    counted = read_task_count(ctx.source, layout)
    if counted is not None:
        member, count = counted
        return count, f"tasks in {member}"
    if frames.members_missing("task_index"):
        return 0, "task_index values, because no tasks file or task_index column exists"
    return len(np.unique(frames.array("task_index"))), "distinct task_index values"


@register("lerobot.info_totals", args=LayoutArgs)
def check_info_totals(ctx: Any, args: LayoutArgs) -> list[CheckResult]:
    """Check that total_episodes, total_frames, total_tasks and total_videos in info.json agree with the data."""
    name = "lerobot.info_totals"
    try:
        layout = need_layout(ctx, name, args.require_layout)
        frames = need_frames(ctx, name, layout, ["episode_index", "task_index"])
        episode_index = need_array(frames, name, "episode_index")
    except Unavailable as stop:
        return [stop.result]

    # (key, declared, actual, what the actual number counts)
    comparisons: list[tuple[str, int, int, str]] = [
        ("total_episodes", layout.total_episodes, len(np.unique(episode_index)), "episodes in the data"),
        ("total_frames", layout.total_frames, frames.num_rows, "frames in the data"),
    ]
    uncomparable = []
    if layout.total_tasks is not None:
        try:
            count, what = _task_total(ctx, layout, frames)
            comparisons.append(("total_tasks", layout.total_tasks, count, what))
        except EpisodesError as error:
            uncomparable.append(f"total_tasks cannot be compared: {error}")
    if layout.total_videos is not None and layout.video_path is not None:
        comparisons.append(("total_videos", layout.total_videos, _count_videos(ctx, layout), "video files"))

    problems = [f"{k} is {number(d)} but there are {number(a)} {what}" for k, d, a, what in comparisons if d != a]
    problems += uncomparable
    checked = len(comparisons) + len(uncomparable)
    observed = {k: a for k, _, a, _ in comparisons}
    if problems:
        return [
            failed(
                name,
                f"{len(problems)} of {checked} totals in {INFO_PATH} disagree with the data: " + "; ".join(problems),
                failed_count=len(problems),
                total_count=checked,
                observed=observed,
                expected={k: d for k, d, _, _ in comparisons},
            )
        ]
    summary = ", ".join(f"{k} {number(d)}" for k, d, _, _ in comparisons)
    return [
        passed(
            name,
            f"all {checked} totals agree with the data ({summary})",
            failed_count=0,
            total_count=checked,
            observed=observed,
        )
    ]


class SplitsArgs(LayoutArgs):
    allow_overlap: bool = Field(default=False, description="Accept episodes that belong to more than one split.")


@register("lerobot.splits", args=SplitsArgs)
def check_splits(ctx: Any, args: SplitsArgs) -> list[CheckResult]:
    """Check that the splits in info.json cover every episode 0 .. total_episodes-1 once (at least once with allow_overlap)."""
    name = "lerobot.splits"
    try:
        layout = need_layout(ctx, name, args.require_layout)
    except Unavailable as stop:
        return [stop.result]
    total = layout.total_episodes
    if not layout.splits:
        return [failed(name, f"{INFO_PATH} declares no splits, so no episode is in any split", failed_count=total, total_count=total)]

    coverage = np.zeros(total, dtype=np.int64)
    outside: list[str] = []
    for split, (start, end) in layout.splits.items():
        coverage[min(start, total): min(end, total)] += 1
        if end > total:
            outside.append(f"split {split} ({start}:{end}) reaches past the last episode {total - 1}")
    missing = np.nonzero(coverage == 0)[0]
    repeated = np.nonzero(coverage > 1)[0] if not args.allow_overlap else np.empty(0, dtype=np.int64)
    covered = int((coverage > 0).sum())
    problems = []
    if len(missing):
        problems.append(f"{plural(len(missing), 'episode')} in no split ({index_ranges(missing)})")
    if len(repeated):
        problems.append(f"{plural(len(repeated), 'episode')} in more than one split ({index_ranges(repeated)})")
    problems += outside
    declared = ", ".join(f"{k} {a}:{b}" for k, (a, b) in layout.splits.items())
    if problems:
        return [
            failed(
                name,
                f"splits ({declared}) cover {covered} of {total} episodes: " + "; ".join(problems),
                failed_count=len(missing) + len(repeated) + len(outside),
                total_count=total,
                observed={k: f"{a}:{b}" for k, (a, b) in layout.splits.items()},
                expected=f"0:{total}",
                details={"missing": missing.tolist(), "repeated": repeated.tolist()},
            )
        ]
    return [passed(name, f"splits ({declared}) cover all {total} episodes once", failed_count=0, total_count=total)]


def _names_problem(feature: Any) -> str | None:
    names = feature.element_names
    if names is None:
        return None
    if feature.is_visual:
        if len(names) != len(feature.shape):
            return f"{feature.key} declares shape {list(feature.shape)} but {len(names)} axis names"
        return None
    if len(names) == feature.size:
        return None
    if len(feature.shape) > 1 and len(names) == len(feature.shape):
        return None  # one name per axis, as for images
    return f"{feature.key} declares shape {list(feature.shape)} but {len(names)} names"


def _width_of(field_type: pa.DataType) -> int | None:
    """Return the values per frame that a column type fixes, or None for variable-length lists."""
    if pa.types.is_fixed_size_list(field_type):
        return field_type.list_size
    if pa.types.is_list(field_type) or pa.types.is_large_list(field_type):
        return None
    return 1


def _column_widths(column: pa.ChunkedArray) -> set[int]:
    width = _width_of(column.type)
    if width is not None:
        return {width}
    lengths = pc.list_value_length(column).drop_null().to_numpy(zero_copy_only=False)
    return {int(w) for w in np.unique(lengths)}


def _width_problems(frames: FrameData, feature: Any) -> tuple[str | None, list[Example]]:
    wrong: list[tuple[str, int]] = []
    for member in frames.readable:
        column = frames.arrow.get(feature.key, {}).get(member)
        if column is None:
            continue
        other = sorted(_column_widths(column) - {feature.size})
        if other:
            wrong.append((member, other[0]))
    if not wrong:
        return None, []
    widths = sorted({w for _, w in wrong})
    message = (
        f"{feature.key} declares {feature.size} values per frame but {len(wrong)} of {len(frames.readable)} "
        f"data files have rows of {', '.join(str(w) for w in widths)} (e.g. {wrong[0][0]})"
    )
    return message, [Example(member=m, column=feature.key, value=w) for m, w in wrong[:MAX_EXAMPLES]]


@register("lerobot.feature_shapes", args=LayoutArgs)
def check_feature_shapes(ctx: Any, args: LayoutArgs) -> list[CheckResult]:
    """Check that each feature's shape agrees with its names and with the width of its data column."""
    name = "lerobot.feature_shapes"
    try:
        layout = need_layout(ctx, name, args.require_layout)
    except Unavailable as stop:
        return [stop.result]

    problems: list[str] = []
    examples: list[Example] = []
    bad_features: set[str] = set()
    for feature in layout.features.values():
        problem = _names_problem(feature)
        if problem:
            problems.append(problem)
            bad_features.add(feature.key)
            examples.append(Example(column=feature.key, value={"shape": list(feature.shape), "names": len(feature.element_names or [])}))

    # Widths are checked for flat features only: the data stores a frame of a
    # multi-axis feature as nested lists whose layout LeRobot leaves open.
    data_features = [f for f in layout.features.values() if not f.is_visual and len(f.shape) == 1]
    frames = load_frames(ctx, layout, [f.key for f in data_features])
    blocker = None
    if not frames.members:
        blocker = f"no data files match {layout.data_glob()}"
    elif frames.unreadable:
        blocker = describe_unreadable(frames)
    else:
        for feature in data_features:
            missing = frames.members_missing(feature.key)
            if len(missing) == len(frames.readable):
                problems.append(f"{feature.key} is declared but no data file has that column")
                bad_features.add(feature.key)
                continue
            problem, width_examples = _width_problems(frames, feature)
            if problem:
                problems.append(problem)
                bad_features.add(feature.key)
                examples += width_examples

    total = len(layout.features)
    if problems:
        note = f"; column widths not checked: {blocker}" if blocker else ""
        message = f"{len(bad_features)} of {total} features disagree with their shape: " + "; ".join(problems) + note
    elif blocker:
        message = f"cannot check column widths: {blocker}"
    if problems or blocker:
        return [
            failed(
                name,
                message,
                failed_count=len(bad_features),
                total_count=total,
                examples=examples[:MAX_EXAMPLES],
                details={"problems": problems, "widths_not_checked": blocker},
            )
        ]
    return [passed(name, f"all {total} features agree with their names and data widths", failed_count=0, total_count=total)]


@register("lerobot.schema_consistency", args=LayoutArgs)
def check_schema_consistency(ctx: Any, args: LayoutArgs) -> list[CheckResult]:
    """Check that every data file has the same Parquet schema (column names and types)."""
    name = "lerobot.schema_consistency"
    try:
        layout = need_layout(ctx, name, args.require_layout)
        frames = need_frames(ctx, name, layout, [])
    except Unavailable as stop:
        return [stop.result]

    schemas = {m: frames.schemas[m].remove_metadata() for m in frames.readable}
    keys = {m: str(s) for m, s in schemas.items()}
    counts = Counter(keys.values())
    reference_key, reference_count = counts.most_common(1)[0]
    reference_member = next(m for m, k in keys.items() if k == reference_key)
    reference = schemas[reference_member]
    odd = [m for m, k in keys.items() if k != reference_key]
    total = len(frames.readable)
    if not odd:
        return [passed(name, f"all {total} data files share one schema ({len(reference)} columns)", failed_count=0, total_count=total)]

    examples = []
    descriptions = []
    for member in odd:
        difference = _schema_difference(reference, schemas[member])
        examples.append(Example(member=member, value=difference))
        if len(descriptions) < 3:
            descriptions.append(f"{member}: {difference}")
    return [
        failed(
            name,
            f"{len(odd)} of {total} data files have a schema that differs from the other {reference_count} "
            f"(e.g. {reference_member}): " + "; ".join(descriptions),
            failed_count=len(odd),
            total_count=total,
            examples=examples[:MAX_EXAMPLES],
        )
    ]


def _schema_difference(reference: pa.Schema, other: pa.Schema) -> str:
    parts = []
    missing = [n for n in reference.names if n not in other.names]
    extra = [n for n in other.names if n not in reference.names]
    if missing:
        parts.append(f"lacks {', '.join(missing)}")
    if extra:
        parts.append(f"has extra {', '.join(extra)}")
    for field in reference:
        if field.name in other.names and other.field(field.name).type != field.type:
            parts.append(f"{field.name} is {other.field(field.name).type} instead of {field.type}")
    if not parts and reference.names != other.names:
        parts.append("columns are in a different order")
    return ", ".join(parts) or "nullability differs"


@register("lerobot.declared_videos_present", args=LayoutArgs)
def check_declared_videos_present(ctx: Any, args: LayoutArgs) -> list[CheckResult]:
    """Check that every video file the layout declares for each episode exists in the archive."""
    name = "lerobot.declared_videos_present"
    try:
        layout = need_layout(ctx, name, args.require_layout)
    except Unavailable as stop:
        return [stop.result]
    keys = layout.video_keys
    if not keys:
        return [passed(name, "the layout declares no video features", failed_count=0, total_count=0)]

    episodes = optional_episodes(ctx, layout)
    if layout.is_v3 and episodes is None:
        return [failed(name, "cannot list the declared video files: the v3.0 episodes metadata (meta/episodes/) is missing or unreadable")]
    expected = layout.expected_videos(episodes)
    missing = [v for v in expected if ctx.source.member(v.member) is None]
    total = len(expected)
    episode_count = len({v.episode_index for v in expected})
    if not missing:
        files = len({v.member for v in expected})
        return [
            passed(
                name,
                f"all {plural(total, 'declared episode video')} present "
                f"({plural(len(keys), 'video feature')} x {plural(episode_count, 'episode')}, {plural(files, 'file')})",
                failed_count=0,
                total_count=total,
            )
        ]

    missing_keys = sorted({v.video_key for v in missing})
    missing_episodes = {v.episode_index for v in missing}
    missing_files = sorted({v.member for v in missing})
    if len(missing) == len(missing_keys) * len(missing_episodes):
        shape = f"{plural(len(missing_keys), 'video feature')} x {plural(len(missing_episodes), 'episode')}"
    else:
        shape = f"in {plural(len(missing_episodes), 'episode')} across {plural(len(missing_keys), 'video feature')}"
    unit = "declared video files" if not layout.is_v3 else "declared episode videos"
    where = "" if not layout.is_v3 else f" in {plural(len(missing_files), 'file')}"
    message = f"{number(len(missing))} of {number(total)} {unit} missing ({shape}){where}, e.g. {missing[0].member}"
    return [
        failed(
            name,
            message,
            failed_count=len(missing),
            total_count=total,
            examples=[Example(member=v.member, episode=v.episode_index, column=v.video_key) for v in missing[:MAX_EXAMPLES]],
            details={"missing_files": missing_files[:100], "video_keys": missing_keys},
        )
    ]


@register("lerobot.data_files_present", args=LayoutArgs)
def check_data_files_present(ctx: Any, args: LayoutArgs) -> list[CheckResult]:
    """Check that every data file the layout declares for the episodes exists in the archive."""
    name = "lerobot.data_files_present"
    try:
        layout = need_layout(ctx, name, args.require_layout)
    except Unavailable as stop:
        return [stop.result]
    episodes = optional_episodes(ctx, layout)
    if layout.is_v3 and episodes is None:
        return [failed(name, "cannot list the declared data files: the v3.0 episodes metadata (meta/episodes/) is missing or unreadable")]
    expected = layout.expected_data_files(episodes)
    missing = {member: eps for member, eps in expected.items() if ctx.source.member(member) is None}
    total = len(expected)
    if not missing:
        return [passed(name, f"all {plural(total, 'declared data file')} present", failed_count=0, total_count=total)]
    missing_episodes = sorted({e for eps in missing.values() for e in eps})
    first = next(iter(missing))
    return [
        failed(
            name,
            f"{number(len(missing))} of {number(total)} declared data files missing, holding "
            f"{plural(len(missing_episodes), 'episode')} ({index_ranges(missing_episodes)}), e.g. {first}",
            failed_count=len(missing),
            total_count=total,
            examples=[Example(member=m, episode=eps[0]) for m, eps in list(missing.items())[:MAX_EXAMPLES]],
        )
    ]


register("lerobot.frame_index", args=LayoutArgs)(frame_checks.check_frame_index)
register("lerobot.timestamp_step", args=frame_checks.TimestampArgs)(frame_checks.check_timestamp_step)
register("lerobot.index_contiguous", args=frame_checks.IndexArgs)(frame_checks.check_index_contiguous)
register("lerobot.episode_lengths", args=LayoutArgs)(frame_checks.check_episode_lengths)
register("lerobot.episode_order", args=LayoutArgs)(frame_checks.check_episode_order)
register("lerobot.v3_indices", args=frame_checks.V3IndicesArgs)(frame_checks.check_v3_indices)
register("lerobot.finite_values", args=frame_checks.ValueColumnsArgs)(frame_checks.check_finite_values)
register("lerobot.constant_dimensions", args=frame_checks.ConstantArgs)(frame_checks.check_constant_dimensions)
