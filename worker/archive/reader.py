"""Streaming reads of one ZIP member that enforce its declared size and CRC.

zipfile cuts a member's output at the size its central directory entry
declares and ignores the rest. The reader opens the member with a declared
size one byte larger. If that extra byte arrives, the data inflates beyond its
header, so a ZIP bomb with a false size is caught after reading at most the
declared size plus one byte.
"""

from __future__ import annotations

import copy
import io
import zipfile
import zlib
from collections.abc import Callable
from typing import TypeVar

from worker.archive.errors import ArchiveError, ErrorCode, format_count

# Upper bound of one read from zipfile; deflate output per call stays within it.
READ_CHUNK = 256 * 1024

T = TypeVar("T")


class MemberReader(io.RawIOBase):
    """Seekable raw stream over one member, raising ArchiveError for bad data.

    The CRC is verified when the member is read sequentially to its end.
    A seek backwards restarts decompression from the start, as zipfile does.
    """

    def __init__(self, zip_file: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
        super().__init__()
        self._name = name
        self._size = info.file_size
        probe = copy.copy(info)
        probe.file_size = info.file_size + 1
        self._inner = _translate(name, lambda: zip_file.open(probe))

    @property
    def name(self) -> str:
        return self._name

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._inner.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END:
            offset, whence = self._size + offset, io.SEEK_SET
        elif whence == io.SEEK_CUR:
            offset, whence = self.tell() + offset, io.SEEK_SET
        target = min(max(offset, 0), self._size)
        return _translate(self._name, lambda: self._inner.seek(target))

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        chunk_size = min(len(buffer), READ_CHUNK)
        if chunk_size == 0:
            return 0
        try:
            data = _translate(self._name, lambda: self._inner.read(chunk_size))
        except ArchiveError as error:
            # zipfile checks the CRC as soon as the extra byte arrives, so an
            # inflating member first shows up as a CRC failure.
            if self._inner.tell() > self._size:
                raise self._inflation_error() from error
            raise
        position = self._inner.tell()
        if position > self._size:
            raise self._inflation_error()
        if not data and position < self._size:
            raise ArchiveError(
                f"member {self._name} ends after {format_count(position)} bytes, its header"
                f" declares {format_count(self._size)}",
                code=ErrorCode.TRUNCATED,
                member=self._name,
            )
        buffer[: len(data)] = data
        return len(data)

    def _inflation_error(self) -> ArchiveError:
        return ArchiveError(
            f"member {self._name} inflates beyond its declared size of {format_count(self._size)} bytes",
            code=ErrorCode.ZIP_BOMB,
            member=self._name,
        )

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


def _translate(name: str, operation: Callable[[], T]) -> T:
    """Run a zipfile operation, turning faults of the archive data into ArchiveError.

    OSError passes through unchanged: failing to read our own copy of the
    archive is the gate's fault, not the vendor's.
    """
    try:
        return operation()
    except zipfile.BadZipFile as error:
        text = str(error)
        if "CRC" in text:
            raise ArchiveError(
                f"member {name} fails its CRC-32 check: the data is corrupt",
                code=ErrorCode.CRC_MISMATCH,
                member=name,
            ) from error
        raise ArchiveError(f"member {name} is corrupt: {text}", code=ErrorCode.CORRUPT, member=name) from error
    except zlib.error as error:
        raise ArchiveError(
            f"member {name} has invalid deflate data: {error}", code=ErrorCode.CORRUPT, member=name
        ) from error
    except UnicodeDecodeError as error:
        raise ArchiveError(
            f"member {name} has a local header name flagged as UTF-8 that is not valid UTF-8",
            code=ErrorCode.CORRUPT,
            member=name,
        ) from error
    except NotImplementedError as error:
        raise ArchiveError(
            f"member {name} needs a ZIP feature the gate cannot read: {error}",
            code=ErrorCode.CORRUPT,
            member=name,
        ) from error
    except EOFError as error:
        raise ArchiveError(
            f"member {name} data ends before its declared compressed size: the archive was cut",
            code=ErrorCode.TRUNCATED,
            member=name,
        ) from error
