"""Per-dimension statistics of vector columns such as ``observation.state`` and ``action``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from worker.lerobot.frames import Groups


@dataclass
class NonFinite:
    """NaN and infinite counts per dimension, and the first row holding each kind."""

    nan_counts: np.ndarray
    inf_counts: np.ndarray
    first_nan_row: int | None
    first_inf_row: int | None

    @property
    def total(self) -> int:
        return int(self.nan_counts.sum() + self.inf_counts.sum())


def as_matrix(values: np.ndarray) -> np.ndarray:
    """View a scalar column as one dimension so every column is rows x dimensions."""
    return values.reshape(len(values), -1)


def count_non_finite(values: np.ndarray) -> NonFinite:
    matrix = as_matrix(values)
    if not np.issubdtype(matrix.dtype, np.floating):
        zeros = np.zeros(matrix.shape[1], dtype=np.int64)
        return NonFinite(zeros, zeros.copy(), None, None)
    nan = np.isnan(matrix)
    inf = np.isinf(matrix)
    nan_rows = np.nonzero(nan.any(axis=1))[0]
    inf_rows = np.nonzero(inf.any(axis=1))[0]
    return NonFinite(
        nan.sum(axis=0),
        inf.sum(axis=0),
        int(nan_rows[0]) if len(nan_rows) else None,
        int(inf_rows[0]) if len(inf_rows) else None,
    )


def constant_mask(groups: Groups, values: np.ndarray, max_std: float = 0.0) -> np.ndarray:
    """Flag (episode, dimension) pairs whose standard deviation over the episode is at most `max_std`.

    Returns a boolean array of episodes x dimensions in the order of
    `groups.episodes`. NaN values are ignored, and a dimension that is NaN
    throughout an episode is not flagged (`lerobot.finite_values` reports it).
    """
    matrix = as_matrix(values)[groups.order].astype(np.float64)
    if matrix.shape[0] == 0:
        return np.zeros((0, matrix.shape[1]), dtype=bool)
    if max_std == 0.0:
        # Exact test: max == min, free of the rounding a variance formula adds.
        highest = np.fmax.reduceat(matrix, groups.starts, axis=0)
        lowest = np.fmin.reduceat(matrix, groups.starts, axis=0)
        return highest == lowest
    valid = ~np.isnan(matrix)
    filled = np.where(valid, matrix, 0.0)
    counts = np.add.reduceat(valid, groups.starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.add.reduceat(filled, groups.starts, axis=0) / counts
        deviations = np.where(valid, filled - np.repeat(means, groups.counts, axis=0), 0.0)
        std = np.sqrt(np.add.reduceat(deviations**2, groups.starts, axis=0) / counts)
    return (counts > 0) & (std <= max_std)
