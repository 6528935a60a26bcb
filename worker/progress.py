"""Progress of long work on a terminal: one line on stderr, rewritten in place.

Only an interactive terminal gets it. Under cron, systemd or Kubernetes
stderr is a pipe or a file, `terminal_progress()` returns None and the logs
stay one structured event per line.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

MIN_INTERVAL_S = 0.2
_CLEAR_TO_END = "\x1b[K"


class TerminalProgress:
    """Writes a status line to a terminal stream, at most every `min_interval_s` seconds."""

    def __init__(self, stream: TextIO, min_interval_s: float = MIN_INTERVAL_S) -> None:
        self.stream = stream
        self.min_interval_s = min_interval_s
        self._last = 0.0
        # Concurrent gate threads share the one line; the lock keeps writes whole.
        self._lock = threading.Lock()

    def show(self, text: str, *, force: bool = False) -> None:
        """Replace the status line with `text`, unless the last write was too recent."""
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < self.min_interval_s:
                return
            self._last = now
            self.stream.write("\r" + text + _CLEAR_TO_END)
            self.stream.flush()

    def finish(self, text: str) -> None:
        """Write `text` as the final state of the line and move to the next line."""
        with self._lock:
            self.stream.write("\r" + text + _CLEAR_TO_END + "\n")
            self.stream.flush()
            self._last = 0.0

    def download(self, label: str) -> Callable[[int, int], None]:
        """Return a `progress(done_bytes, total_bytes)` callback for a download."""
        started = time.monotonic()

        def report(done: int, total: int) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            percent = f" ({done / total:.0%})" if total else ""
            rate = done / elapsed / 1e6
            line = f"{label}: downloaded {format_bytes(done)} of {format_bytes(total)}{percent}, {rate:.1f} MB/s"
            if total and done >= total:
                # Ends the line, so the next log event starts on a fresh one.
                self.finish(line)
            else:
                self.show(line)

        return report


def format_bytes(count: int) -> str:
    """Format a byte count in decimal units (B, kB, MB, GB)."""
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def terminal_progress(stream: TextIO | None = None) -> TerminalProgress | None:
    """Return a progress line on `stream` (default stderr) when it is a terminal, else None."""
    stream = stream if stream is not None else sys.stderr
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):
        # A closed or replaced stream has no terminal behind it.
        interactive = False
    return TerminalProgress(stream) if interactive else None


def download_progress(label: str) -> Callable[[int, int], None] | None:
    """Return a download callback that draws on stderr, or None when stderr is not a terminal."""
    progress = terminal_progress()
    return progress.download(label) if progress is not None else None


@contextmanager
def check_progress(label: str) -> Iterator[None]:
    """Show the seconds spent on checks once a second while the block runs, on a terminal only.

    The checks run in a child process, so the line shows elapsed time rather
    than a count of checks done.
    """
    progress = terminal_progress()
    if progress is None:
        yield
        return
    started = time.monotonic()
    done = threading.Event()

    def tick() -> None:
        while not done.wait(1.0):
            progress.show(f"{label}: checking, {time.monotonic() - started:.0f} s", force=True)

    ticker = threading.Thread(target=tick, name="check-progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        progress.finish(f"{label}: checks finished in {time.monotonic() - started:.1f} s")
