"""Reading the columns a rule needs from one table member (Parquet, CSV or JSON Lines)."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from worker.archive.source import ArchiveError, DatasetSource

PARQUET_SUFFIXES = {".parquet", ".pq"}
CSV_SUFFIXES = {".csv"}
JSON_SUFFIXES = {".jsonl", ".ndjson", ".json"}

# Errors that mean the member's bytes are damaged or are not the table they claim to be.
_VENDOR_ERRORS = (pa.ArrowException, zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError)


class TableReadError(ArchiveError):
    """A member that should be a table cannot be read as one; the vendor's fault."""

    def __init__(self, member: str, cause: str) -> None:
        super().__init__(f"{member}: {cause}")
        self.member = member
        self.cause = cause


def table_format(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in JSON_SUFFIXES:
        return "json"
    raise TableReadError(name, f"{suffix or 'no suffix'} is not a table format (expected .parquet, .csv or .jsonl)")


def read_schema(source: DatasetSource, name: str) -> pa.Schema:
    """Return a member's Arrow schema; Parquet reads only the footer, CSV and JSON read the whole file."""
    try:
        if table_format(name) == "parquet":
            return pq.read_schema(source.local_path(name))
        return _read_text_table(source, name).schema
    except _VENDOR_ERRORS as error:
        raise TableReadError(name, _describe(error)) from error


def read_columns(source: DatasetSource, name: str, columns: list[str]) -> pa.Table:
    """Read the listed columns that the member has; columns it lacks are left out."""
    try:
        if table_format(name) == "parquet":
            parquet = pq.ParquetFile(source.local_path(name))
            names = set(parquet.schema_arrow.names)
            return parquet.read(columns=[c for c in columns if c in names])
        table = _read_text_table(source, name)
        return table.select([c for c in columns if c in table.column_names])
    except _VENDOR_ERRORS as error:
        raise TableReadError(name, _describe(error)) from error


def _read_text_table(source: DatasetSource, name: str) -> pa.Table:
    with source.open(name) as handle:
        if table_format(name) == "csv":
            return pa_csv.read_csv(handle)
        return pa_json.read_json(handle)


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else 'unreadable'}"
