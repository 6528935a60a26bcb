"""Validation and normalisation of member names taken from an archive.

A name that passes `normalize_member_name` is a relative POSIX path that stays
inside any folder it is joined to, on Linux and on Windows alike.
"""

from __future__ import annotations

import re
import unicodedata

from worker.archive.errors import ArchiveError, ErrorCode
from worker.archive.limits import ArchiveLimits

_DRIVE_LETTER = re.compile(r"[A-Za-z]:")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def normalize_member_name(raw: str, limits: ArchiveLimits) -> str:
    """Return the canonical form of a member name, or raise ArchiveError if it is unsafe.

    Empty and ``.`` segments are dropped and the name is put in Unicode NFC,
    so ``./a//b`` and ``a/b`` name the same member. A trailing slash (a folder
    entry) is dropped too.
    """
    quoted = repr(raw)
    if _CONTROL_CHARS.search(raw):
        raise _name_error(raw, f"member name {quoted} contains a control character", ErrorCode.INVALID_NAME)
    if "\\" in raw:
        raise _name_error(
            raw,
            f"member name {quoted} contains a backslash, which Windows tools treat as a folder separator",
            ErrorCode.PATH_TRAVERSAL,
        )
    if raw.startswith("/"):
        raise _name_error(raw, f"member name {quoted} is an absolute path", ErrorCode.PATH_TRAVERSAL)
    if _DRIVE_LETTER.match(raw):
        raise _name_error(raw, f"member name {quoted} starts with a drive letter", ErrorCode.PATH_TRAVERSAL)

    segments = [s for s in unicodedata.normalize("NFC", raw).split("/") if s not in ("", ".")]
    if ".." in segments:
        raise _name_error(raw, f"member name {quoted} contains a '..' segment", ErrorCode.PATH_TRAVERSAL)
    if not segments:
        raise _name_error(raw, f"member name {quoted} is empty", ErrorCode.INVALID_NAME)

    name = "/".join(segments)
    _check_length(raw, name, segments, limits)
    return name


def _check_length(raw: str, name: str, segments: list[str], limits: ArchiveLimits) -> None:
    if len(name) > limits.max_path_length:
        raise _name_error(
            raw,
            f"member name {name[:60]!r}... has {len(name):,} characters (limit {limits.max_path_length:,})",
            ErrorCode.PATH_TOO_LONG,
        )
    if len(segments) > limits.max_path_depth:
        raise _name_error(
            raw,
            f"member {name} is {len(segments)} folders deep (limit {limits.max_path_depth})",
            ErrorCode.PATH_TOO_DEEP,
        )
    for segment in segments:
        size = len(segment.encode("utf-8"))
        if size > limits.max_segment_bytes:
            raise _name_error(
                raw,
                f"member {name[:60]!r}... has a {size:,}-byte file or folder name"
                f" (limit {limits.max_segment_bytes} bytes)",
                ErrorCode.PATH_TOO_LONG,
            )


def collision_key(name: str) -> str:
    """Return the key under which two names would land on the same file.

    Case is folded because case-insensitive file systems (macOS, Windows)
    merge ``Data.csv`` and ``data.csv``.
    """
    return name.casefold()


def _name_error(raw: str, message: str, code: ErrorCode) -> ArchiveError:
    return ArchiveError(message, code=code, member=raw)
