"""The archive.* built-in checks on folders and ZIPs built in the test and on the real deliveries."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from worker.checks.registry import get_check
from worker.checks.results import Status

POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n"


def only(results):
    assert len(results) == 1, [r.message for r in results]
    return results[0]


def make_tree(root: Path, files: dict[str, bytes | str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            path.write_bytes(content)
    return root


def parquet_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "table.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), path)
    return path.read_bytes()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(
        tmp_path / "delivery",
        {
            "meta/info.json": "{}",
            "data/chunk-000/episode_000000.parquet": b"x" * 2000,
            "data/chunk-000/episode_000001.parquet": b"x" * 500,
            "videos/front/episode_000000.mp4": b"v" * 3000,
            "README.md": "notes",
        },
    )


# --- archive.required_members -----------------------------------------------


def test_required_pass(tree, run_check) -> None:
    result = only(run_check(tree, "archive.required_members", patterns=["meta/info.json", "data/**/*.parquet"]))
    assert result.status is Status.PASSED
    assert result.total_count == 2


def test_required_missing(tree, run_check) -> None:
    patterns = ["meta/info.json", "meta/episodes.jsonl", "videos/**/*.mkv"]
    result = only(run_check(tree, "archive.required_members", patterns=patterns))
    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.total_count == 3
    assert result.message == "2 of 3 required members are missing: no member matches meta/episodes.jsonl, videos/**/*.mkv"


def test_required_needs_patterns() -> None:
    spec = get_check("archive.required_members")
    with pytest.raises(ValidationError):
        spec.args_model()
    with pytest.raises(ValidationError):
        spec.args_model(patterns=["a"], pattern="b")


def test_any_member_pass(tree, run_check) -> None:
    result = only(run_check(tree, "archive.any_member", patterns=["**/*.csv", "data/**/*.parquet"]))
    assert result.status is Status.PASSED
    assert result.message.endswith("match **/*.csv, data/**/*.parquet")


def test_any_member_none(tree, run_check) -> None:
    result = only(run_check(tree, "archive.any_member", patterns=["**/*.csv", "**/*.jsonl.gz"]))
    assert result.status is Status.FAILED
    assert result.message == (
        "no member matches any of **/*.csv, **/*.jsonl.gz; the delivery holds none of the expected files"
    )


# --- archive.forbidden_members ----------------------------------------------


def test_forbidden_pass(tree, run_check) -> None:
    result = only(run_check(tree, "archive.forbidden_members"))
    assert result.status is Status.PASSED
    assert result.total_count == 5


def test_forbidden_defaults(tree, run_check) -> None:
    make_tree(tree, {"__MACOSX/data/._episode.parquet": b"mac", "data/.DS_Store": b"ds", ".git/config": "[core]"})
    result = only(run_check(tree, "archive.forbidden_members"))
    assert result.failed_count == 3
    assert result.total_count == 8
    assert ".git/config (matches **/.git/**)" in result.message
    assert "__MACOSX/data/._episode.parquet (matches __MACOSX/**)" in result.message
    assert "data/.DS_Store (matches **/.DS_Store)" in result.message


def test_forbidden_custom(tree, run_check) -> None:
    result = only(run_check(tree, "archive.forbidden_members", patterns=["**/*.md"]))
    assert result.failed_count == 1
    assert result.examples[0].member == "README.md"


# --- archive.allowed_extensions ---------------------------------------------


def test_extensions_pass(tree, run_check) -> None:
    result = only(run_check(tree, "archive.allowed_extensions", extensions=["parquet", ".JSON", ".mp4", ".md"]))
    assert result.status is Status.PASSED


def test_extensions_fail(tree, run_check) -> None:
    make_tree(tree, {"data/notes.TXT": "x", "data/LICENSE": "x"})
    result = only(run_check(tree, "archive.allowed_extensions", extensions=[".parquet", ".json", ".mp4"]))
    assert result.failed_count == 3
    assert result.total_count == 7
    assert result.observed == {".md": 1, "(none)": 1, ".txt": 1}
    assert result.message.startswith(
        "3 of 7 members have an extension outside the allowed list (.json, .mp4, .parquet): "
    )
    ignored = only(run_check(tree, "archive.allowed_extensions", extensions=[".parquet", ".json", ".mp4"], ignore=["README.md", "data/*"]))
    assert ignored.status is Status.PASSED
    assert ignored.total_count == 4


# --- archive.member_size ----------------------------------------------------


def test_size_limits(tree, run_check) -> None:
    limits = [
        {"pattern": "data/**/*.parquet", "min_bytes": 1024},
        {"pattern": "videos/**", "max_bytes": 2048},
    ]
    result = only(run_check(tree, "archive.member_size", limits=limits))
    assert result.failed_count == 2
    assert result.total_count == 3
    assert "data/chunk-000/episode_000001.parquet is 500 bytes, below the minimum 1,024 for data/**/*.parquet" in result.message
    assert "videos/front/episode_000000.mp4 is 3,000 bytes, above the maximum 2,048 for videos/**" in result.message


def test_size_pass(tree, run_check) -> None:
    result = only(run_check(tree, "archive.member_size", limits=[{"min_bytes": 1, "max_bytes": 10_000}]))
    assert result.status is Status.PASSED
    assert result.total_count == 5


def test_size_limit_invalid() -> None:
    spec = get_check("archive.member_size")
    with pytest.raises(ValidationError, match="needs min_bytes, max_bytes or both"):
        spec.args_model(limits=[{"pattern": "**"}])
    with pytest.raises(ValidationError, match="min_bytes 10 above max_bytes 5"):
        spec.args_model(limits=[{"min_bytes": 10, "max_bytes": 5}])


# --- archive.empty_files ----------------------------------------------------


def test_empty_files(tree, run_check) -> None:
    make_tree(tree, {"data/empty.parquet": b"", "logs/.gitkeep": b""})
    result = only(run_check(tree, "archive.empty_files"))
    assert result.failed_count == 2
    assert result.total_count == 7
    allowed = only(run_check(tree, "archive.empty_files", ignore=["**/.gitkeep"]))
    assert allowed.failed_count == 1
    assert allowed.message == "1 of 6 members are empty (0 bytes): data/empty.parquet"


def test_empty_files_pass(tree, run_check) -> None:
    assert only(run_check(tree, "archive.empty_files")).status is Status.PASSED


# --- archive.lfs_pointers ---------------------------------------------------


def test_lfs_pointers(tree, run_check) -> None:
    make_tree(
        tree,
        {
            "data/chunk-000/episode_000002.parquet": POINTER.format(oid="a" * 64, size=82515),
            "meta/episodes.jsonl": POINTER.format(oid="b" * 64, size=129),
            # Mentions the spec line but is not a pointer: no oid and size lines.
            "docs/lfs.txt": "version https://git-lfs.github.com/spec/v1\nsee the docs\n",
        },
    )
    result = only(run_check(tree, "archive.lfs_pointers"))
    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.total_count == 8
    assert result.message.startswith(
        "2 of 8 members are Git LFS pointer files, not data (e.g. data/chunk-000/episode_000002.parquet -> 82,515 bytes)"
    )
    assert result.details["missing_bytes"] == 82515 + 129


def test_lfs_pointers_pass(tree, run_check) -> None:
    result = only(run_check(tree, "archive.lfs_pointers"))
    assert result.status is Status.PASSED
    assert result.message == "none of 5 members is a Git LFS pointer file"


# --- archive.duplicate_names ------------------------------------------------


def test_duplicates_case(tree, run_check) -> None:
    make_tree(tree, {"Readme.md": "other", "data/Caf\u00e9.csv": "a\n", "data/Cafe\u0301.csv": "a\n"})
    result = only(run_check(tree, "archive.duplicate_names"))
    assert result.failed_count == 4
    assert result.total_count == 8
    assert "README.md = Readme.md" in result.message


def test_duplicates_pass(tree, run_check) -> None:
    assert only(run_check(tree, "archive.duplicate_names")).status is Status.PASSED


# --- archive.unreadable_tables ----------------------------------------------


def test_tables_unreadable(tmp_path, run_check) -> None:
    root = make_tree(
        tmp_path / "tables",
        {
            "good.parquet": parquet_bytes(tmp_path),
            "good.csv": "a,b\n1,2\n3,4\n",
            "good.jsonl": '{"a": 1}\n\n{"a": 2}\n',
            "bad.parquet": b"PAR1 not really parquet PAR1",
            "ragged.csv": "a,b\n1,2\n3,4,5\n",
            "bad.jsonl": '{"a": 1}\n{"a": \n{"a": 3\n',
            "deep.jsonl": "[" * 100_000 + "]" * 100_000 + "\n",
            "pointer.parquet": POINTER.format(oid="c" * 64, size=1890),
        },
    )
    result = only(run_check(root, "archive.unreadable_tables"))
    assert result.failed_count == 5
    assert result.total_count == 8
    problems = {e.member: e.value for e in result.examples}
    assert problems["bad.jsonl"].startswith("2 lines are not valid JSON (first: line 2,")
    assert problems["deep.jsonl"] == "1 line is not valid JSON (first: line 1, nested too deeply)"
    assert "smaller than the size reported by footer" in problems["bad.parquet"]
    assert problems["pointer.parquet"] == "it is a Git LFS pointer file, not table data"
    assert "Expected 2 columns, got 3" in problems["ragged.csv"]


def test_tables_zip_pass(tmp_path, run_check) -> None:
    archive = tmp_path / "tables.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("d/t.parquet", parquet_bytes(tmp_path))
        handle.writestr("d/t.csv", "a\n1\n" * 1000)
        handle.writestr("d/t.jsonl", '{"a": 1}\n' * 1000)
    result = only(run_check(archive, "archive.unreadable_tables"))
    assert result.status is Status.PASSED
    assert result.total_count == 3


# --- real deliveries --------------------------------------------------------


REAL_ARGS = {
    "archive.required_members": {"patterns": ["meta/info.json", "data/**/*.parquet"]},
    "archive.allowed_extensions": {"extensions": [".parquet", ".json", ".jsonl", ".mp4"]},
    "archive.member_size": {"limits": [{"pattern": "data/**/*.parquet", "min_bytes": 1024}]},
}
ARCHIVE_CHECKS = [
    "archive.required_members",
    "archive.forbidden_members",
    "archive.allowed_extensions",
    "archive.member_size",
    "archive.empty_files",
    "archive.lfs_pointers",
    "archive.duplicate_names",
    "archive.unreadable_tables",
]


@pytest.mark.parametrize("name", ["g1-pick-bottle-v21.zip", "so101-record-v30.zip"])
def test_real_archives_pass(real_datasets_dir, run_check, name) -> None:
    for check in ARCHIVE_CHECKS:
        result = only(run_check(real_datasets_dir / name, check, **REAL_ARGS.get(check, {})))
        assert result.status is Status.PASSED, (check, result.message)


def test_real_lfs_pointers(real_datasets_dir, run_check) -> None:
    archive = real_datasets_dir / "new-test-lfs-stubs.zip"
    result = only(run_check(archive, "archive.lfs_pointers"))
    assert result.status is Status.FAILED
    # Every member except README.md (12,830 bytes) and meta/info.json (3,967 bytes) is a pointer.
    assert result.failed_count == 91
    assert result.total_count == 93
    assert result.message.startswith(
        "91 of 93 members are Git LFS pointer files, not data (e.g. data/chunk-000/episode_000000.parquet -> 82,515 bytes)"
    )
    tables = only(run_check(archive, "archive.unreadable_tables"))
    assert tables.failed_count == 48
    assert tables.total_count == 48
    sizes = only(run_check(archive, "archive.member_size", **REAL_ARGS["archive.member_size"]))
    assert sizes.failed_count == 38
