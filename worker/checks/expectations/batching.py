"""Grouping table members into memory-bounded batches and building their DataFrames.

Members are read one at a time with only the needed columns and collected
until the next one would push the batch's Arrow buffers (`pyarrow.Table.nbytes`)
over the budget. A member larger than the budget forms a batch of its own,
so peak memory follows the budget and the largest member, not the archive.
Each batch becomes one pandas DataFrame with these extra columns:

- ``__member__``: the member's name (categorical);
- ``__episode__``: the row's episode, from an ``episode_index`` column when
  the table has one, else from ``episode_NNNNNN`` in the member name, else -1;
- ``__row__``: the row's position within its member, from 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from worker.archive.source import DatasetSource
from worker.checks.expectations import derived
from worker.checks.expectations.columns import ResolvedColumn, vector_elements
from worker.checks.expectations.tables import TableReadError, read_columns

MEMBER_COLUMN = "__member__"
EPISODE_COLUMN = "__episode__"
ROW_COLUMN = "__row__"
EPISODE_INDEX = "episode_index"
DEFAULT_MEMORY_BUDGET = 256 * 1024 * 1024

_EPISODE_IN_NAME = re.compile(r"episode_(\d+)")


@dataclass
class Batch:
    """One validation's worth of rows from one or more whole members."""

    frame: pd.DataFrame
    members: list[str]
    member_codes: np.ndarray
    episodes: np.ndarray
    rows: np.ndarray
    arrow_bytes: int
    missing_columns: dict[str, list[str]] = field(default_factory=dict)
    schemas: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class UnreadableMember:
    """A member that could not be read as a table, with the cause."""

    member: str
    cause: str


def episode_from_name(name: str) -> int:
    match = _EPISODE_IN_NAME.search(name)
    return int(match.group(1)) if match else -1


def source_columns(columns: list[ResolvedColumn]) -> list[str]:
    """Return the table columns to read for `columns`, plus ``episode_index`` for episode grouping."""
    needed = {c.source for c in columns if c.source}
    needed.add(EPISODE_INDEX)
    return sorted(needed)


def iter_batches(
    source: DatasetSource,
    members: list[str],
    columns: list[ResolvedColumn],
    budget_bytes: int,
    reference_types: dict[str, pa.DataType] | None = None,
) -> Iterator[Batch | UnreadableMember]:
    """Yield batches of whole members, and an `UnreadableMember` for each member that cannot be read.

    Columns are cast to `reference_types` (the first member's types) so that
    members concatenate. A member whose column cannot be cast counts as
    unreadable, with the column, its type and the expected type as the cause.
    """
    requested = source_columns(columns)
    pending: list[tuple[str, pa.Table]] = []
    schemas: dict[str, tuple[str, ...]] = {}
    pending_bytes = 0
    for name in members:
        try:
            table, names = read_columns(source, name, requested)
            table = conform(table, reference_types or {}, name)
        except TableReadError as error:
            yield UnreadableMember(name, error.cause)
            continue
        if pending and pending_bytes + table.nbytes > budget_bytes:
            yield build_batch(pending, columns, schemas)
            pending, schemas, pending_bytes = [], {}, 0
        pending.append((name, table))
        schemas[name] = names
        pending_bytes += table.nbytes
    if pending:
        yield build_batch(pending, columns, schemas)


def conform(table: pa.Table, reference_types: dict[str, pa.DataType], name: str) -> pa.Table:
    """Cast the table's columns to the reference types, or raise `TableReadError` for a column that does not cast."""
    for position, field in enumerate(table.schema):
        expected = reference_types.get(field.name)
        if expected is None or field.type == expected:
            continue
        try:
            cast = table.column(position).cast(expected)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
            raise TableReadError(
                name, f"column {field.name} has type {field.type} where other members have {expected} ({error})"
            ) from error
        table = table.set_column(position, field.name, cast)
    return table


def build_batch(
    tables: list[tuple[str, pa.Table]],
    columns: list[ResolvedColumn],
    schemas: dict[str, tuple[str, ...]] | None = None,
) -> Batch:
    """Concatenate member tables and build the DataFrame of `columns` plus the row address columns.

    `schemas` gives each member's full list of column names, for expectations on the table's columns.
    """
    needed = {c.source for c in columns if c.source}
    missing = {}
    for name, table in tables:
        absent = sorted(needed - set(table.column_names))
        if absent:
            missing[name] = absent

    names = [name for name, _ in tables]
    lengths = np.array([t.num_rows for _, t in tables], dtype=np.int64)
    member_codes = np.repeat(np.arange(len(tables), dtype=np.int64), lengths)
    rows = _rows_within_members(lengths)
    combined = pa.concat_tables([t for _, t in tables], promote_options="default")
    episodes = _episodes(combined, names, lengths)

    data: dict[str, object] = {}
    _add_table_columns(data, combined, columns)
    layout = derived.EpisodeLayout(member_codes, episodes)
    for column in columns:
        if column.derived and column.name not in data:
            source_values = _numeric(combined, column.source) if column.source else None
            data[column.name] = derived.compute(column.derived, layout, source_values)

    data[MEMBER_COLUMN] = pd.Categorical.from_codes(member_codes, categories=names)
    data[EPISODE_COLUMN] = episodes
    data[ROW_COLUMN] = rows
    frame = pd.DataFrame(data, copy=False)
    return Batch(frame, names, member_codes, episodes, rows, combined.nbytes, missing, dict(schemas or {}))


def _rows_within_members(lengths: np.ndarray) -> np.ndarray:
    total = int(lengths.sum())
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - starts


def _episodes(table: pa.Table, names: list[str], lengths: np.ndarray) -> np.ndarray:
    from_names = np.repeat(np.array([episode_from_name(n) for n in names], dtype=np.int64), lengths)
    if EPISODE_INDEX not in table.column_names:
        return from_names
    values = table.column(EPISODE_INDEX)
    if not pa.types.is_integer(values.type):
        return from_names
    # A row whose episode_index is null falls back to the member name's episode.
    column = values.to_numpy(zero_copy_only=False)
    if values.null_count:
        column = np.where(np.isnan(column), from_names, column)
    return column.astype(np.int64)


def _numeric(table: pa.Table, name: str) -> np.ndarray | None:
    if name not in table.column_names:
        return None
    return table.column(name).to_numpy(zero_copy_only=False)


def _add_table_columns(data: dict[str, object], table: pa.Table, columns: list[ResolvedColumn]) -> None:
    rows = table.num_rows
    elements: dict[str, list[ResolvedColumn]] = {}
    for column in columns:
        if column.derived or column.name in data:
            continue
        if column.element is not None:
            elements.setdefault(column.source, []).append(column)
        elif column.source in table.column_names:
            data[column.name] = table.column(column.source).to_pandas()
        else:
            data[column.name] = np.full(rows, np.nan)
    for base, requested in elements.items():
        if base not in table.column_names:
            for column in requested:
                data[column.name] = np.full(rows, np.nan)
            continue
        positions = sorted({c.element for c in requested if c.element is not None})
        values = vector_elements(table.column(base), positions)
        for column in requested:
            data[column.name] = values[column.element]
