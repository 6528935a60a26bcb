"""A dataset's files, read from a ZIP archive or a local folder.

Members are addressed by their POSIX path inside the dataset, for example
``meta/info.json``. When every member sits under one top-level folder, that
folder is stripped, so ``g1/meta/info.json`` is addressed as ``meta/info.json``.

Opening a ZIP archive checks its whole central directory against
`ArchiveLimits` before any member is read (see `inventory.py`), and members
are only ever extracted one at a time, on request, into the work dir.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import struct
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import structlog

from worker.archive.end_record import read_end_record
from worker.archive.errors import ArchiveError, ErrorCode, WorkDirError, format_count
from worker.archive.folder import list_folder
from worker.archive.globs import match_glob
from worker.archive.inventory import Inventory, Member, build_zip_inventory
from worker.archive.limits import ArchiveLimits
from worker.archive.reader import READ_CHUNK, MemberReader

log = structlog.get_logger(__name__)

_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"


@dataclass(frozen=True)
class FileRegion:
    """Bytes of one member as they lie, uncompressed, in a file on disk."""

    path: Path
    offset: int
    size: int


class DatasetSource:
    """Read-only view of a dataset's members, whatever holds them."""

    def __init__(self, label: str, members: list[Member], work_dir: Path) -> None:
        self.label = label
        self.members = sorted(members, key=lambda m: m.name)
        self._by_name = {m.name: m for m in self.members}
        self.work_dir = work_dir

    @property
    def inventory(self) -> Inventory:
        return Inventory(self._stored_size(), tuple(self.members))

    def member(self, name: str) -> Member | None:
        return self._by_name.get(name)

    def glob(self, pattern: str) -> list[Member]:
        return [m for m in self.members if match_glob(m.name, pattern)]

    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def open(self, name: str) -> BinaryIO:
        """Open a member for streaming reads; raise KeyError for a name that is not a member."""
        raise NotImplementedError

    def read_bytes(self, name: str, limit: int | None = None) -> bytes:
        with self.open(name) as handle:
            return handle.read() if limit is None else handle.read(limit)

    def local_path(self, name: str) -> Path:
        """Return a path on disk holding the member, extracting it if needed."""
        raise NotImplementedError

    def file_region(self, name: str) -> FileRegion | None:
        """Locate the member's bytes in a file on disk, or return None when they are compressed.

        A caller can memory-map the region for random access without
        extracting the member. No CRC is checked on this path.
        """
        return None

    def close(self) -> None:
        pass

    def _require(self, name: str) -> Member:
        member = self._by_name.get(name)
        if member is None:
            raise KeyError(f"{name!r} is not a member of {self.label}; list members with source.names()")
        return member

    def _stored_size(self) -> int:
        return sum(m.compressed_size for m in self.members)

    def __enter__(self) -> DatasetSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ZipSource(DatasetSource):
    """Members of a ZIP archive, checked against `limits` when the archive is opened."""

    def __init__(self, path: Path, work_dir: Path, limits: ArchiveLimits | None = None) -> None:
        started = time.monotonic()
        self.path = path
        self.limits = limits or ArchiveLimits()
        try:
            self._zip, self._inventory, self._infos = _open_checked(path, self.limits)
        except ArchiveError as error:
            log.info("archive_rejected", archive=path.name, code=str(error.code), reason=str(error))
            raise
        super().__init__(path.name, list(self._inventory.members), work_dir)
        # Only files this source extracted are reused; a file left in the work
        # dir by an earlier run may come from another archive.
        self._extracted: set[str] = set()
        log.info(
            "archive_opened",
            archive=path.name,
            members=len(self.members),
            total_size=self._inventory.total_size,
            elapsed_s=round(time.monotonic() - started, 3),
        )

    @property
    def inventory(self) -> Inventory:
        return self._inventory

    def open(self, name: str) -> BinaryIO:
        self._require(name)
        raw = MemberReader(self._zip, self._infos[name], name)
        return io.BufferedReader(raw, buffer_size=READ_CHUNK)  # type: ignore[return-value]

    def local_path(self, name: str) -> Path:
        """Extract the member alone into ``<work_dir>/members/`` and return its path.

        The data goes to a temporary ``.part`` file that is renamed into place
        once complete, so a crash never leaves a partial member under its name.
        A failure to write raises WorkDirError (our fault); bad member data
        raises ArchiveError (the vendor's fault).
        """
        member = self._require(name)
        root = self.work_dir / "members"
        target = root / name
        if not target.resolve().is_relative_to(root.resolve()):
            raise ArchiveError(f"member {name} would extract outside the work dir", code=ErrorCode.PATH_TRAVERSAL)
        if name in self._extracted and target.is_file():
            return target

        started = time.monotonic()
        part = _create_part_file(target, member.size, name)
        try:
            self._copy_member(name, part)
            os.replace(part, target)
            self._extracted.add(name)
        except OSError as error:
            _remove_quietly(part)
            if isinstance(error, WorkDirError):
                raise
            raise _work_dir_error(error, name, target) from error
        except BaseException:
            _remove_quietly(part)
            raise
        log.debug(
            "member_extracted",
            archive=self.label,
            member=name,
            size=member.size,
            elapsed_s=round(time.monotonic() - started, 3),
        )
        return target

    def file_region(self, name: str) -> FileRegion | None:
        member = self._require(name)
        info = self._infos[name]
        if info.compress_type != zipfile.ZIP_STORED:
            return None
        with open(self.path, "rb") as handle:
            handle.seek(info.header_offset)
            header = handle.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or not header.startswith(_LOCAL_HEADER_SIGNATURE):
            raise ArchiveError(
                f"member {name} has no valid local file header at byte {format_count(info.header_offset)}",
                code=ErrorCode.CORRUPT,
                member=name,
            )
        _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        offset = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        if offset + member.size > self._inventory.archive_size:
            raise ArchiveError(
                f"member {name} data ends at byte {format_count(offset + member.size)}, past the"
                f" archive's {format_count(self._inventory.archive_size)} bytes",
                code=ErrorCode.TRUNCATED,
                member=name,
            )
        return FileRegion(self.path, offset, member.size)

    def close(self) -> None:
        self._zip.close()

    def _stored_size(self) -> int:
        return self._inventory.archive_size

    def _copy_member(self, name: str, part: Path) -> None:
        with self.open(name) as source, open(part, "wb") as destination:
            while chunk := source.read(READ_CHUNK):
                destination.write(chunk)


