"""Readers shared by the demo tests."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq

from worker.archive.source import DatasetSource


def read_parquet(source: DatasetSource, name: str) -> pa.Table:
    """Read a Parquet member without Arrow's thread pool.

    pyarrow 26's threaded reader can abort the interpreter at exit
    ("terminate called without an active exception"), which would fail the
    whole test run after every test passed.
    """
    return pq.read_table(io.BytesIO(source.read_bytes(name)), use_threads=False)


def read_jsonl(source: DatasetSource, name: str) -> list[dict]:
    return [json.loads(line) for line in source.read_bytes(name).decode().splitlines() if line.strip()]


def entry_for_file(catalog: dict, file_name: str, status: str = "pending") -> dict:
    """Return the catalog entry with this archive and status (several entries may share an archive)."""
    matches = [e for e in catalog["datasets"] if e["file"].endswith("/" + file_name) and e["status"] == status]
    assert len(matches) == 1, f"{len(matches)} entries with {file_name} and status {status}"
    return matches[0]
