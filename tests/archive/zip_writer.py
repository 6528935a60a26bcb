"""A byte-level ZIP writer for hostile test archives.

zipfile refuses to write most of what the tests need (lying sizes, symlink
modes with any content, encryption flags, overlapping entries), so this writer
lays out local headers, central directory and end record directly.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

_LOCAL = struct.Struct("<4sHHHHHLLLHH")
_CENTRAL = struct.Struct("<4sBBHHHHHLLLHHHHHLL")
_END = struct.Struct("<4sHHHHLLH")
_UTF8_FLAG = 0x800
_DOS_TIME, _DOS_DATE = 0x5000, 0x5A2F


@dataclass
class RawEntry:
    """One entry as it will be written; `payload` is the data exactly as stored."""

    name: str | bytes
    payload: bytes
    file_size: int
    crc: int
    method: int = 0
    flags: int = 0
    external_attr: int = 0o100644 << 16
    create_system: int = 3
    # Replaces the real local header offset in the central directory.
    offset_override: int | None = None
    # Written only in the central directory when True (for overlapping entries).
    central_only: bool = False
    # Replaces len(payload) as the compressed size in both headers.
    compress_size_override: int | None = None

    def compress_size(self) -> int:
        if self.compress_size_override is not None:
            return self.compress_size_override
        return len(self.payload)

    def encoded_name(self) -> tuple[bytes, int]:
        if isinstance(self.name, bytes):
            return self.name, self.flags
        try:
            return self.name.encode("ascii"), self.flags
        except UnicodeEncodeError:
            return self.name.encode("utf-8"), self.flags | _UTF8_FLAG


def stored(name: str | bytes, data: bytes, **options: object) -> RawEntry:
    """Build an entry whose data is stored uncompressed."""
    return RawEntry(name, data, len(data), zlib.crc32(data), method=0, **options)  # type: ignore[arg-type]


def deflated(name: str | bytes, data: bytes, **options: object) -> RawEntry:
    """Build an entry whose data is raw deflate, as ZIP stores it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = compressor.compress(data) + compressor.flush()
    return RawEntry(name, payload, len(data), zlib.crc32(data), method=8, **options)  # type: ignore[arg-type]


def write_raw_zip(
    path: Path,
    entries: list[RawEntry],
    *,
    declared_entries: int | None = None,
    declared_cd_size: int | None = None,
) -> Path:
    """Write `entries` as a ZIP file; the overrides falsify the end record's fields."""
    body = bytearray()
    offsets = []
    for entry in entries:
        name, flags = entry.encoded_name()
        if entry.central_only:
            offsets.append(entry.offset_override or 0)
            continue
        offsets.append(len(body))
        body += _LOCAL.pack(
            b"PK\x03\x04", 20, flags, entry.method, _DOS_TIME, _DOS_DATE,
            entry.crc, entry.compress_size(), entry.file_size, len(name), 0,
        )
        body += name + entry.payload

    central = bytearray()
    for entry, offset in zip(entries, offsets):
        name, flags = entry.encoded_name()
        header_offset = entry.offset_override if entry.offset_override is not None else offset
        central += _CENTRAL.pack(
            b"PK\x01\x02", 20, entry.create_system, 20, flags, entry.method, _DOS_TIME, _DOS_DATE,
            entry.crc, entry.compress_size(), entry.file_size, len(name), 0, 0, 0, 0,
            entry.external_attr, header_offset,
        )
        central += name

    count = len(entries) if declared_entries is None else declared_entries
    cd_size = len(central) if declared_cd_size is None else declared_cd_size
    end = _END.pack(b"PK\x05\x06", 0, 0, count, count, cd_size, len(body), 0)
    path.write_bytes(bytes(body) + bytes(central) + end)
    return path


def zeros_deflate(total: int, block: int = 16 * 1024 * 1024) -> tuple[bytes, int]:
    """Return a raw deflate stream of `total` zero bytes and its CRC-32, built in well under a second.

    Each block ends with a full flush, which resets the compressor, so one
    compressed block can be repeated to make a valid stream of any length.
    """
    if total % block:
        raise ValueError(f"total {total} must be a multiple of the block size {block}")
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zero_block = bytes(block)
    compressed_block = compressor.compress(zero_block) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = compressor.flush()
    crc = 0
    for _ in range(total // block):
        crc = zlib.crc32(zero_block, crc)
    return compressed_block * (total // block) + final, crc
