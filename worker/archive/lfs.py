"""Detection of Git LFS pointer files delivered in place of the data they stand for.

A pointer file is a small text file of ``key value`` lines: first
``version https://git-lfs.github.com/spec/v1``, then ``oid sha256:<64 hex>``
and ``size <bytes>``. A repository cloned without Git LFS contains these
instead of the Parquet files and videos.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from worker.archive.source import DatasetSource

# The Git LFS specification requires a pointer file to be smaller than 1,024 bytes.
MAX_POINTER_SIZE = 1023
_VERSIONS = (
    b"version https://git-lfs.github.com/spec/v1",
    b"version https://hawser.github.com/spec/v1",
)
_OID = re.compile(rb"^oid sha256:([0-9a-f]{64})$", re.MULTILINE)
_SIZE = re.compile(rb"^size (\d{1,19})$", re.MULTILINE)


@dataclass(frozen=True)
class LfsPointer:
    """A member that is a Git LFS pointer; `size` is the bytes of the missing object."""

    member: str
    oid: str
    size: int


def parse_lfs_pointer(data: bytes, member: str = "") -> LfsPointer | None:
    """Parse a Git LFS pointer file, or return None when the bytes are not one."""
    if len(data) > MAX_POINTER_SIZE or not data.startswith(_VERSIONS):
        return None
    text = data.replace(b"\r\n", b"\n")
    oid = _OID.search(text)
    size = _SIZE.search(text)
    if oid is None or size is None:
        return None
    return LfsPointer(member, oid.group(1).decode("ascii"), int(size.group(1)))


def find_lfs_pointers(source: DatasetSource) -> list[LfsPointer]:
    """Return every member that is a Git LFS pointer, reading only members small enough to be one."""
    pointers = []
    for member in source.members:
        if member.size > MAX_POINTER_SIZE:
            continue
        pointer = parse_lfs_pointer(source.read_bytes(member.name, MAX_POINTER_SIZE + 1), member.name)
        if pointer is not None:
            pointers.append(pointer)
    return pointers
