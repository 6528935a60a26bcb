"""Derived columns that rules can check like table columns.

Each is computed with numpy in one pass over a batch, per episode, and never
crosses a member or episode boundary. An episode is the rows of one member
that share an ``episode_index``, or all rows of the member when the table has
no such column. Within an episode, rows keep their order in the member.

- ``$timestamp_step``: ``timestamp`` minus the previous row's ``timestamp``
  in the episode; null on the episode's first row.
- ``$frame_index_step``: the same for ``frame_index``.
- ``$index_step``: the same for ``index``.
- ``$row_in_episode``: position of the row in its episode, from 0.
- ``$episode_length``: number of rows of the row's episode (same on every row).

A rule such as ``expect_column_values_to_be_between`` on ``$timestamp_step``
with ``min_value: 0.03``, ``max_value: 0.037`` checks a 30 fps recording for
dropped or repeated frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from worker.checks.expectations.columns import ResolvedColumn

STEP_SOURCES = {
    "$timestamp_step": "timestamp",
    "$frame_index_step": "frame_index",
    "$index_step": "index",
}
POSITIONAL = ("$row_in_episode", "$episode_length")
NAMES = (*STEP_SOURCES, *POSITIONAL)


class UnknownDerivedColumn(ValueError):
    """A rule names a derived column that does not exist; the rule's fault."""


def resolve(reference: str) -> ResolvedColumn:
    """Return the resolved column of a derived column name, or raise `UnknownDerivedColumn`."""
    from worker.checks.expectations.columns import ResolvedColumn

    if reference in STEP_SOURCES:
        return ResolvedColumn(reference, STEP_SOURCES[reference], derived=reference)
    if reference in POSITIONAL:
        return ResolvedColumn(reference, "", derived=reference)
    raise UnknownDerivedColumn(f"unknown derived column {reference!r}; known: {', '.join(NAMES)}")


class EpisodeLayout:
    """Grouping of a batch's rows into episodes, computed once per batch.

    `member_codes` and `episodes` give each row's member and episode. Rows
    are stably sorted by (member, episode), so each episode becomes one
    contiguous run that keeps the member's row order.
    """

    def __init__(self, member_codes: np.ndarray, episodes: np.ndarray) -> None:
        rows = len(member_codes)
        self.order = np.lexsort((episodes, member_codes)) if rows else np.zeros(0, dtype=np.int64)
        sorted_members = member_codes[self.order]
        sorted_episodes = episodes[self.order]
        starts = np.ones(rows, dtype=bool)
        if rows:
            starts[1:] = (sorted_members[1:] != sorted_members[:-1]) | (sorted_episodes[1:] != sorted_episodes[:-1])
        self.first_in_episode_sorted = starts
        run_ids = np.cumsum(starts) - 1
        run_starts = np.flatnonzero(starts)
        self.run_lengths = np.diff(np.append(run_starts, rows))
        self.run_ids_sorted = run_ids
        self.position_sorted = np.arange(rows) - run_starts[run_ids] if rows else np.zeros(0, dtype=np.int64)

    def _unsort(self, sorted_values: np.ndarray) -> np.ndarray:
        out = np.empty_like(sorted_values)
        out[self.order] = sorted_values
        return out

    def step(self, values: np.ndarray) -> np.ndarray:
        """Return each row's difference to the previous row of its episode (NaN on the first row)."""
        sorted_values = values[self.order].astype(np.float64)
        steps = np.empty_like(sorted_values)
        if len(steps):
            steps[1:] = sorted_values[1:] - sorted_values[:-1]
        steps[self.first_in_episode_sorted] = np.nan
        return self._unsort(steps)

    def row_in_episode(self) -> np.ndarray:
        return self._unsort(self.position_sorted)

    def episode_length(self) -> np.ndarray:
        return self._unsort(self.run_lengths[self.run_ids_sorted])


def compute(name: str, layout: EpisodeLayout, source_values: np.ndarray | None) -> np.ndarray:
    """Compute derived column `name` for a batch; step columns need their source column's values."""
    if name == "$row_in_episode":
        return layout.row_in_episode()
    if name == "$episode_length":
        return layout.episode_length()
    if source_values is None:
        return np.full(len(layout.order), np.nan)
    return layout.step(source_values)
