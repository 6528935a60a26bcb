"""Checks on one ZIP central directory entry, made before any data is read."""

from __future__ import annotations

import stat
import zipfile

from worker.archive.errors import ArchiveError, ErrorCode, format_count
from worker.archive.limits import ArchiveLimits

# Bit 0 marks traditional PKWARE encryption, bit 6 strong encryption.
_FLAG_ENCRYPTED = 0x01
_FLAG_STRONG_ENCRYPTION = 0x40
_METHOD_AES = 99
# Only stored and deflate are read: zipfile inflates bzip2 and LZMA data
# without an output bound, so a small chunk could expand to gigabytes.
SUPPORTED_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_METHOD_NAMES = {
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "LZMA",
    9: "deflate64",
    93: "zstandard",
    _METHOD_AES: "AES encryption",
}


def check_entry_type(info: zipfile.ZipInfo, name: str) -> bool:
    """Tell whether the entry is a regular file (True) or a folder (False).

    Raise ArchiveError for a symlink, a device, a FIFO or a socket. The type
    comes from the Unix mode in the high 16 bits of the external attributes.
    Writers that store no mode there (type 0) are taken to mean a regular file.
    """
    file_type = stat.S_IFMT(info.external_attr >> 16)
    if file_type == stat.S_IFLNK:
        raise ArchiveError(f"member {name} is a symbolic link", code=ErrorCode.SYMLINK, member=name)
    if info.is_dir():
        return False
    if file_type not in (0, stat.S_IFREG):
        raise ArchiveError(
            f"member {name} is not a regular file (Unix file type {oct(file_type)})",
            code=ErrorCode.NOT_REGULAR,
            member=name,
        )
    return True


def check_entry_encoding(info: zipfile.ZipInfo, name: str) -> None:
    """Raise ArchiveError for an encrypted member or a compression method the gate does not read."""
    encrypted = info.flag_bits & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION)
    if encrypted or info.compress_type == _METHOD_AES:
        raise ArchiveError(f"member {name} is encrypted", code=ErrorCode.ENCRYPTED, member=name)
    if info.compress_type not in SUPPORTED_METHODS:
        method = _METHOD_NAMES.get(info.compress_type, "unknown")
        raise ArchiveError(
            f"member {name} uses compression method {info.compress_type} ({method});"
            " only stored and deflate are accepted, so repack the archive with plain ZIP deflate",
            code=ErrorCode.UNSUPPORTED_COMPRESSION,
            member=name,
        )
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        raise ArchiveError(
            f"member {name} is stored uncompressed but declares {format_count(info.file_size)}"
            f" bytes in {format_count(info.compress_size)} bytes of data",
            code=ErrorCode.CORRUPT,
            member=name,
        )


def check_entry_size(info: zipfile.ZipInfo, name: str, limits: ArchiveLimits) -> None:
    """Raise ArchiveError when the member's declared size or compression ratio exceeds the limits."""
    if info.file_size > limits.max_member_size:
        raise ArchiveError(
            f"member {name} is {format_count(info.file_size)} bytes"
            f" (limit {format_count(limits.max_member_size)})",
            code=ErrorCode.TOO_LARGE,
            member=name,
        )
    if info.file_size < limits.ratio_min_size:
        return
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > limits.max_member_ratio:
        raise ArchiveError(
            f"member {name} expands {format_count(ratio)}x"
            f" ({format_count(info.file_size)} bytes from {format_count(info.compress_size)};"
            f" limit {format_count(limits.max_member_ratio)}x)",
            code=ErrorCode.ZIP_BOMB,
            member=name,
        )
