"""Table readers on Parquet, CSV and JSON Lines members, healthy and broken."""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from worker.archive import tables
from worker.archive.errors import ArchiveError, ErrorCode, UnreadableTable
from worker.archive.json_lines import check_json_lines
from worker.archive.source import DatasetSource

from .conftest import Sandbox, measure

ROWS = 250


def parquet_bytes(rows: int = ROWS) -> bytes:
    table = pa.table(
        {
            "timestamp": [i / 30 for i in range(rows)],
            "episode_index": [0] * rows,
            "observation.state": [[float(i), float(-i)] for i in range(rows)],
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


CSV = b"time,joint\n" + b"".join(f"{i * 0.01:.2f},{i}\n".encode() for i in range(ROWS))
JSONL = b"".join(json.dumps({"episode_index": i, "length": 10 + i, "tags": ["a"]}).encode() + b"\n" for i in range(ROWS))


def table_zip(sandbox: Sandbox, files: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> DatasetSource:
    path = sandbox.path("tables.zip")
    with zipfile.ZipFile(path, "w", method) as archive:
        archive.writestr("README.md", b"tables")
        for name, data in files.items():
            archive.writestr(name, data)
    return sandbox.open(path)


def unreadable(action) -> UnreadableTable:  # type: ignore[no-untyped-def]
    with pytest.raises(UnreadableTable) as caught:
        action()
    assert caught.value.code == ErrorCode.UNREADABLE_TABLE
    assert isinstance(caught.value, ArchiveError)
    return caught.value


# Formats


@pytest.mark.parametrize(
    ("name", "kind"),
    [("a/b.parquet", "parquet"), ("x.CSV", "csv"), ("e.jsonl", "jsonl"), ("e.ndjson", "jsonl"), ("info.json", None)],
)
def test_table_format_by_suffix(name: str, kind: str | None) -> None:
    assert tables.table_format(name) == kind


def test_non_table_value_error(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"meta/info.json": b"{}"})
    with pytest.raises(ValueError, match="member meta/info.json is not a table"):
        tables.read_table(source, "meta/info.json")


# Parquet


def test_parquet_stored_read_in_place(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"data/e.parquet": parquet_bytes()})

    schema = tables.read_schema(source, "data/e.parquet")
    table = tables.read_table(source, "data/e.parquet", ["observation.state", "timestamp"])

    assert schema.names == ["timestamp", "episode_index", "observation.state"]
    assert table.column_names == ["observation.state", "timestamp"]
    assert table.num_rows == ROWS
    assert table.column("observation.state")[3].as_py() == [3.0, -3.0]
    assert sandbox.work_files() == []


def test_parquet_deflated_extracted(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"data/e.parquet": parquet_bytes()}, zipfile.ZIP_DEFLATED)
    table = tables.read_table(source, "data/e.parquet", ["timestamp"])
    assert table.num_rows == ROWS
    assert sandbox.work_files() == ["members/data/e.parquet"]


def test_parquet_batches(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"data/e.parquet": parquet_bytes()})
    batches = list(tables.iter_batches(source, "data/e.parquet", ["episode_index"], batch_rows=100))
    assert [b.num_rows for b in batches] == [100, 100, 50]
    assert batches[0].schema.names == ["episode_index"]


def test_parquet_corrupt_footer(sandbox: Sandbox) -> None:
    data = bytearray(parquet_bytes())
    data[-8:-4] = (2**31 - 1).to_bytes(4, "little")
    source = table_zip(sandbox, {"data/e.parquet": bytes(data)})
    error = unreadable(lambda: tables.read_schema(source, "data/e.parquet"))
    assert error.member == "data/e.parquet"
    assert str(error).startswith("table data/e.parquet is unreadable: ")


def test_parquet_garbled_metadata(sandbox: Sandbox) -> None:
    # The footer length and magic stay valid but the Thrift metadata is noise;
    # pyarrow raises a plain OSError for it, which must still become UnreadableTable.
    data = bytearray(parquet_bytes())
    footer_length = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - footer_length
    data[start : start + footer_length] = b"\xff" * footer_length
    source = table_zip(sandbox, {"data/e.parquet": bytes(data)})
    error = unreadable(lambda: tables.read_table(source, "data/e.parquet"))
    assert "thrift" in error.reason.lower()


def test_parquet_truncated(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"data/e.parquet": parquet_bytes()[:-100]})
    error = unreadable(lambda: tables.read_table(source, "data/e.parquet"))
    assert "magic bytes not found" in error.reason


def test_parquet_empty_member(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"data/e.parquet": b""})
    error = unreadable(lambda: tables.read_schema(source, "data/e.parquet"))
    assert error.reason == "the file is empty (0 bytes)"


