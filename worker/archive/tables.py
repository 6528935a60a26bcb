"""Readers for table members (Parquet, CSV, JSON Lines) that read only the requested columns.

Every decoding failure raises `UnreadableTable` naming the member and the
cause, never a raw pyarrow exception. Parquet is read with random access:
a stored member is memory-mapped inside the archive, a compressed one is
extracted alone into the work dir first. CSV and JSON Lines are streamed, so
their CRC is checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from worker.archive.errors import ArchiveError, UnreadableTable
from worker.archive.json_lines import DEFAULT_MAX_JSON_DEPTH, check_json_lines
from worker.archive.source import DatasetSource, FileRegion
from worker.faults import gate_side

DEFAULT_BATCH_ROWS = 65_536
# Bytes pyarrow parses at a time from CSV and JSON Lines. A JSON line longer
# than this cannot be read, and CSV column types are inferred from the first block.
DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def table_format(name: str) -> str | None:
    """Return ``"parquet"``, ``"csv"`` or ``"jsonl"`` from the member's suffix, or None."""
    return FORMATS.get(PurePosixPath(name).suffix.lower())


def read_schema(source: DatasetSource, name: str) -> pa.Schema:
    """Return the table's schema; for Parquet only the footer is read."""
    kind = _require_format(name)
    if kind == "parquet":
        with _parquet_file(source, name) as parquet:
            with _decoding(name):
                schema = parquet.schema_arrow
        _field_names(name, schema)
        return schema
    if kind == "csv":
        with source.open(name) as handle, _decoding(name):
            reader = pa_csv.open_csv(handle, read_options=pa_csv.ReadOptions(block_size=DEFAULT_BLOCK_SIZE))
            schema = reader.schema
        _check_text_columns(name, schema)
        return schema
    _scan_json(source, name)
    with source.open(name) as handle, _decoding(name):
        return pa_json.open_json(handle, read_options=_json_options()).schema


def read_table(source: DatasetSource, name: str, columns: Sequence[str] | None = None) -> pa.Table:
    """Read the whole table, or only `columns` in the order given."""
    kind = _require_format(name)
    requested = list(columns) if columns is not None else None
    if kind == "parquet":
        with _parquet_file(source, name) as parquet:
            _check_columns(name, parquet.schema_arrow, requested)
            with _decoding(name):
                table = parquet.read(columns=requested)
    elif kind == "csv":
        with source.open(name) as handle, _decoding(name):
            table = pa_csv.read_csv(
                handle,
                read_options=pa_csv.ReadOptions(block_size=DEFAULT_BLOCK_SIZE),
                convert_options=pa_csv.ConvertOptions(include_columns=requested),
            )
        _check_text_columns(name, table.schema)
    else:
        _scan_json(source, name)
        with source.open(name) as handle, _decoding(name):
            table = pa_json.read_json(handle, read_options=_json_options())
        _check_columns(name, table.schema, requested)
    _field_names(name, table.schema)
    return table if requested is None else table.select(requested)


