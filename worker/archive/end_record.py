"""First look at a ZIP file: its end-of-central-directory record.

Python's zipfile loads the whole central directory into memory and reports
every structural fault as "File is not a zip file". Reading the end record
first lets the gate reject a huge central directory before it is parsed, and
tell a non-ZIP file from a ZIP file that was cut off.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from worker.archive.errors import ArchiveError, ErrorCode, format_count
from worker.archive.limits import ArchiveLimits

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_MAX_COMMENT = 65_535
# Smallest central directory entry: the fixed 46-byte header with an empty name.
MIN_CENTRAL_ENTRY_SIZE = 46


@dataclass(frozen=True)
class EndRecord:
    """Fields declared by the end-of-central-directory record."""

    archive_size: int
    entries: int
    cd_size: int
    cd_offset: int
    record_offset: int


def read_end_record(path: Path, limits: ArchiveLimits) -> EndRecord:
    """Read and check the end record, raising ArchiveError for a file that cannot be a safe ZIP."""
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if size == 0:
            raise ArchiveError(f"archive {path.name} is 0 bytes long", code=ErrorCode.EMPTY)
        record = _find_end_record(handle, size)
        if record is None:
            raise _missing_end_record(path, handle)

    _check_record(path, record, limits)
    return record


def _find_end_record(handle: BinaryIO, size: int) -> EndRecord | None:
    tail_size = min(size, _EOCD.size + _MAX_COMMENT)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    position = tail.rfind(_EOCD_SIGNATURE)
    while position >= 0 and len(tail) - position < _EOCD.size:
        position = tail.rfind(_EOCD_SIGNATURE, 0, position)
    if position < 0:
        return None

    fields = _EOCD.unpack_from(tail, position)
    record_offset = size - tail_size + position
    entries, cd_size, cd_offset = fields[4], fields[5], fields[6]
    zip64 = _read_zip64_record(handle, record_offset)
    if zip64 is not None:
        entries, cd_size, cd_offset = zip64
    return EndRecord(size, entries, cd_size, cd_offset, record_offset)


def _read_zip64_record(handle: BinaryIO, record_offset: int) -> tuple[int, int, int] | None:
    if record_offset < _ZIP64_LOCATOR.size:
        return None
    handle.seek(record_offset - _ZIP64_LOCATOR.size)
    locator = handle.read(_ZIP64_LOCATOR.size)
    if not locator.startswith(_ZIP64_LOCATOR_SIGNATURE):
        return None
    # The locator's offset can be off by prepended data; the ZIP64 record
    # sits right before the locator in every writer the gate has seen.
    start = record_offset - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size
    if start < 0:
        return None
    handle.seek(start)
    data = handle.read(_ZIP64_EOCD.size)
    if not data.startswith(_ZIP64_EOCD_SIGNATURE):
        return None
    fields = _ZIP64_EOCD.unpack(data)
    return fields[7], fields[8], fields[9]


def _missing_end_record(path: Path, handle: BinaryIO) -> ArchiveError:
    handle.seek(0)
    head = handle.read(4)
    if head == _LOCAL_HEADER_SIGNATURE:
        return ArchiveError(
            f"archive {path.name} starts like a ZIP file but has no end-of-central-directory"
            " record: the file was cut off",
            code=ErrorCode.TRUNCATED,
        )
    return ArchiveError(
        f"archive {path.name} is not a ZIP file (it starts with bytes {head.hex(' ')})",
        code=ErrorCode.NOT_ZIP,
    )


def _check_record(path: Path, record: EndRecord, limits: ArchiveLimits) -> None:
    if record.entries > limits.max_members:
        raise ArchiveError(
            f"archive {path.name} declares {format_count(record.entries)} entries"
            f" (limit {format_count(limits.max_members)})",
            code=ErrorCode.TOO_MANY_MEMBERS,
        )
    if record.cd_size > limits.max_central_directory_size:
        raise ArchiveError(
            f"archive {path.name} has a central directory of {format_count(record.cd_size)} bytes"
            f" (limit {format_count(limits.max_central_directory_size)}), room for up to"
            f" {format_count(record.cd_size // MIN_CENTRAL_ENTRY_SIZE)} entries",
            code=ErrorCode.TOO_MANY_MEMBERS,
        )
    if record.cd_size > record.record_offset or record.cd_offset + record.cd_size > record.record_offset:
        raise ArchiveError(
            f"archive {path.name} declares a central directory of {format_count(record.cd_size)}"
            f" bytes at offset {format_count(record.cd_offset)}, but only"
            f" {format_count(record.record_offset)} bytes precede the end record: the file was cut",
            code=ErrorCode.TRUNCATED,
        )
    if record.entries == 0 and record.cd_size == 0:
        raise ArchiveError(f"archive {path.name} contains no files", code=ErrorCode.EMPTY)
