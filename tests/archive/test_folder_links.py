"""Local folders whose files are symbolic links, laid out like a Hugging Face cache snapshot."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from worker.archive.errors import ArchiveError, ErrorCode
from worker.archive.source import open_source

REAL_ARCHIVE = "so101-record-v30.zip"
EXPECTED_NAMES = [
    "data/chunk-000/file-000.parquet",
    "meta/episodes/chunk-000/file-000.parquet",
    "meta/info.json",
    "meta/stats.json",
    "meta/tasks.parquet",
]
RULES = """\
suite: linked
applies_to:
  data_type: episode
rules:
  - id: layout-present
    check: archive.required_members
    args:
      patterns: [meta/info.json, "data/chunk-00[0-9]/*.parquet"]
  - id: frames-present
    expectation: expect_column_values_to_not_be_null
    members: "data/**/*.parquet"
    args: {column: frame_index}
"""


def linked_snapshot(archive: Path, root: Path) -> Path:
    """Extract `archive` into ``root/blobs`` by content hash and link each member from ``root/snap``."""
    blobs = root / "blobs"
    snapshot = root / "snap"
    blobs.mkdir(parents=True)
    with zipfile.ZipFile(archive) as source:
        for info in source.infolist():
            data = source.read(info)
            blob = blobs / hashlib.sha256(data).hexdigest()
            blob.write_bytes(data)
            link = snapshot / info.filename
            link.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.path.relpath(blob, link.parent), link)
    return snapshot


@pytest.fixture
def snapshot(real_datasets_dir: Path, tmp_path: Path) -> Path:
    return linked_snapshot(real_datasets_dir / REAL_ARCHIVE, tmp_path / "cache")


def test_linked_files_are_members(snapshot: Path, real_datasets_dir: Path, tmp_path: Path) -> None:
    assert (snapshot / "meta" / "info.json").is_symlink()

    with zipfile.ZipFile(real_datasets_dir / REAL_ARCHIVE) as archive, open_source(snapshot, tmp_path / "work") as source:
        assert source.names() == EXPECTED_NAMES
        for name in EXPECTED_NAMES:
            data = archive.read(name)
            assert source.member(name).size == len(data), name
            assert source.read_bytes(name) == data, name
            assert source.local_path(name).read_bytes() == data, name


def test_dangling_link_rejected(snapshot: Path, tmp_path: Path) -> None:
    os.symlink("../../blobs/missing", snapshot / "meta" / "gone.json")

    with pytest.raises(ArchiveError) as caught:
        open_source(snapshot, tmp_path / "work")

    assert caught.value.code == ErrorCode.SYMLINK
    assert caught.value.member == "meta/gone.json"
    assert str(caught.value) == (
        "folder snap has an entry that is not a readable file:"
        " meta/gone.json is a dangling symbolic link to ../../blobs/missing;"
        " point each link at an existing file (linked folders are not followed), or remove the entry"
    )


def test_loops_and_folders_listed(snapshot: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "more").mkdir(parents=True)
    (outside / "more" / "x.parquet").write_bytes(b"x")
    os.symlink("loop", snapshot / "loop")
    os.symlink(outside, snapshot / "data" / "outside")
    os.symlink("..", snapshot / "meta" / "parent")

    with pytest.raises(ArchiveError) as caught:
        open_source(snapshot, tmp_path / "work")

    message = str(caught.value)
    assert caught.value.code == ErrorCode.SYMLINK
    assert message.startswith("folder snap has 3 entries that are not readable files: ")
    assert f"data/outside is a symbolic link to the folder {outside};" in message
    assert "loop is a symbolic link loop through loop;" in message
    assert "meta/parent is a symbolic link to the folder ..;" in message


def test_named_pipe_rejected(snapshot: Path, tmp_path: Path) -> None:
    os.mkfifo(snapshot / "meta" / "pipe")

    with pytest.raises(ArchiveError) as caught:
        open_source(snapshot, tmp_path / "work")

    assert caught.value.code == ErrorCode.NOT_REGULAR
    assert "meta/pipe is a named pipe;" in str(caught.value)


def test_cli_checks_linked_folder(snapshot: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "linked.yaml").write_text(RULES, encoding="utf-8")
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    args = [sys.executable, "-m", "worker", "check", str(snapshot), "--data-type", "episode", "--rules", str(rules), "--json"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)

    report = json.loads(done.stdout)
    assert report["verdict"] == "accept", report["reason"]
    assert report["counts"]["passed"] == 2
    assert report["counts"]["failed"] == 0
