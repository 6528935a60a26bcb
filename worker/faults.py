"""Telling the gate's own failures apart from faults in the data it reads.

Parsers report a corrupt file and an exhausted machine through the same
exception types: pyarrow raises OSError for a bad Parquet footer and for a
failed disk read, and FFmpeg's errors cover both invalid data and a failed
allocation. Only the data faults may lead to a rejection. An error that
`gate_side` recognises must propagate, so the check ends in an error and
the dataset is held.
"""

from __future__ import annotations

import errno

# Failures of this machine, never of the bytes being read.
GATE_SIDE_ERRNOS = frozenset(
    {
        errno.ENOMEM,
        errno.EMFILE,
        errno.ENFILE,
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EIO,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.EAGAIN,
        errno.EINTR,
    }
)


def gate_side(error: BaseException) -> bool:
    """Return whether `error` is a resource or I/O failure of this machine rather than bad data."""
    if isinstance(error, MemoryError):
        # pyarrow's ArrowMemoryError and PyAV's MemoryError subclass it.
        return True
    return isinstance(error, OSError) and error.errno in GATE_SIDE_ERRNOS
