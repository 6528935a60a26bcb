"""Merging great-expectations results of one planned expectation across batches and units.

Row-wise (map) expectations merge by adding element, missing and
unexpected counts. Per-unit counts come from the failing row indices that
great-expectations lists, grouped by each row's unit. Aggregate statistics
per unit (mean, min, max, sum, stdev, row count) are computed by the runner
in one grouped pass per batch and merged with Chan's parallel formulas, so
an episode split across batches still gets its exact value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from worker.checks.expectations import gx
from worker.checks.expectations.batching import Batch
from worker.checks.expectations.plan import Kind, PlannedExpectation
from worker.checks.expectations.units import row_mask, unit_codes
from worker.checks.results import Example

_PAIR_IGNORE_ANY = {"either_value_is_missing", "any_value_is_missing"}
_NEVER_IGNORE = "never"


@dataclass
class UnitCounts:
    """Row-wise outcome of one unit: rows checked (after row_condition and nulls) and rows failing."""

    checked: int = 0
    unexpected: int = 0
    first: Example | None = None


@dataclass
class Moments:
    """Mergeable summary of a unit's non-null values, and its row count after row_condition."""

    rows: int = 0
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    total: float = 0.0

    def merge(self, other: Moments) -> None:
        count = self.count + other.count
        if count:
            delta = other.mean - self.mean
            self.m2 += other.m2 + delta * delta * self.count * other.count / count
            self.mean += delta * other.count / count
        self.count = count
        self.rows += other.rows
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        self.total += other.total

    def statistic(self, name: str) -> float | int | None:
        if name == "row_count":
            return self.rows
        if self.count == 0:
            return None
        if name == "stdev":
            return math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else None
        return {"mean": self.mean, "min": self.minimum, "max": self.maximum, "sum": self.total}[name]


@dataclass
class SchemaOutcome:
    """Outcome of a schema expectation on one member; `observed` is kept only when it failed."""

    success: bool
    observed: Any = None


