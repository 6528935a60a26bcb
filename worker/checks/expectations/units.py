"""Units of a rule's scope (member, episode, or the whole dataset) and their keys within a batch."""

from __future__ import annotations

import numpy as np

from worker.checks.expectations.batching import Batch

ALL = "all"


def unit_codes(batch: Batch, scope: str) -> tuple[np.ndarray, list[object]]:
    """Return each row's unit number within the batch and the unit keys those numbers stand for.

    Keys are member names for scope ``member``, episode numbers for scope
    ``episode`` (the member name for rows whose episode is unknown) and the
    single key ``"all"`` otherwise. Keys are stable across batches, so an
    episode that spans batches adds up to one unit.
    """
    rows = batch.row_count
    if scope == "member":
        return batch.member_codes, list(batch.members)
    if scope != "episode":
        return np.zeros(rows, dtype=np.int64), [ALL]

    codes = np.empty(rows, dtype=np.int64)
    known = batch.episodes >= 0
    episodes, inverse = np.unique(batch.episodes[known], return_inverse=True)
    codes[known] = inverse
    codes[~known] = len(episodes) + batch.member_codes[~known]
    keys: list[object] = [int(e) for e in episodes]
    keys.extend(batch.members)
    return codes, keys


def describe_unit(scope: str, key: object) -> str:
    if scope == "episode" and isinstance(key, int):
        return f"episode {key}"
    if scope in ("episode", "member"):
        return f"member {key}"
    return "dataset"


def row_mask(batch: Batch, row_condition: str | None) -> np.ndarray:
    """Return the rows that satisfy `row_condition`, evaluated as great-expectations does for pandas."""
    if not row_condition:
        return np.ones(batch.row_count, dtype=bool)
    mask = np.zeros(batch.row_count, dtype=bool)
    mask[batch.frame.query(row_condition, parser="pandas").index.to_numpy()] = True
    return mask