def test_parquet_missing_column(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"data/e.parquet": parquet_bytes()})
    error = unreadable(lambda: tables.read_table(source, "data/e.parquet", ["timestamp", "action"]))
    assert error.reason.startswith("missing requested column 'action' (columns: timestamp, ")
    unreadable(lambda: list(tables.iter_batches(source, "data/e.parquet", ["action"])))


# CSV


def test_csv_columns_and_batches(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"t/a.csv": CSV}, zipfile.ZIP_DEFLATED)

    table = tables.read_table(source, "t/a.csv", ["joint"])
    batches = list(tables.iter_batches(source, "t/a.csv", batch_rows=100))

    assert table.column_names == ["joint"]
    assert table.column("joint").to_pylist()[:3] == [0, 1, 2]
    assert [b.num_rows for b in batches] == [100, 100, 50]
    assert tables.read_schema(source, "t/a.csv").names == ["time", "joint"]


def test_csv_ragged_rows(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"t/a.csv": b"time,joint\n0.0,1\n0.1\n0.2,3\n"})
    error = unreadable(lambda: tables.read_table(source, "t/a.csv"))
    assert error.reason == "CSV parse error: Expected 2 columns, got 1: 0.1"


def test_csv_invalid_utf8_value(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"t/a.csv": b"time,label\n0.0,ok\n0.1,caf\xe9\n"})
    error = unreadable(lambda: tables.read_table(source, "t/a.csv"))
    assert error.reason == "column 'label' contains invalid UTF-8"
    unreadable(lambda: list(tables.iter_batches(source, "t/a.csv")))


def test_csv_invalid_utf8_header(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"t/a.csv": b"time,\xffjoint\n0.0,1\n", "t/b.csv": b"time,\xff\n0.0,1\n"})
    first = unreadable(lambda: tables.read_schema(source, "t/a.csv"))
    second = unreadable(lambda: tables.read_table(source, "t/b.csv"))
    assert first.reason == "a column name is not valid UTF-8"
    assert second.reason == "a column name is not valid UTF-8"


def test_csv_missing_column(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"t/a.csv": CSV})
    error = unreadable(lambda: tables.read_table(source, "t/a.csv", ["current"]))
    assert "'current'" in error.reason


def test_csv_crc_error_stays_archive_error(sandbox: Sandbox) -> None:
    path = sandbox.path("crc.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("README.md", b"x")
        archive.writestr("t/a.csv", CSV)
    data = bytearray(path.read_bytes())
    data[data.find(b"0.01,1")] = ord("9")
    path.write_bytes(bytes(data))
    source = sandbox.open(path)
    with pytest.raises(ArchiveError) as caught:
        tables.read_table(source, "t/a.csv")
    assert caught.value.code == ErrorCode.CRC_MISMATCH


# JSON Lines


def test_jsonl_columns_and_batches(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"meta/episodes.jsonl": JSONL}, zipfile.ZIP_DEFLATED)

    table = tables.read_table(source, "meta/episodes.jsonl", ["length", "episode_index"])
    batches = list(tables.iter_batches(source, "meta/episodes.jsonl", ["length"], batch_rows=64))

    assert table.column_names == ["length", "episode_index"]
    assert table.column("length").to_pylist()[:2] == [10, 11]
    assert [b.num_rows for b in batches] == [64, 64, 64, 58]
    assert tables.read_schema(source, "meta/episodes.jsonl").names == ["episode_index", "length", "tags"]


def test_jsonl_deep_nesting(sandbox: Sandbox) -> None:
    # pyarrow 26 crashes the whole process on this line; the pre-scan must stop it first.
    deep = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    source = table_zip(sandbox, {"meta/deep.jsonl": JSONL + deep}, zipfile.ZIP_DEFLATED)
    peak, error = measure(lambda: tables.read_table(source, "meta/deep.jsonl"))
    assert isinstance(error, UnreadableTable)
    assert error.reason == f"line {ROWS + 1} is nested more than 100 levels deep"
    assert peak < 8 * 1024 * 1024
    unreadable(lambda: tables.read_schema(source, "meta/deep.jsonl"))
    unreadable(lambda: list(tables.iter_batches(source, "meta/deep.jsonl")))


def test_jsonl_invalid_utf8(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"meta/e.jsonl": b'{"a": "ok"}\n{"a": "caf\xe9"}\n'})
    error = unreadable(lambda: tables.read_table(source, "meta/e.jsonl"))
    assert error.reason == "invalid UTF-8 at byte 22 (line 2)"


