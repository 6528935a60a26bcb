"""Validating row-comparing expectations one member or episode at a time.

A batch concatenates whole members, so ``expect_column_values_to_be_unique``
or ``..._to_be_increasing`` on the batch would compare the rows of one
episode with those of the next. Every episode's ``frame_index`` 0 would then
be a duplicate, and every episode's first timestamp would break the order. For a
rule with scope ``member`` or ``episode``, these expectations therefore run
on each unit's rows alone, and their results are merged into one result per
batch. Each unit costs one great-expectations validation (tens of
milliseconds), so a rule on 1,000 episodes adds some seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from worker.checks.expectations import gx
from worker.checks.expectations.batching import Batch
from worker.checks.expectations.plan import PlannedExpectation
from worker.checks.expectations.units import unit_codes


@dataclass
class MergedResult:
    """One expectation's results over every unit of a batch, shaped like a great-expectations result."""

    success: bool = True
    result: dict[str, Any] = field(default_factory=lambda: {"element_count": 0, "unexpected_count": 0})
    exception_info: dict[str, Any] = field(default_factory=dict)
    failing_rows: list[np.ndarray] = field(default_factory=list)

    def add(self, outcome: Any, positions: np.ndarray) -> None:
        """Add one unit's result; `positions` maps the unit's row numbers to the batch's."""
        error = gx.raised_exception(outcome)
        if error is not None:
            self.exception_info = {"raised_exception": True, "exception_message": error}
            return
        data = outcome.result or {}
        self.success = self.success and bool(outcome.success)
        for key in ("element_count", "unexpected_count", "missing_count"):
            if key in data:
                self.result[key] = self.result.get(key, 0) + int(data[key] or 0)
        listed = np.asarray(data.get("partial_unexpected_index_list") or [], dtype=np.int64)
        self.failing_rows.append(positions[listed])

    def rows(self) -> np.ndarray:
        """Return every failing row of the batch, in batch order."""
        if not self.failing_rows:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate(self.failing_rows))


def validate_per_unit(batch: Batch, scope: str, planned: list[PlannedExpectation]) -> dict[int, MergedResult]:
    """Validate `planned` on each unit of `batch` and return the merged result by planned key."""
    merged = {expectation.key: MergedResult() for expectation in planned}
    if batch.row_count == 0:
        return merged
    columns = sorted({column.name for expectation in planned for column in expectation.all_columns})
    frame = batch.frame[columns]
    codes, _ = unit_codes(batch, scope)
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.diff(codes[order], prepend=-1))
    for start, stop in zip(starts, [*starts[1:], len(order)], strict=True):
        positions = order[start:stop]
        unit = frame.iloc[positions].reset_index(drop=True)
        # The cap is the unit's row count, so every failing row is listed.
        outcome = gx.validate(unit, [expectation.build() for expectation in planned], len(positions))
        for result in outcome.results:
            merged[result.expectation_config.meta["plan_key"]].add(result, positions)
    return merged
