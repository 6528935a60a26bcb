"""The list of a dataset's members, checked as a whole against the limits.

`build_zip_inventory` reads only the central directory. It rejects the
archive for unsafe names, non-regular entries, encryption, duplicates, size
and ratio limits and overlapping entries before any member data is read.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from worker.archive.end_record import EndRecord
from worker.archive.entries import check_entry_encoding, check_entry_size, check_entry_type
from worker.archive.errors import ArchiveError, ErrorCode, format_count
from worker.archive.limits import ArchiveLimits
from worker.archive.names import collision_key, normalize_member_name

# Members with these suffixes are archives or compressed streams of their own.
# They are flagged and never opened recursively.
NESTED_ARCHIVE_SUFFIXES = frozenset(
    {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".lz4", ".7z", ".rar"}
)
# Fixed part of a local file header, which precedes each member's data.
_LOCAL_HEADER_SIZE = 30


@dataclass(frozen=True)
class Member:
    """One regular file of the dataset; sizes in bytes."""

    name: str
    size: int
    compressed_size: int

    @property
    def extension(self) -> str:
        """Lower-case suffix of the file name, such as ``.parquet``, or ``""``."""
        return PurePosixPath(self.name).suffix.lower()

    @property
    def is_nested_archive(self) -> bool:
        return self.extension in NESTED_ARCHIVE_SUFFIXES


@dataclass(frozen=True)
class Inventory:
    """All regular members of an archive, with the archive's own size."""

    archive_size: int
    members: tuple[Member, ...]

    @property
    def total_size(self) -> int:
        return sum(m.size for m in self.members)

    @property
    def compressed_size(self) -> int:
        return sum(m.compressed_size for m in self.members)

    @property
    def nested_archives(self) -> list[str]:
        return [m.name for m in self.members if m.is_nested_archive]


def build_zip_inventory(
    zip_file: zipfile.ZipFile, end: EndRecord, limits: ArchiveLimits, label: str
) -> tuple[Inventory, dict[str, zipfile.ZipInfo]]:
    """Check every central directory entry and return the inventory and the entry of each member.

    Members are keyed by their normalised name with a single top-level
    folder stripped.
    """
    infos = zip_file.infolist()
    if len(infos) > limits.max_members:
        raise ArchiveError(
            f"archive {label} has {format_count(len(infos))} entries"
            f" (limit {format_count(limits.max_members)})",
            code=ErrorCode.TOO_MANY_MEMBERS,
        )

    files = _check_entries(infos, limits)
    if not files:
        raise ArchiveError(f"archive {label} contains no files", code=ErrorCode.EMPTY)

    root = common_root(list(files))
    by_name = {name[len(root):]: info for name, info in files.items()}
    _check_collisions(by_name)
    _check_overlaps(by_name, end)

    members = tuple(Member(n, i.file_size, i.compress_size) for n, i in sorted(by_name.items()))
    inventory = Inventory(end.archive_size, members)
    _check_totals(inventory, limits, label)
    return inventory, by_name


def _check_entries(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> dict[str, zipfile.ZipInfo]:
    files: dict[str, zipfile.ZipInfo] = {}
    seen: set[str] = set()
    for info in infos:
        name = normalize_member_name(info.filename, limits)
        is_file = check_entry_type(info, name)
        if not is_file:
            continue
        check_entry_encoding(info, name)
        check_entry_size(info, name, limits)
        key = collision_key(name)
        if key in seen:
            raise ArchiveError(
                f"member {name} appears more than once in the archive",
                code=ErrorCode.DUPLICATE_NAME,
                member=name,
            )
        seen.add(key)
        files[name] = info
    return files


def common_root(names: list[str]) -> str:
    """Return the single top-level folder all names share (with its slash), or ``""``."""
    firsts = {PurePosixPath(n).parts[0] for n in names}
    if len(firsts) == 1 and all("/" in n for n in names):
        return next(iter(firsts)) + "/"
    return ""


def _check_collisions(by_name: dict[str, zipfile.ZipInfo]) -> None:
    # A member named like another member's folder cannot be extracted next to it.
    keys = {collision_key(n): n for n in by_name}
    for name in by_name:
        parent = PurePosixPath(name).parent
        while parent.name:
            clash = keys.get(collision_key(str(parent)))
            if clash is not None:
                raise ArchiveError(
                    f"member {clash} is a file but also the folder of member {name}",
                    code=ErrorCode.DUPLICATE_NAME,
                    member=clash,
                )
            parent = parent.parent


def _check_overlaps(by_name: dict[str, zipfile.ZipInfo], end: EndRecord) -> None:
    # Entries that share compressed data are how non-recursive ZIP bombs
    # multiply one small payload into many large members.
    spans = sorted((info.header_offset, name, info) for name, info in by_name.items())
    # Member data must end before the central directory. A ZIP64 end record
    # between the two only makes this bound looser, never wrong.
    directory_start = end.record_offset - end.cd_size
    for index, (start, name, info) in enumerate(spans):
        data_end = start + _LOCAL_HEADER_SIZE + info.compress_size
        if data_end > directory_start:
            raise ArchiveError(
                f"member {name} data ends at byte {format_count(data_end)}, past the start of the"
                f" central directory at byte {format_count(directory_start)}: the file was cut",
                code=ErrorCode.TRUNCATED,
                member=name,
            )
        if index + 1 < len(spans) and spans[index + 1][0] < data_end:
            other = spans[index + 1][1]
            raise ArchiveError(
                f"members {name} and {other} overlap in the archive: {other} starts at byte"
                f" {format_count(spans[index + 1][0])}, inside the data of {name}",
                code=ErrorCode.ZIP_BOMB,
                member=other,
            )


def _check_totals(inventory: Inventory, limits: ArchiveLimits, label: str) -> None:
    total = inventory.total_size
    if total > limits.max_total_size:
        raise ArchiveError(
            f"archive {label} expands to {format_count(total)} bytes"
            f" (limit {format_count(limits.max_total_size)})",
            code=ErrorCode.TOO_LARGE,
        )
    if total < limits.ratio_min_size:
        return
    ratio = total / max(inventory.archive_size, 1)
    if ratio > limits.max_total_ratio:
        raise ArchiveError(
            f"archive {label} expands {format_count(ratio)}x ({format_count(total)} bytes from"
            f" {format_count(inventory.archive_size)}; limit {format_count(limits.max_total_ratio)}x)",
            code=ErrorCode.ZIP_BOMB,
        )
