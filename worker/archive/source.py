"""A dataset's files, read from a ZIP archive or a local folder.

Members are addressed by their POSIX path inside the dataset, for example
``meta/info.json``. When every member sits under one top-level folder, that
folder is stripped, so ``g1/meta/info.json`` is addressed as ``meta/info.json``.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import BinaryIO


class ArchiveError(Exception):
    """The archive itself is malformed or unsafe; the vendor's fault, a reason to reject."""


@dataclass(frozen=True)
class Member:
    """One regular file of the dataset."""

    name: str
    size: int
    compressed_size: int


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    # `**` matches across folders, `*` and `?` stay within one path segment.
    parts = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts) + r"\Z")


def match_glob(name: str, pattern: str) -> bool:
    """Tell whether a member name matches a glob where `**` spans folders."""
    return _glob_regex(pattern).match(name) is not None


class DatasetSource:
    """Read-only view of a dataset's members, whatever holds them."""

    def __init__(self, label: str, members: list[Member], work_dir: Path) -> None:
        self.label = label
        self.members = sorted(members, key=lambda m: m.name)
        self._by_name = {m.name: m for m in self.members}
        self.work_dir = work_dir

    def member(self, name: str) -> Member | None:
        return self._by_name.get(name)

    def glob(self, pattern: str) -> list[Member]:
        return [m for m in self.members if match_glob(m.name, pattern)]

    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def open(self, name: str) -> BinaryIO:
        raise NotImplementedError

    def read_bytes(self, name: str, limit: int | None = None) -> bytes:
        with self.open(name) as handle:
            return handle.read() if limit is None else handle.read(limit)

    def local_path(self, name: str) -> Path:
        """Return a path on disk holding the member, extracting it if needed."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> DatasetSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _common_root(names: list[str]) -> str:
    firsts = {PurePosixPath(n).parts[0] for n in names}
    if len(firsts) == 1 and all("/" in n for n in names):
        return next(iter(firsts)) + "/"
    return ""


class ZipSource(DatasetSource):
    def __init__(self, path: Path, work_dir: Path) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise ArchiveError(f"archive {path.name} is not a readable ZIP file: {error}") from error
        infos = [i for i in self._zip.infolist() if not i.is_dir()]
        self._root = _common_root([i.filename for i in infos])
        self._infos = {i.filename[len(self._root):]: i for i in infos}
        members = [Member(n, i.file_size, i.compress_size) for n, i in self._infos.items()]
        super().__init__(path.name, members, work_dir)

    def open(self, name: str) -> BinaryIO:
        return self._zip.open(self._infos[name])  # type: ignore[return-value]

    def local_path(self, name: str) -> Path:
        target = self.work_dir / "members" / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            with self.open(name) as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            partial.replace(target)
        return target

    def close(self) -> None:
        self._zip.close()


class DirectorySource(DatasetSource):
    def __init__(self, path: Path, work_dir: Path) -> None:
        self._root = path
        members = []
        for file in sorted(path.rglob("*")):
            if file.is_file() and not file.is_symlink():
                size = file.stat().st_size
                members.append(Member(file.relative_to(path).as_posix(), size, size))
        super().__init__(path.name, members, work_dir)

    def open(self, name: str) -> BinaryIO:
        return open(self._root / name, "rb")

    def local_path(self, name: str) -> Path:
        return self._root / name


def open_source(path: Path, work_dir: Path) -> DatasetSource:
    """Open a ZIP archive or a folder as a dataset source."""
    if path.is_dir():
        return DirectorySource(path, work_dir)
    return ZipSource(path, work_dir)


__all__ = ["ArchiveError", "DatasetSource", "DirectorySource", "Member", "ZipSource", "match_glob", "open_source"]
