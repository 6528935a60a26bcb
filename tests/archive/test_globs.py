"""Member globs match as fnmatch and pathlib do per folder, and `**` spans folders."""

from __future__ import annotations

import fnmatch
from pathlib import Path, PurePosixPath

import pytest

from worker.archive.globs import GlobError, check_glob, match_glob
from worker.archive.source import open_source

SEGMENT_PATTERNS = [
    "[abc]", "[a-c]", "[!abc]", "[]]", "[!]]", "[]a]", "[a-]", "[-a]", "[a-c-e]", "[z-a]", "[!z-a]",
    "[a-cx-z]", "[\\]", "[^a]", "[[]", "[*]", "[?]", "[a-c]?", "*[0-9]", "[&&]", "[|]", "file-00[0-9].*",
]
SEGMENT_NAMES = [
    "a", "b", "c", "d", "e", "x", "z", "]", "-", "\\", "^", "[", "*", "?", "&", "|", "!", "0", "a0", "b1", "",
    "ab", "file-003.parquet", "file-00a.parquet",
]
PATH_PATTERNS = ["data/chunk-00[0-9]/*.parquet", "data/[!x]*/*", "*/[a-z]*.json", "meta/[!s]*", "?/[ab]"]
PATH_NAMES = [
    "data/chunk-000/file-000.parquet", "data/chunk-00a/file-000.parquet", "data/x/y", "data/y/z",
    "meta/info.json", "meta/stats.json", "a/b", "a/c", "a/b/c",
]


@pytest.mark.parametrize("pattern", SEGMENT_PATTERNS)
def test_segment_matches_like_fnmatch(pattern: str) -> None:
    for name in SEGMENT_NAMES:
        assert match_glob(name, pattern) == fnmatch.fnmatchcase(name, pattern), name


@pytest.mark.parametrize("pattern", PATH_PATTERNS)
def test_path_matches_like_pathlib(pattern: str) -> None:
    # PurePosixPath.match anchors at the right only, so equal depth makes it a full match.
    for name in PATH_NAMES:
        same_depth = name.count("/") == pattern.count("/")
        expected = same_depth and PurePosixPath(name).match(pattern)
        assert match_glob(name, pattern) == expected, name


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("data/chunk-00[0-9]/*.parquet", "data/chunk-000/file-000.parquet", True),
        ("data/chunk-00[0-9]/*.parquet", "data/chunk-00x/file-000.parquet", False),
        ("data/*.parquet", "data/chunk-000/file-000.parquet", False),
        ("data/**/*.parquet", "data/chunk-000/file-000.parquet", True),
        ("data/**/*.parquet", "data/file.parquet", True),
        ("**/*.mp4", "clip.mp4", True),
        ("**", "a/b/c", True),
        ("data/**.parquet", "data/a/b.parquet", True),
        ("a?c", "a/c", False),
        ("a[!b]c", "a/c", False),
        ("a[+-0]c", "a/c", False),
        ("a[+-0]c", "a.c", True),
        ("Meta/*", "meta/info.json", False),
    ],
)
def test_glob_cases(pattern: str, name: str, expected: bool) -> None:
    assert match_glob(name, pattern) is expected


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("data/chunk-00[0-9/*.parquet", "unclosed '[' at character 14"),
        ("[", "unclosed '[' at character 1"),
        ("[]", "unclosed '[' at character 1"),
        ("[!]", "unclosed '[' at character 1"),
        ("data[/]x", "'/' inside the character class '[/]'"),
    ],
)
def test_invalid_glob_raises(pattern: str, fragment: str) -> None:
    with pytest.raises(GlobError) as caught:
        check_glob(pattern)
    assert fragment in str(caught.value)
    assert repr(pattern) in str(caught.value)


def test_source_glob_uses_classes(real_datasets_dir: Path, tmp_path: Path) -> None:
    with open_source(real_datasets_dir / "so101-record-v30.zip", tmp_path) as source:
        names = [m.name for m in source.glob("data/chunk-00[0-9]/*.parquet")]
        meta = [m.name for m in source.glob("meta/[!e]*")]
    assert names == ["data/chunk-000/file-000.parquet"]
    assert meta == ["meta/info.json", "meta/stats.json", "meta/tasks.parquet"]
