"""Git LFS pointer detection on built pointers and on the real LFS-stub delivery."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.archive.lfs import MAX_POINTER_SIZE, LfsPointer, find_lfs_pointers, parse_lfs_pointer
from worker.archive.source import DirectorySource, open_source

OID = "2776b1487ca0bd22ee1985fd9963bf069a67f0a2e6c2584d7c073727271e17b8"
POINTER = f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize 82515\n".encode()


def test_parse_pointer_fields() -> None:
    assert parse_lfs_pointer(POINTER, "data/e.parquet") == LfsPointer("data/e.parquet", OID, 82_515)


def test_parse_pointer_crlf() -> None:
    assert parse_lfs_pointer(POINTER.replace(b"\n", b"\r\n")) == LfsPointer("", OID, 82_515)


def test_parse_pointer_with_extension_key() -> None:
    data = POINTER.replace(b"oid", b"ext-0-foo sha256:" + b"0" * 64 + b"\noid")
    assert parse_lfs_pointer(data) == LfsPointer("", OID, 82_515)


@pytest.mark.parametrize(
    "data",
    [
        POINTER.replace(b"version https://git-lfs", b"version http://example"),
        POINTER.replace(b"oid sha256:", b"oid sha1:"),
        POINTER.replace(OID.encode(), OID.upper().encode()),
        POINTER.replace(b"size 82515", b"size -1"),
        POINTER.replace(b"size 82515\n", b""),
        b"PAR1" + POINTER,
        POINTER + b"#" * (MAX_POINTER_SIZE + 1 - len(POINTER)),
    ],
)
def test_parse_rejects_non_pointer(data: bytes) -> None:
    assert parse_lfs_pointer(data) is None


class CountingSource(DirectorySource):
    """A real folder source that records which members were opened."""

    def __init__(self, path: Path, work_dir: Path) -> None:
        super().__init__(path, work_dir)
        self.opened: list[str] = []

    def open(self, name: str):  # type: ignore[no-untyped-def]
        self.opened.append(name)
        return super().open(name)


def test_find_reads_only_small_members(tmp_path: Path) -> None:
    root = tmp_path / "dataset"
    (root / "data").mkdir(parents=True)
    (root / "data" / "e0.parquet").write_bytes(POINTER)
    (root / "data" / "e1.parquet").write_bytes(b"PAR1" + bytes(5_000))
    (root / "README.md").write_bytes(b"# readme\n")
    source = CountingSource(root, tmp_path / "work")

    pointers = find_lfs_pointers(source)

    assert pointers == [LfsPointer("data/e0.parquet", OID, 82_515)]
    assert sorted(source.opened) == ["README.md", "data/e0.parquet"]


def test_real_lfs_stubs_counted(real_datasets_dir: Path, tmp_path: Path) -> None:
    with open_source(real_datasets_dir / "new-test-lfs-stubs.zip", tmp_path) as source:
        pointers = find_lfs_pointers(source)
        members = len(source.members)
    by_member = {p.member: p for p in pointers}

    assert members == 93
    assert len(pointers) == 91
    assert "README.md" not in by_member
    assert "meta/info.json" not in by_member
    assert len([p for p in pointers if p.member.endswith(".parquet")]) == 38
    assert len([p for p in pointers if p.member.endswith(".mp4")]) == 38
    assert by_member["data/chunk-000/episode_000000.parquet"] == LfsPointer(
        "data/chunk-000/episode_000000.parquet", OID, 82_515
    )
    assert list(tmp_path.iterdir()) == []


def test_real_dataset_has_no_pointers(real_datasets_dir: Path, tmp_path: Path) -> None:
    with open_source(real_datasets_dir / "g1-pick-bottle-v21.zip", tmp_path) as source:
        assert find_lfs_pointers(source) == []