def test_jsonl_bad_line(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"meta/e.jsonl": b'{"a": 1}\n{"a": \n'})
    error = unreadable(lambda: tables.read_table(source, "meta/e.jsonl"))
    assert error.reason.startswith("JSON parse error")


def test_jsonl_missing_column(sandbox: Sandbox) -> None:
    source = table_zip(sandbox, {"meta/e.jsonl": JSONL})
    error = unreadable(lambda: tables.read_table(source, "meta/e.jsonl", ["task"]))
    assert error.reason.startswith("missing requested column 'task'")


# JSON Lines pre-scan


@pytest.mark.parametrize(
    "line",
    [
        b'{"text": "' + b"[" * 500 + b'"}\n',
        b'{"text": "\\"[[[[' + b"{" * 500 + b'"}\n',
        b'{"text": "\\\\"}' + b"\n",
        b"[" * 100 + b"]" * 100 + b"\n",
    ],
)
def test_scan_accepts_shallow_lines(line: bytes) -> None:
    check_json_lines(io.BytesIO(line * 3), "e.jsonl")


def test_scan_rejects_101_levels() -> None:
    with pytest.raises(UnreadableTable) as caught:
        check_json_lines(io.BytesIO(b"{}\n" + b"[" * 101 + b"]" * 101 + b"\n"), "e.jsonl")
    assert caught.value.reason == "line 2 is nested more than 100 levels deep"


def test_scan_escape_across_chunks() -> None:
    # The backslash is the last byte of the first 1 MiB chunk and escapes the
    # quote that opens the next one, so the brackets after it are still in a string.
    prefix = b'{"text": "' + b"x" * (1024 * 1024 - 11) + b"\\"
    data = prefix + b'"' + b"[" * 200 + b'"}\n'
    assert len(prefix) == 1024 * 1024
    check_json_lines(io.BytesIO(data), "e.jsonl")


def test_scan_utf8_split_across_chunks() -> None:
    # A two-byte character split by the chunk boundary is valid UTF-8.
    prefix = b'{"text": "' + b"x" * (1024 * 1024 - 11)
    data = prefix + "é".encode() + b'"}\n'
    check_json_lines(io.BytesIO(data), "e.jsonl")


# Real deliveries


def test_real_lerobot_parquet(real_datasets_dir: Path, tmp_path: Path) -> None:
    from worker.archive.source import open_source

    with open_source(real_datasets_dir / "g1-pick-bottle-v21.zip", tmp_path) as source:
        table = tables.read_table(source, "data/chunk-000/episode_000000.parquet", ["timestamp", "episode_index"])
        stats = tables.read_table(source, "meta/episodes_stats.jsonl")
    assert table.num_rows == 290
    assert set(table.column("episode_index").to_pylist()) == {0}
    assert stats.num_rows == 8


def test_real_lfs_stub_parquet(real_datasets_dir: Path, tmp_path: Path) -> None:
    from worker.archive.source import open_source

    with open_source(real_datasets_dir / "new-test-lfs-stubs.zip", tmp_path) as source:
        error = unreadable(lambda: tables.read_schema(source, "data/chunk-000/episode_000000.parquet"))
    assert "magic bytes not found" in error.reason


def test_fuzzed_tables_raise_archive_error(sandbox: Sandbox) -> None:
    # Random byte damage to table members must end in ArchiveError, never a raw pyarrow error.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("t/a.csv", b"".join(CSV.splitlines(keepends=True)[:100]))
        archive.writestr("t/e.jsonl", b"".join(JSONL.splitlines(keepends=True)[:30]))
        archive.writestr("t/s.parquet", parquet_bytes(40), zipfile.ZIP_STORED)
        archive.writestr("t/d.parquet", parquet_bytes(40))
    original = buffer.getvalue()
    generator = random.Random(11)
    paths = []
    for attempt in range(200):
        data = bytearray(original)
        # One damaged byte per archive, so some land in fields no check depends on.
        data[generator.randrange(len(data))] = generator.randrange(256)
        paths.append(sandbox.path(f"fuzz-{attempt}.zip"))
        paths[-1].write_bytes(bytes(data))

    outcomes = {"read": 0, "rejected": 0}
    for path in paths:
        try:
            source = sandbox.open(path)
            for name in filter(tables.table_format, source.names()):
                assert tables.read_schema(source, name).names
                assert tables.read_table(source, name).column_names
                list(tables.iter_batches(source, name, batch_rows=7))
            outcomes["read"] += 1
        except ArchiveError:
            outcomes["rejected"] += 1
    assert outcomes["read"] > 0
    assert outcomes["rejected"] > 0
