"""The emulator's clock: real UTC time plus an offset that tests can move."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Track emulated time, which URL expiry, timestamps and daily statistics read.

    The clock keeps running in real time. `advance` and `set` only move its
    offset, so an advance of 3600 s makes every signed URL issued before it
    expire at once.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset_s = 0.0
        if start is not None:
            self.set(start)

    def timestamp(self) -> float:
        """Return the emulated time in seconds since the Unix epoch."""
        with self._lock:
            return time.time() + self._offset_s

    def now(self) -> datetime:
        """Return the emulated time as an aware UTC datetime in whole seconds."""
        return datetime.fromtimestamp(int(self.timestamp()), tz=UTC)

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (or back, when negative) and return the new time."""
        with self._lock:
            self._offset_s += seconds
        return self.now()

    def reset(self) -> datetime:
        """Return to the real time."""
        with self._lock:
            self._offset_s = 0.0
        return self.now()

    def set(self, moment: datetime) -> datetime:
        """Jump to an aware datetime; the clock keeps running from there."""
        if moment.tzinfo is None:
            raise ValueError(f"clock time {moment.isoformat()} has no time zone; pass an aware datetime (UTC)")
        with self._lock:
            self._offset_s = moment.timestamp() - time.time()
        return self.now()


def format_timestamp(moment: datetime) -> str:
    """Format a datetime as the API does: UTC, whole seconds, ``Z`` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
