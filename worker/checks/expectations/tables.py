"""Reading the columns a rule needs from one table member, through `worker.archive.tables`."""

from __future__ import annotations

import pyarrow as pa

from worker.archive import tables as archive_tables
from worker.archive.errors import ArchiveError, UnreadableTable
from worker.archive.source import DatasetSource


class TableReadError(Exception):
    """A member that should be a table cannot be read as one; the vendor's fault."""

    def __init__(self, member: str, cause: str) -> None:
        super().__init__(f"{member}: {cause}")
        self.member = member
        self.cause = cause


def read_schema(source: DatasetSource, name: str) -> pa.Schema:
    """Return a member's Arrow schema, or raise `TableReadError` naming the member and the cause."""
    if archive_tables.table_format(name) is None:
        supported = ", ".join(sorted(archive_tables.FORMATS))
        raise TableReadError(name, f"not a table (supported suffixes: {supported}); narrow the rule's `members` glob")
    try:
        return archive_tables.read_schema(source, name)
    except ArchiveError as error:
        raise TableReadError(name, _cause(error)) from error


def read_columns(source: DatasetSource, name: str, columns: list[str]) -> tuple[pa.Table, tuple[str, ...]]:
    """Read the listed columns that the member has, and return them with all of the member's column names."""
    names = tuple(read_schema(source, name).names)
    present = set(names)
    try:
        return archive_tables.read_table(source, name, [c for c in columns if c in present]), names
    except ArchiveError as error:
        raise TableReadError(name, _cause(error)) from error


def _cause(error: ArchiveError) -> str:
    if isinstance(error, UnreadableTable):
        return error.reason
    return str(error)
