"""Limits, member-name rules and error types."""

from __future__ import annotations

import pickle

import pydantic
import pytest

from worker.archive import limits as limits_module
from worker.archive.errors import ArchiveError, ErrorCode, UnreadableTable, WorkDirError
from worker.archive.limits import ArchiveLimits
from worker.archive.names import normalize_member_name
from worker.archive.source import ArchiveError as SourceArchiveError


def test_limits_defaults() -> None:
    limits = ArchiveLimits()
    assert limits.max_total_size == limits_module.DEFAULT_MAX_TOTAL_SIZE
    assert limits.max_member_size == limits_module.DEFAULT_MAX_MEMBER_SIZE
    assert limits.max_members == limits_module.DEFAULT_MAX_MEMBERS
    assert limits.max_member_ratio == limits_module.DEFAULT_MAX_MEMBER_RATIO
    assert limits.max_total_ratio == limits_module.DEFAULT_MAX_TOTAL_RATIO
    assert limits.max_path_length == limits_module.DEFAULT_MAX_PATH_LENGTH
    assert limits.max_path_depth == limits_module.DEFAULT_MAX_PATH_DEPTH
    assert limits.max_central_directory_size == limits_module.DEFAULT_MAX_CENTRAL_DIRECTORY_SIZE


@pytest.mark.parametrize("bad", [{"max_members": 0}, {"max_member_ratio": 1}, {"max_total_size": -5}, {"max_files": 3}])
def test_limits_reject_invalid(bad: dict[str, int]) -> None:
    with pytest.raises(pydantic.ValidationError):
        ArchiveLimits(**bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("data/a.csv", "data/a.csv"),
        ("./data//a.csv", "data/a.csv"),
        ("data/./a.csv", "data/a.csv"),
        ("meta/", "meta"),
        ("cafe\u0301.csv", "caf\u00e9.csv"),
        ("ab:c/d.csv", "ab:c/d.csv"),
        ("..data/x..csv", "..data/x..csv"),
    ],
)
def test_name_normalised(raw: str, expected: str) -> None:
    assert normalize_member_name(raw, ArchiveLimits()) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("../a", ErrorCode.PATH_TRAVERSAL),
        ("a/..", ErrorCode.PATH_TRAVERSAL),
        ("/etc/passwd", ErrorCode.PATH_TRAVERSAL),
        ("a\\b", ErrorCode.PATH_TRAVERSAL),
        ("D:data", ErrorCode.PATH_TRAVERSAL),
        ("a\x00b", ErrorCode.INVALID_NAME),
        ("a\nb", ErrorCode.INVALID_NAME),
        ("./", ErrorCode.INVALID_NAME),
        ("é" * 128, ErrorCode.PATH_TOO_LONG),
    ],
)
def test_name_rejected(raw: str, code: ErrorCode) -> None:
    with pytest.raises(ArchiveError) as caught:
        normalize_member_name(raw, ArchiveLimits())
    assert caught.value.code == code
    assert caught.value.member == raw


def test_name_limits_configurable() -> None:
    limits = ArchiveLimits(max_path_length=10, max_path_depth=2)
    assert normalize_member_name("a/b.csv", limits) == "a/b.csv"
    with pytest.raises(ArchiveError) as long_name:
        normalize_member_name("abcdef/ghijk", limits)
    with pytest.raises(ArchiveError) as deep_name:
        normalize_member_name("a/b/c", limits)
    assert long_name.value.code == ErrorCode.PATH_TOO_LONG
    assert deep_name.value.code == ErrorCode.PATH_TOO_DEEP
    assert str(deep_name.value) == "member a/b/c is 3 folders deep (limit 2)"


def test_archive_error_defaults() -> None:
    error = ArchiveError("archive x.zip is broken")
    assert error.code == ErrorCode.INVALID_ARCHIVE
    assert error.member is None
    assert str(error) == "archive x.zip is broken"
    assert SourceArchiveError is ArchiveError


def test_errors_survive_pickling() -> None:
    archive_error = pickle.loads(pickle.dumps(ArchiveError("bad", code="symlink", member="a")))
    table_error = pickle.loads(pickle.dumps(UnreadableTable("t.csv", "ragged rows")))
    assert (archive_error.code, archive_error.member, str(archive_error)) == (ErrorCode.SYMLINK, "a", "bad")
    assert (table_error.member, table_error.reason, table_error.code) == ("t.csv", "ragged rows", "unreadable_table")


def test_unknown_code_rejected() -> None:
    with pytest.raises(ValueError):
        ArchiveError("bad", code="no_such_code")


def test_work_dir_error_not_archive_error() -> None:
    error = WorkDirError(28, "disk full", "/work/x")
    assert isinstance(error, OSError)
    assert not isinstance(error, ArchiveError)
    assert error.errno == 28
