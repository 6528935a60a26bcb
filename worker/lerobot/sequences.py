"""Vectorised checks of per-episode sequences: frame_index, timestamp and index steps.

Every function takes whole-dataset NumPy columns and a `Groups` of the rows by
episode, so the cost is a few array passes whatever the number of episodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from worker.lerobot.frames import Groups


@dataclass
class StepViolations:
    """Consecutive rows whose step differs from the expected one.

    `rows` are the dataset row numbers (before grouping) of the row after
    each bad step. `previous` and `values` are the two values of the step,
    and `episodes` is the episode of each bad step.
    """

    rows: np.ndarray
    episodes: np.ndarray
    previous: np.ndarray
    values: np.ndarray
    steps_checked: int

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def steps(self) -> np.ndarray:
        return self.values - self.previous

    def episodes_affected(self) -> np.ndarray:
        return np.unique(self.episodes)


def _empty_violations(steps_checked: int, dtype: np.dtype) -> StepViolations:
    empty = np.empty(0, dtype=np.int64)
    return StepViolations(empty, empty, np.empty(0, dtype=dtype), np.empty(0, dtype=dtype), steps_checked)


def step_violations(
    groups: Groups, episode_index: np.ndarray, values: np.ndarray, step: float, tolerance: float = 0.0
) -> StepViolations:
    """Find steps inside each episode that differ from `step` by more than `tolerance`.

    Steps across an episode boundary are not checked, and NaN steps count as violations.
    """
    ordered = values[groups.order]
    if len(ordered) < 2:
        return _empty_violations(0, ordered.dtype)
    inside = ~groups.is_first_in_group()[1:]
    deltas = np.diff(ordered.astype(np.float64) if tolerance else ordered)
    bad = inside & ~(np.abs(deltas - step) <= tolerance)
    after = np.nonzero(bad)[0] + 1
    rows = groups.order[after]
    return StepViolations(
        rows=rows,
        episodes=episode_index[rows],
        previous=ordered[after - 1],
        values=ordered[after],
        steps_checked=int(inside.sum()),
    )


def bad_starts(groups: Groups, values: np.ndarray, start: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the episodes whose first value is not `start`, and those first values."""
    first_values = values[groups.order[groups.starts]]
    bad = first_values != start
    return groups.episodes[bad], first_values[bad]


def global_step_violations(
    groups: Groups, episode_index: np.ndarray, values: np.ndarray, step: int = 1
) -> StepViolations:
    """Find steps that are not `step` over the whole dataset in episode order, across episode boundaries."""
    ordered = values[groups.order]
    if len(ordered) < 2:
        return _empty_violations(0, ordered.dtype)
    after = np.nonzero(np.diff(ordered) != step)[0] + 1
    rows = groups.order[after]
    return StepViolations(
        rows=rows,
        episodes=episode_index[rows],
        previous=ordered[after - 1],
        values=ordered[after],
        steps_checked=len(ordered) - 1,
    )


def rows_per_episode(groups: Groups) -> dict[int, int]:
    return dict(zip(groups.episodes.tolist(), groups.counts.tolist(), strict=True))


def episode_runs(episode_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split rows in file order into runs of one episode; return each run's start row and episode."""
    if len(episode_index) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=episode_index.dtype)
    starts = np.concatenate(([0], np.nonzero(np.diff(episode_index) != 0)[0] + 1))
    return starts, episode_index[starts]