class DirectorySource(DatasetSource):
    """Members of a local folder, symbolic links to files included (see `folder.py`)."""

    def __init__(self, path: Path, work_dir: Path) -> None:
        self._root = path
        super().__init__(path.name, list_folder(path), work_dir)

    def open(self, name: str) -> BinaryIO:
        self._require(name)
        return open(self._root / name, "rb")

    def local_path(self, name: str) -> Path:
        self._require(name)
        return self._root / name

    def file_region(self, name: str) -> FileRegion | None:
        member = self._require(name)
        return FileRegion(self._root / name, 0, member.size)


def open_source(path: Path, work_dir: Path, limits: ArchiveLimits | None = None) -> DatasetSource:
    """Open a ZIP archive or a folder as a dataset source.

    Raise ArchiveError when the archive is unsafe or malformed, or when the
    folder has an entry that is not a readable file, such as a dangling
    link. An archive or folder that cannot be read from disk raises the
    original OSError.
    """
    if path.is_dir():
        return DirectorySource(path, work_dir)
    return ZipSource(path, work_dir, limits)


def _open_checked(
    path: Path, limits: ArchiveLimits
) -> tuple[zipfile.ZipFile, Inventory, dict[str, zipfile.ZipInfo]]:
    end = read_end_record(path, limits)
    archive = _open_zip(path)
    try:
        inventory, infos = build_zip_inventory(archive, end, limits, path.name)
    except BaseException:
        archive.close()
        raise
    return archive, inventory, infos


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        code = ErrorCode.TRUNCATED if "runcated" in str(error) else ErrorCode.CORRUPT
        raise ArchiveError(
            f"archive {path.name} has a corrupt central directory: {error}", code=code
        ) from error
    except NotImplementedError as error:
        raise ArchiveError(
            f"archive {path.name} needs a ZIP feature the gate cannot read: {error}",
            code=ErrorCode.CORRUPT,
        ) from error
    except UnicodeDecodeError as error:
        raise ArchiveError(
            f"archive {path.name} has a member name flagged as UTF-8 that is not valid UTF-8",
            code=ErrorCode.INVALID_NAME,
        ) from error


def _create_part_file(target: Path, size: int, name: str) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(target.parent).free
        if free < size:
            raise WorkDirError(
                errno.ENOSPC,
                f"cannot extract {format_count(size)} bytes into {target.parent}: only"
                f" {format_count(free)} bytes free; free disk space in the work dir and retry",
                str(target),
            )
        descriptor, part = tempfile.mkstemp(dir=target.parent, prefix=".extract-", suffix=".part")
        os.close(descriptor)
        return Path(part)
    except WorkDirError:
        raise
    except OSError as error:
        raise _work_dir_error(error, name, target) from error


def _work_dir_error(error: OSError, name: str, target: Path) -> WorkDirError:
    return WorkDirError(
        error.errno,
        f"cannot extract member {name} to {target}: {error.strerror or error};"
        " check free space and permissions of the work dir",
        str(target),
    )


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        # The original error matters more than a leftover .part file.
        pass


__all__ = [
    "ArchiveError",
    "ArchiveLimits",
    "DatasetSource",
    "DirectorySource",
    "FileRegion",
    "Member",
    "WorkDirError",
    "ZipSource",
    "match_glob",
    "open_source",
]
