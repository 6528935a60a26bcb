"""What the LeRobot checks need before they can run: layout, episodes metadata, frame data.

Each `need_*` function returns the input or raises `Unavailable` carrying the
result the check returns instead: SKIPPED when the dataset is simply not a
LeRobot dataset, FAILED when the vendor shipped an input that is missing or
unusable. Our own faults (OSError from the work dir) are not caught here, so
the engine holds the dataset instead of rejecting it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from worker.checks.results import CheckResult, Example, Status, failed
from worker.lerobot.episodes import EPISODES_JSONL, EPISODES_V3_GLOB, EpisodeRecord, EpisodesError, load_episodes
from worker.lerobot.frames import ColumnError, FrameData, describe_unreadable, load_frames
from worker.lerobot.layout import INFO_PATH, LayoutError, LeRobotLayout, load_layout

MAX_EXAMPLES = 5


class LayoutArgs(BaseModel):
    """Arguments shared by every LeRobot check."""

    model_config = ConfigDict(extra="forbid")

    require_layout: bool = Field(
        default=False,
        description="Fail instead of skipping when the dataset has no meta/info.json.",
    )


class Unavailable(Exception):
    """An input of a check is absent or unusable; `result` is what the check returns."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.message)
        self.result = result


def need_layout(ctx: Any, check: str, require: bool = False) -> LeRobotLayout:
    try:
        layout = load_layout(ctx)
    except LayoutError as error:
        raise Unavailable(failed(check, f"cannot check: {INFO_PATH} is invalid: {error}")) from error
    if layout is not None:
        return layout
    if require:
        raise Unavailable(failed(check, f"{INFO_PATH} is missing, so the LeRobot layout cannot be checked"))
    raise Unavailable(
        CheckResult(check, Status.SKIPPED, f"no {INFO_PATH} in the archive, so it is not a LeRobot dataset")
    )


def need_frames(ctx: Any, check: str, layout: LeRobotLayout, columns: list[str]) -> FrameData:
    frames = load_frames(ctx, layout, columns)
    if not frames.members:
        raise Unavailable(failed(check, f"no data files match {layout.data_glob()}", failed_count=0, total_count=0))
    if frames.unreadable:
        examples = [Example(member=m, value=reason) for m, reason in list(frames.unreadable.items())[:MAX_EXAMPLES]]
        raise Unavailable(
            failed(
                check,
                f"cannot check: {describe_unreadable(frames)}",
                failed_count=len(frames.unreadable),
                total_count=len(frames.members),
                examples=examples,
                details={"cause": "unreadable_data"},
            )
        )
    return frames


def need_array(frames: FrameData, check: str, column: str) -> np.ndarray:
    try:
        return frames.array(column)
    except ColumnError as error:
        raise Unavailable(failed(check, f"cannot check: {error}", column=column)) from error


def need_episodes(ctx: Any, check: str, layout: LeRobotLayout) -> list[EpisodeRecord]:
    where = EPISODES_V3_GLOB if layout.is_v3 else EPISODES_JSONL
    try:
        records = load_episodes(ctx, layout)
    except EpisodesError as error:
        raise Unavailable(failed(check, f"cannot check: {error}")) from error
    if records is None:
        raise Unavailable(failed(check, f"cannot check: the episodes metadata ({layout.member(where)}) is missing"))
    return records


def optional_episodes(ctx: Any, layout: LeRobotLayout) -> list[EpisodeRecord] | None:
    """Return the episodes metadata, or None when it is absent or unreadable."""
    try:
        return load_episodes(ctx, layout)
    except EpisodesError:
        return None


def row_locator(frames: FrameData) -> Callable[[int], tuple[str, int]]:
    """Return a function mapping a dataset row number to (data file, row inside it)."""
    members = frames.readable
    row_member = frames.row_member()
    row_in_member = frames.row_in_member()

    def locate(row: int) -> tuple[str, int]:
        return members[int(row_member[row])], int(row_in_member[row])

    return locate
