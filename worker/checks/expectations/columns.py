"""Column references in expectation rules and how they map onto table columns.

A rule's ``column`` (and ``column_A``, ``column_B``, ``column_list``) may name:

- a plain table column: ``timestamp``;
- one element of a vector column (an Arrow list or fixed-size list) by the
  element's name from LeRobot ``meta/info.json`` features:
  ``observation.state.kLeftElbow``;
- one element by position: ``observation.state[3]``;
- every element: ``observation.state[*]``, which expands to one column per
  element, each checked and reported separately;
- a derived column: ``$timestamp_step`` (see `worker.checks.expectations.derived`).

Element columns reach great-expectations under their readable name
(``observation.state.kLeftElbow``, or ``observation.state[3]`` when the
element has no name).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from worker.archive.source import DatasetSource
from worker.checks.expectations import derived

_INDEXED = re.compile(r"^(?P<base>.+)\[(?P<index>\*|\d+)\]$")
INFO_MEMBER = "meta/info.json"
_CACHE_KEY = "expectations.feature_names"


class ColumnError(ValueError):
    """The tables lack a column that a rule names: the vendor's fault, since the rule linter checks the names' form."""


@dataclass(frozen=True)
class ResolvedColumn:
    """One column of the DataFrame that great-expectations validates.

    `source` is the table column it is read from. `element` is the position
    inside a vector column, or None for a scalar column. `derived` names a
    derived column (``$timestamp_step``), whose `source` is its input column.
    """

    name: str
    source: str
    element: int | None = None
    derived: str | None = None


@dataclass(frozen=True)
class TableShape:
    """The column names and types of the tables a rule reads, and the vector element names."""

    types: dict[str, pa.DataType]
    element_names: dict[str, list[str]]
    widths: dict[str, int]
    member: str = "the table"


def feature_element_names(source: DatasetSource, cache: dict[str, Any]) -> dict[str, list[str]]:
    """Return element names per vector feature from ``meta/info.json``, or {} when there is none.

    LeRobot writes `names` as a flat list, a nested list (``[["a", "b"]]``) or
    a dict of lists (``{"motors": ["a", "b"]}``). All three are flattened in
    order. An unreadable info.json yields {} because another check reports it.
    """
    if _CACHE_KEY in cache:
        return cache[_CACHE_KEY]
    names: dict[str, list[str]] = {}
    if source.member(INFO_MEMBER) is not None:
        try:
            info = json.loads(source.read_bytes(INFO_MEMBER))
        except (ValueError, UnicodeDecodeError, RecursionError):
            info = {}
        features = info.get("features") if isinstance(info, dict) else None
        for feature, spec in (features or {}).items():
            if isinstance(spec, dict):
                flat = _flatten_names(spec.get("names"))
                if flat:
                    names[feature] = flat
    cache[_CACHE_KEY] = names
    return names


def _flatten_names(names: Any) -> list[str]:
    if isinstance(names, str):
        return [names]
    if isinstance(names, dict):
        return [n for value in names.values() for n in _flatten_names(value)]
    if isinstance(names, list):
        return [n for value in names for n in _flatten_names(value)]
    return []


def is_vector(data_type: pa.DataType) -> bool:
    return pa.types.is_fixed_size_list(data_type) or pa.types.is_list(data_type) or pa.types.is_large_list(data_type)


def vector_width(shape: TableShape, column: str) -> int | None:
    """Return the number of elements of a vector column, as far as the schema or info.json tell."""
    data_type = shape.types.get(column)
    if data_type is not None and pa.types.is_fixed_size_list(data_type):
        return data_type.list_size
    if column in shape.widths:
        return shape.widths[column]
    if column in shape.element_names:
        return len(shape.element_names[column])
    return None


def resolve(reference: str, shape: TableShape) -> list[ResolvedColumn]:
    """Resolve one column reference into the columns great-expectations checks.

    Raises `ColumnError` naming the reference when no table column, vector
    element or derived column matches it.
    """
    if reference.startswith("$"):
        return [derived.resolve(reference)]
    if reference in shape.types:
        return [ResolvedColumn(reference, reference)]

    indexed = _INDEXED.match(reference)
    if indexed:
        return _resolve_indexed(indexed["base"], indexed["index"], shape, reference)

    for base, element_name in _dotted_splits(reference):
        names = shape.element_names.get(base)
        if base in shape.types and is_vector(shape.types[base]) and names and element_name in names:
            return [ResolvedColumn(reference, base, names.index(element_name))]

    known = ", ".join(sorted(shape.types)) or "none"
    raise ColumnError(
        f"column {reference!r} is not in {shape.member}, which has columns {known}, "
        "and matches no vector element named in meta/info.json"
    )


def _dotted_splits(reference: str) -> list[tuple[str, str]]:
    # Element names may contain dots themselves ("shoulder_pan.pos"), so every split is tried.
    parts = reference.split(".")
    return [(".".join(parts[:i]), ".".join(parts[i:])) for i in range(1, len(parts))]


def _resolve_indexed(base: str, index: str, shape: TableShape, reference: str) -> list[ResolvedColumn]:
    data_type = shape.types.get(base)
    if data_type is None or not is_vector(data_type):
        raise ColumnError(f"column {reference!r}: {base!r} is not a vector column in {shape.member}")
    width = vector_width(shape, base)
    names = shape.element_names.get(base, [])
    if index == "*":
        if width is None:
            raise ColumnError(
                f"column {reference!r}: the number of elements of {base!r} is unknown, because it is a "
                "variable-length list and meta/info.json names no elements for it"
            )
        return [ResolvedColumn(element_label(base, i, names), base, i) for i in range(width)]
    position = int(index)
    if width is not None and position >= width:
        raise ColumnError(f"column {reference!r}: index {position} is out of range, {base!r} has {width} elements in {shape.member}")
    return [ResolvedColumn(element_label(base, position, names), base, position)]


def element_label(base: str, position: int, names: list[str]) -> str:
    if position < len(names):
        return f"{base}.{names[position]}"
    return f"{base}[{position}]"


def vector_elements(column: pa.ChunkedArray, positions: list[int]) -> dict[int, np.ndarray]:
    """Extract the given element positions of a list column as numpy arrays, without a loop over rows.

    A null list, or a list too short for a position, yields NaN at that row.
    Integer elements stay integers unless a NaN has to be stored.
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    rows = len(array)
    list_nulls = array.is_null().to_numpy(zero_copy_only=False) if array.null_count else None

    if pa.types.is_fixed_size_list(array.type):
        width = array.type.list_size
        values = array.values.slice(array.offset * width, rows * width)
        matrix = _to_numpy(values).reshape(rows, width)
        lengths = np.full(rows, width)
        starts = None
    else:
        # Offsets index into `values` directly, also for a sliced array.
        offsets = array.offsets.to_numpy()
        starts = offsets[:-1]
        lengths = np.diff(offsets)
        flat = _to_numpy(array.values)
        matrix = None

    out: dict[int, np.ndarray] = {}
    for position in positions:
        missing = lengths <= position
        if list_nulls is not None:
            missing = missing | list_nulls
        if matrix is not None:
            values = matrix[:, position] if position < matrix.shape[1] else np.full(rows, np.nan)
        else:
            safe = np.where(missing, 0, starts + position)
            values = flat[safe] if len(flat) else np.full(rows, np.nan)
        if missing.any():
            values = values.astype(np.float64, copy=True)
            values[missing] = np.nan
        out[position] = values
    return out


def _to_numpy(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)