@dataclass
class Tally:
    """Everything known about one planned expectation after some batches."""

    planned: PlannedExpectation
    scope: str
    max_examples: int
    element_count: int = 0
    unexpected_count: int = 0
    missing_count: int = 0
    counts_missing: bool = False
    examples: list[Example] = field(default_factory=list)
    units: dict[Any, Any] = field(default_factory=dict)
    batch_outcomes: list[tuple[bool, Any]] = field(default_factory=list)
    batches: int = 0
    ge_errors: list[str] = field(default_factory=list)

    def add(self, batch: Batch, result: Any, failing_rows: np.ndarray | None) -> None:
        """Add one batch's great-expectations result; `failing_rows` lists every failing row when needed."""
        self.batches += 1
        error = gx.raised_exception(result)
        if error is not None:
            self.ge_errors.append(error)
            return
        data = result.result or {}
        self.batch_outcomes.append((bool(result.success), data.get("observed_value")))
        if self.planned.kind is Kind.MAP:
            self._add_map(batch, data, failing_rows)
        elif self.planned.statistic is not None:
            self._add_moments(batch)

    def add_schema(self, member: str, success: bool, observed: Any) -> None:
        """Add the outcome of a schema expectation on one member."""
        self.units[member] = SchemaOutcome(success, None if success else observed)

    def _add_map(self, batch: Batch, data: dict[str, Any], failing_rows: np.ndarray | None) -> None:
        self.element_count += int(data.get("element_count") or 0)
        self.unexpected_count += int(data.get("unexpected_count") or 0)
        if "missing_count" in data:
            self.counts_missing = True
            self.missing_count += int(data.get("missing_count") or 0)
        listed = failing_rows if failing_rows is not None else _as_rows(data.get("partial_unexpected_index_list"))
        for position in listed[: max(self.max_examples - len(self.examples), 0)]:
            self.examples.append(self.example(batch, int(position)))
        if self.scope != "all":
            self._add_unit_counts(batch, "missing_count" in data, listed)

    def _add_unit_counts(self, batch: Batch, excludes_missing: bool, failing_rows: np.ndarray) -> None:
        codes, keys = unit_codes(batch, self.scope)
        mask = row_mask(batch, self.planned.row_condition)
        if excludes_missing:
            mask &= ~self._missing_rows(batch)
        present = np.bincount(codes, minlength=len(keys)) > 0
        checked = np.bincount(codes[mask], minlength=len(keys))
        unexpected = np.bincount(codes[failing_rows], minlength=len(keys))
        failing_units, first_positions = np.unique(codes[failing_rows], return_index=True)
        firsts = dict(zip(failing_units.tolist(), failing_rows[first_positions].tolist(), strict=True))
        for code in np.flatnonzero(present).tolist():
            counts = self.units.setdefault(keys[code], UnitCounts())
            counts.checked += int(checked[code])
            counts.unexpected += int(unexpected[code])
            if counts.first is None and code in firsts:
                counts.first = self.example(batch, firsts[code])

    def _missing_rows(self, batch: Batch) -> np.ndarray:
        # great-expectations skips nulls of the checked column; pair and multicolumn
        # expectations skip rows by their `ignore_row_if` directive.
        frame = batch.frame
        names = [c.name for c in self.planned.columns]
        if "column" in self.planned.kwargs or len(names) <= 1:
            return frame[names[0]].isna().to_numpy() if names else np.zeros(batch.row_count, dtype=bool)
        ignore = self.planned.kwargs.get("ignore_row_if")
        nulls = frame[names].isna().to_numpy()
        if ignore == _NEVER_IGNORE:
            return np.zeros(batch.row_count, dtype=bool)
        if ignore in _PAIR_IGNORE_ANY:
            return nulls.any(axis=1)
        return nulls.all(axis=1)

    def _add_moments(self, batch: Batch) -> None:
        codes, keys = unit_codes(batch, self.scope)
        mask = row_mask(batch, self.planned.row_condition)
        rows = np.bincount(codes[mask], minlength=len(keys))
        present = np.bincount(codes, minlength=len(keys)) > 0
        grouped = None
        if self.planned.statistic != "row_count":
            values = pd.to_numeric(batch.frame[self.planned.columns[0].name], errors="coerce").to_numpy(dtype=float)
            keep = mask & ~np.isnan(values)
            grouped = _group_moments(codes[keep], values[keep])
        for code in np.flatnonzero(present).tolist():
            part = grouped.get(code, Moments()) if grouped is not None else Moments()
            part.rows = int(rows[code])
            self.units.setdefault(keys[code], Moments()).merge(part)

    def example(self, batch: Batch, position: int) -> Example:
        value = None
        if self.planned.columns:
            column = self.planned.columns[0].name
            value = _plain(batch.frame[column].iat[position])
        return Example(
            member=batch.members[int(batch.member_codes[position])],
            episode=_episode(batch.episodes[position]),
            row=int(batch.rows[position]),
            column=self.planned.label,
            value=value,
        )


def _group_moments(codes: np.ndarray, values: np.ndarray) -> dict[int, Moments]:
    if len(values) == 0:
        return {}
    counts = np.bincount(codes)
    sums = np.bincount(codes, weights=values)
    units = np.flatnonzero(counts)
    means = np.zeros(len(counts))
    means[units] = sums[units] / counts[units]
    m2 = np.bincount(codes, weights=(values - means[codes]) ** 2, minlength=len(counts))
    extremes = pd.Series(values).groupby(codes).agg(["min", "max"])
    return {
        int(code): Moments(
            0,
            int(counts[code]),
            float(means[code]),
            float(m2[code]),
            float(extremes.at[code, "min"]),
            float(extremes.at[code, "max"]),
            float(sums[code]),
        )
        for code in units.tolist()
    }


def _as_rows(listed: Any) -> np.ndarray:
    if not listed:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(listed, dtype=np.int64)


def _episode(value: Any) -> int | None:
    return int(value) if value >= 0 else None


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
