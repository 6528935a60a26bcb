"""Errors of the archive layer, split by whose fault they are.

`ArchiveError` and its subclasses mean the delivered archive is malformed or
unsafe: the vendor's fault and a reason to reject. `WorkDirError` means the
gate could not write to its own work dir (disk full, permissions): our fault,
so the dataset is held and retried, never rejected.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Machine-readable cause of an `ArchiveError`, stable for reports and tests."""

    INVALID_ARCHIVE = "invalid_archive"
    NOT_ZIP = "not_zip"
    EMPTY = "empty"
    TRUNCATED = "truncated"
    CORRUPT = "corrupt"
    CRC_MISMATCH = "crc_mismatch"
    PATH_TRAVERSAL = "path_traversal"
    INVALID_NAME = "invalid_name"
    PATH_TOO_LONG = "path_too_long"
    PATH_TOO_DEEP = "path_too_deep"
    DUPLICATE_NAME = "duplicate_name"
    SYMLINK = "symlink"
    NOT_REGULAR = "not_regular"
    ENCRYPTED = "encrypted"
    UNSUPPORTED_COMPRESSION = "unsupported_compression"
    ZIP_BOMB = "zip_bomb"
    TOO_LARGE = "too_large"
    TOO_MANY_MEMBERS = "too_many_members"
    UNREADABLE_TABLE = "unreadable_table"


class ArchiveError(Exception):
    """The archive itself is malformed or unsafe; the vendor's fault, a reason to reject.

    `code` is an `ErrorCode` value and `member` the offending member's name
    when one member is at fault. The message names the member and the numbers.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = ErrorCode.INVALID_ARCHIVE,
        member: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = ErrorCode(code)
        self.member = member

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments need an explicit reduce to survive pickling
        # between worker processes.
        return (_rebuild_archive_error, (type(self), self.message, str(self.code), self.member))


def _rebuild_archive_error(
    cls: type[ArchiveError], message: str, code: str, member: str | None
) -> ArchiveError:
    error = ArchiveError.__new__(cls)
    ArchiveError.__init__(error, message, code=code, member=member)
    return error


class UnreadableTable(ArchiveError):
    """A table member (Parquet, CSV, JSON Lines) cannot be decoded."""

    def __init__(self, member: str, reason: str) -> None:
        super().__init__(
            f"table {member} is unreadable: {reason}",
            code=ErrorCode.UNREADABLE_TABLE,
            member=member,
        )
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.member, self.reason))


class WorkDirError(OSError):
    """The gate could not write into its own work dir; our fault, never the vendor's.

    It keeps the `errno` of the failed operation, so callers can tell a full
    disk (`ENOSPC`) from a permission problem.
    """


def format_count(value: float) -> str:
    """Format a number with thousands separators, as messages show sizes and ratios."""
    return f"{value:,.0f}"
