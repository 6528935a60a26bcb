"""Inventories of the real deliveries, which must all open under the default limits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from worker.archive.source import ZipSource, open_source
from worker.archive.summary import ExtensionStats, summarize


def test_g1_inventory(real_datasets_dir: Path, tmp_path: Path) -> None:
    path = real_datasets_dir / "g1-pick-bottle-v21.zip"
    started = time.monotonic()
    with open_source(path, tmp_path) as source:
        elapsed = time.monotonic() - started
        summary = summarize(source)
        names = source.names()

    assert summary.member_count == 20
    assert summary.total_size == 26_086_632
    assert summary.stored_size == path.stat().st_size
    assert summary.by_extension == {
        ".json": ExtensionStats(1, 4_324),
        ".jsonl": ExtensionStats(3, 720 + 41_545 + 69),
        ".mp4": ExtensionStats(8, 25_305_506),
        ".parquet": ExtensionStats(8, 734_468),
    }
    assert summary.nested_archives == []
    assert summary.lfs_pointers == []
    assert names[0] == "data/chunk-000/episode_000000.parquet"
    assert elapsed < 0.5
    assert list(tmp_path.iterdir()) == []


def test_lfs_stubs_summary(real_datasets_dir: Path, tmp_path: Path) -> None:
    with open_source(real_datasets_dir / "new-test-lfs-stubs.zip", tmp_path) as source:
        summary = summarize(source)

    assert summary.member_count == 93
    assert len(summary.lfs_pointers) == 91
    assert summary.by_extension[".parquet"] == ExtensionStats(38, 38 * 130)
    assert summary.by_extension[".mp4"] == ExtensionStats(38, 38 * 132)
    report = summary.to_dict()
    assert report["member_count"] == 93
    assert report["lfs_pointers"][0]["member"] == "annotations/eef_acc_mag_annotation.jsonl"


@pytest.mark.parametrize(
    ("archive", "members"),
    [("so101-record-v30.zip", 5), ("cockatoo-pov.zip", 2)],
)
def test_other_deliveries_open(real_datasets_dir: Path, tmp_path: Path, archive: str, members: int) -> None:
    with open_source(real_datasets_dir / archive, tmp_path) as source:
        assert isinstance(source, ZipSource)
        assert len(source.members) == members
        for member in source.members:
            assert len(source.read_bytes(member.name)) == member.size
