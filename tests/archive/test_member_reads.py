"""Streaming reads and single-member extraction, including failures of the work dir."""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from worker.archive.errors import ArchiveError, WorkDirError
from worker.archive.source import DirectorySource, FileRegion, ZipSource, open_source

from .conftest import Sandbox

CSV = b"t,x\n" + b"".join(f"{i},{i * 2}\n".encode() for i in range(20_000))
VIDEO = bytes(range(256)) * 400


def dataset_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("g1/data/a.csv", CSV, zipfile.ZIP_DEFLATED)
        archive.writestr("g1/videos/a.mp4", VIDEO, zipfile.ZIP_STORED)
        archive.writestr("g1/meta/", b"")
    return path


def test_open_strips_single_root(sandbox: Sandbox) -> None:
    source = sandbox.open(dataset_zip(sandbox.path("d.zip")))
    assert source.names() == ["data/a.csv", "videos/a.mp4"]
    assert [m.name for m in source.glob("**/*.csv")] == ["data/a.csv"]
    assert source.member("data/a.csv").compressed_size < len(CSV)


def test_open_streams_in_chunks(sandbox: Sandbox) -> None:
    source = sandbox.open(dataset_zip(sandbox.path("d.zip")))
    chunks = []
    with source.open("data/a.csv") as handle:
        while chunk := handle.read(10_000):
            chunks.append(chunk)
    assert b"".join(chunks) == CSV
    assert len(chunks) == -(-len(CSV) // 10_000)


def test_open_seeks_from_end(sandbox: Sandbox) -> None:
    source = sandbox.open(dataset_zip(sandbox.path("d.zip")))
    with source.open("data/a.csv") as handle:
        assert handle.seek(-6, io.SEEK_END) == len(CSV) - 6
        assert handle.read() == CSV[-6:]
        assert handle.seek(4) == 4
        assert handle.read(5) == CSV[4:9]
        assert handle.seek(10, io.SEEK_CUR) == 19
        assert handle.seek(len(CSV) + 50) == len(CSV)
        assert handle.read(1) == b""


def test_read_bytes_limit(sandbox: Sandbox) -> None:
    source = sandbox.open(dataset_zip(sandbox.path("d.zip")))
    assert source.read_bytes("data/a.csv", 4) == b"t,x\n"
    assert source.read_bytes("videos/a.mp4") == VIDEO


def test_unknown_member_key_error(sandbox: Sandbox) -> None:
    source = sandbox.open(dataset_zip(sandbox.path("d.zip")))
    with pytest.raises(KeyError, match="'data/missing.csv' is not a member of d.zip"):
        source.open("data/missing.csv")
    with pytest.raises(KeyError):
        source.local_path("../d.zip")


def test_local_path_extracts_one_member(sandbox: Sandbox) -> None:
    source = sandbox.open(dataset_zip(sandbox.path("d.zip")))
    path = source.local_path("data/a.csv")

    assert path == sandbox.work_dir / "members" / "data" / "a.csv"
    assert path.read_bytes() == CSV
    assert sandbox.work_files() == ["members/data/a.csv"]


def test_local_path_reuses_own_extraction(sandbox: Sandbox) -> None:
    source = sandbox.open(dataset_zip(sandbox.path("d.zip")))
    first = source.local_path("data/a.csv")
    inode = first.stat().st_ino
    assert source.local_path("data/a.csv").stat().st_ino == inode


def test_local_path_replaces_stale_file(sandbox: Sandbox) -> None:
    stale = sandbox.work_dir / "members" / "data" / "a.csv"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"x" * len(CSV))
    source = sandbox.open(dataset_zip(sandbox.path("d.zip")))
    assert source.local_path("data/a.csv").read_bytes() == CSV


def test_local_path_work_dir_not_directory(tmp_path: Path) -> None:
    archive = dataset_zip(tmp_path / "d.zip")
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with open_source(archive, blocker / "work") as source:
        with pytest.raises(WorkDirError) as caught:
            source.local_path("data/a.csv")
    assert caught.value.errno == errno.ENOTDIR
    assert not isinstance(caught.value, ArchiveError)
    assert "check free space and permissions of the work dir" in str(caught.value)


def test_local_path_file_size_limit(tmp_path: Path) -> None:
    # RLIMIT_FSIZE makes the kernel fail writes past 10 KB with EFBIG, which is a
    # real write failure in the work dir. A child process keeps the limit away from pytest.
    archive = dataset_zip(tmp_path / "d.zip")
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        from pathlib import Path
        from worker.archive.errors import WorkDirError
        from worker.archive.source import open_source
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))
        source = open_source(Path({str(archive)!r}), Path({str(tmp_path / "work")!r}))
        try:
            source.local_path("data/a.csv")
        except WorkDirError as error:
            print("WorkDirError", error.errno)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == f"WorkDirError {errno.EFBIG}"
    leftovers = [p.name for p in (tmp_path / "work").rglob("*") if p.is_file()]
    assert leftovers == []


def test_local_path_low_disk_space(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    # Fake: a full disk cannot be arranged here, so disk_usage reports 1 KiB free.
    source = sandbox.open(dataset_zip(sandbox.path("d.zip")))
    real_usage = shutil.disk_usage(sandbox.work_dir)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: real_usage._replace(free=1024))
    with pytest.raises(WorkDirError) as caught:
        source.local_path("data/a.csv")
    assert caught.value.errno == errno.ENOSPC
    assert sandbox.work_files() == []


def test_missing_archive_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_source(tmp_path / "absent.zip", tmp_path / "work")


def test_file_region_of_stored_member(sandbox: Sandbox) -> None:
    path = dataset_zip(sandbox.path("d.zip"))
    source = sandbox.open(path)
    region = source.file_region("videos/a.mp4")

    assert isinstance(region, FileRegion)
    with open(region.path, "rb") as handle:
        handle.seek(region.offset)
        assert handle.read(region.size) == VIDEO
    assert source.file_region("data/a.csv") is None


def test_directory_source_members(tmp_path: Path) -> None:
    root = tmp_path / "dataset"
    (root / "data").mkdir(parents=True)
    (root / "data" / "a.csv").write_bytes(CSV)
    (tmp_path / "outside.csv").write_bytes(b"t,x\n0,0\n")
    os.symlink(tmp_path / "outside.csv", root / "data" / "link.csv")
    source = DirectorySource(root, tmp_path / "work")

    assert source.names() == ["data/a.csv", "data/link.csv"]
    assert source.read_bytes("data/link.csv") == b"t,x\n0,0\n"
    assert source.read_bytes("data/a.csv", 3) == b"t,x"
    assert source.local_path("data/a.csv") == root / "data" / "a.csv"
    assert source.file_region("data/a.csv") == FileRegion(root / "data" / "a.csv", 0, len(CSV))
    with pytest.raises(KeyError):
        source.open("../outside.txt")


def test_zip_source_inventory_sizes(sandbox: Sandbox) -> None:
    path = dataset_zip(sandbox.path("d.zip"))
    source = sandbox.open(path)
    assert isinstance(source, ZipSource)
    assert source.inventory.archive_size == path.stat().st_size
    assert source.inventory.total_size == len(CSV) + len(VIDEO)
    assert source.inventory.nested_archives == []