def iter_batches(
    source: DatasetSource,
    name: str,
    columns: Sequence[str] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Iterator[pa.RecordBatch]:
    """Yield the table in record batches of at most `batch_rows` rows, holding one batch at a time."""
    if batch_rows <= 0:
        raise ValueError(f"batch_rows must be a positive number of rows, got {batch_rows}")
    kind = _require_format(name)
    requested = list(columns) if columns is not None else None
    if kind == "parquet":
        yield from _parquet_batches(source, name, requested, batch_rows)
    else:
        yield from _text_batches(source, name, kind, requested, batch_rows)


def _parquet_batches(
    source: DatasetSource, name: str, requested: list[str] | None, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    with _parquet_file(source, name) as parquet:
        _check_columns(name, parquet.schema_arrow, requested)
        with _decoding(name):
            batches = parquet.iter_batches(batch_size=batch_rows, columns=requested)
        while True:
            with _decoding(name):
                batch = next(batches, None)
            if batch is None:
                return
            yield batch if requested is None else batch.select(requested)


def _text_batches(
    source: DatasetSource, name: str, kind: str, requested: list[str] | None, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    if kind == "jsonl":
        _scan_json(source, name)
    with source.open(name) as handle:
        with _decoding(name):
            if kind == "csv":
                reader = pa_csv.open_csv(
                    handle,
                    read_options=pa_csv.ReadOptions(block_size=DEFAULT_BLOCK_SIZE),
                    convert_options=pa_csv.ConvertOptions(include_columns=requested),
                )
            else:
                reader = pa_json.open_json(handle, read_options=_json_options())
        if kind == "csv":
            _check_text_columns(name, reader.schema)
        else:
            _check_columns(name, reader.schema, requested)
        while True:
            with _decoding(name):
                batch = _next_batch(reader)
            if batch is None:
                return
            if requested is not None:
                batch = batch.select(requested)
            for start in range(0, batch.num_rows, batch_rows):
                yield batch.slice(start, batch_rows)


def _next_batch(reader: pa.RecordBatchReader) -> pa.RecordBatch | None:
    # read_next_batch ends with StopIteration, which a generator must not let
    # escape (PEP 479), so the end is returned as None.
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None


@contextmanager
def _parquet_file(source: DatasetSource, name: str) -> Iterator[pq.ParquetFile]:
    """Open a Parquet member for random access without copying it into memory."""
    region = source.file_region(name)
    if region is None:
        path = source.local_path(name)
        region = FileRegion(path, 0, path.stat().st_size)
    if region.size == 0:
        raise UnreadableTable(name, "the file is empty (0 bytes)")
    # Mapping our own file: an OSError here is the gate's fault and propagates.
    with pa.memory_map(str(region.path)) as mapped:
        mapped.seek(region.offset)
        buffer = mapped.read_buffer(region.size)
        with _decoding(name):
            parquet = pq.ParquetFile(pa.BufferReader(buffer))
        yield parquet


@contextmanager
def _decoding(name: str) -> Iterator[None]:
    """Turn pyarrow decoding failures into UnreadableTable naming the member."""
    try:
        yield
    except ArchiveError:
        raise
    except pa.ArrowException as error:
        if gate_side(error):
            raise
        raise UnreadableTable(name, _reason(error)) from error
    except UnicodeDecodeError as error:
        # pyarrow decodes column names and paths lazily, so invalid UTF-8 in
        # a Parquet schema surfaces here rather than as an ArrowException.
        raise UnreadableTable(name, "a column name is not valid UTF-8") from error
    except OSError as error:
        # pyarrow reports some corrupt data (for example an undecodable Parquet
        # footer) as an OSError without an errno; real I/O failures carry one.
        if error.errno is not None and error.errno != 0:
            raise
        raise UnreadableTable(name, _reason(error)) from error


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _require_format(name: str) -> str:
    kind = table_format(name)
    if kind is None:
        raise ValueError(
            f"member {name} is not a table: supported suffixes are {', '.join(sorted(FORMATS))}"
        )
    return kind


def _check_columns(name: str, schema: pa.Schema, requested: list[str] | None) -> None:
    if requested is None:
        return
    names = _field_names(name, schema)
    missing = [c for c in requested if c not in names]
    if missing:
        available = ", ".join(names[:20])
        raise UnreadableTable(
            name, f"missing requested column {', '.join(map(repr, missing))} (columns: {available})"
        )


def _check_text_columns(name: str, schema: pa.Schema) -> None:
    # pyarrow falls back to a binary column when CSV text is not valid UTF-8,
    # and an invalid header fails when its column names are decoded.
    for field_name, field in zip(_field_names(name, schema), schema):
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            raise UnreadableTable(name, f"column {field_name!r} contains invalid UTF-8")


def _field_names(name: str, schema: pa.Schema) -> list[str]:
    try:
        return list(schema.names)
    except UnicodeDecodeError as error:
        raise UnreadableTable(name, "a column name is not valid UTF-8") from error


def _scan_json(source: DatasetSource, name: str) -> None:
    with source.open(name) as handle:
        check_json_lines(handle, name, DEFAULT_MAX_JSON_DEPTH)


def _json_options() -> pa_json.ReadOptions:
    return pa_json.ReadOptions(block_size=DEFAULT_BLOCK_SIZE)


__all__ = ["DEFAULT_BATCH_ROWS", "iter_batches", "read_schema", "read_table", "table_format"]
