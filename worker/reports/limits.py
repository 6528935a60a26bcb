"""Value limits of vector dimensions, as the rules state them, for the range plots.

A rule such as ``expect_column_values_to_be_between`` on
``observation.state[*]`` with ``min_value: -3.1416`` sets a limit on every
dimension of the state. Limits come from the suites that ran (when the
caller has them) and from failed results, whose `expected` contains the bounds.
Where several rules bound one dimension, the tightest bounds win.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from worker.checks.results import CheckResult

BETWEEN = "expect_column_values_to_be_between"
_ELEMENT = re.compile(r"^(?P<vector>.+?)\[(?P<index>\*|\d+)\]$")

Limits = dict[str, list[list[float | None]]]


def element_indices(column: str, vectors: dict[str, list[str]]) -> tuple[str, list[int]] | None:
    """Map a column reference (``v[*]``, ``v[3]``, ``v.name``) to its vector and dimension indices."""
    match = _ELEMENT.match(column)
    if match is not None:
        vector = match.group("vector")
        if vector not in vectors:
            return None
        width = len(vectors[vector])
        if match.group("index") == "*":
            return vector, list(range(width))
        index = int(match.group("index"))
        return (vector, [index]) if index < width else None
    for vector, names in vectors.items():
        prefix = vector + "."
        if column.startswith(prefix) and column[len(prefix):] in names:
            return vector, [names.index(column[len(prefix):])]
    return None


def collect_limits(vectors: dict[str, list[str]], results: Iterable[CheckResult], suites: Iterable[Any] = ()) -> Limits:
    """Return ``{vector: [[low, high], ...]}`` with one pair per dimension; None where unbounded."""
    limits: Limits = {vector: [[None, None] for _ in names] for vector, names in vectors.items()}
    for suite in suites:
        for rule in getattr(suite, "rules", []):
            if getattr(rule, "enabled", True) and getattr(rule, "expectation", None) == BETWEEN:
                _apply(limits, vectors, str(rule.args.get("column", "")), rule.args)
    for result in results:
        if result.check == BETWEEN and result.column and isinstance(result.expected, dict):
            _apply(limits, vectors, result.column, result.expected)
    return limits


def _apply(limits: Limits, vectors: dict[str, list[str]], column: str, bounds: dict[str, Any]) -> None:
    target = element_indices(column, vectors)
    if target is None:
        return
    vector, indices = target
    low, high = _number(bounds.get("min_value")), _number(bounds.get("max_value"))
    for index in indices:
        pair = limits[vector][index]
        if low is not None:
            pair[0] = low if pair[0] is None else max(pair[0], low)
        if high is not None:
            pair[1] = high if pair[1] is None else min(pair[1], high)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
