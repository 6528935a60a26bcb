"""Write ZIP files byte by byte, including what `zipfile` refuses to write.

Hostile archives need lying sizes, wrong CRCs, symlink modes, encryption
flags, duplicate names and a central directory shorter than its end record
claims. Each entry is written with a local header and a central directory
record, in the layout of the ZIP application note (no ZIP64, no extras).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")
_DOS_TIME, _DOS_DATE = 0x4800, 0x5A61  # 09:00:00 on 2025-03-01
STORED, DEFLATED = 0, 8
ENCRYPTED_FLAG = 0x1
REGULAR_FILE = 0o100644 << 16
SYMLINK = 0o120777 << 16


@dataclass
class Entry:
    """One member as written: `payload` holds the bytes exactly as stored (compressed or not)."""

    name: str
    payload: bytes
    size: int
    crc: int
    method: int = STORED
    flags: int = 0
    external_attr: int = REGULAR_FILE


def stored(name: str, data: bytes, **options: int) -> Entry:
    """Build an entry whose data is stored as it is."""
    return Entry(name, data, len(data), zlib.crc32(data), STORED, **options)


def deflated(name: str, data: bytes, **options: int) -> Entry:
    """Build an entry whose data is raw deflate, as ZIP stores it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = compressor.compress(data) + compressor.flush()
    return Entry(name, payload, len(data), zlib.crc32(data), DEFLATED, **options)


def zeros_deflated(name: str, total: int, *, declared_size: int | None = None) -> Entry:
    """Build a deflated entry of `total` zero bytes without compressing them all.

    One megabyte of zeros is compressed with a full flush, which resets the
    compressor, so the same block repeated is a valid stream of any length.
    `declared_size` makes the headers lie about the size (a bomb that hides).
    """
    block = 1024 * 1024
    if total % block:
        raise ValueError(f"total {total} must be a whole number of MiB")
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = 0
    zero_block = bytes(block)
    for _ in range(total // block):
        crc = zlib.crc32(zero_block, crc)
    size = total if declared_size is None else declared_size
    return Entry(name, chunk * (total // block) + final, size, crc, DEFLATED)


def write_zip(path: Path, entries: list[Entry], *, central_directory_cut: int = 0) -> Path:
    """Write `entries` as a ZIP file at `path` and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(zip_bytes(entries, central_directory_cut=central_directory_cut))
    return path


def zip_bytes(entries: list[Entry], *, central_directory_cut: int = 0) -> bytes:
    """Return `entries` as the bytes of a ZIP file.

    `central_directory_cut` drops that many bytes from the end of the central
    directory while the end record still states its full size.
    """
    body = bytearray()
    central = bytearray()
    for entry in entries:
        name = entry.name.encode("utf-8")
        flags = entry.flags | (0x800 if not entry.name.isascii() else 0)
        offset = len(body)
        body += _LOCAL.pack(b"PK\x03\x04", 20, flags, entry.method, _DOS_TIME, _DOS_DATE, entry.crc,
                            len(entry.payload), entry.size, len(name), 0)
        body += name + entry.payload
        central += _CENTRAL.pack(b"PK\x01\x02", (3 << 8) | 20, 20, flags, entry.method, _DOS_TIME, _DOS_DATE,
                                 entry.crc, len(entry.payload), entry.size, len(name), 0, 0, 0, 0,
                                 entry.external_attr, offset)
        central += name
    end = _END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(body), 0)
    kept = central[: len(central) - central_directory_cut]
    return bytes(body) + bytes(kept) + end
