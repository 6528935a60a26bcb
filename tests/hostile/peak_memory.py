"""Measure the peak memory of this process's descendants and the peak size of a folder while code runs.

A background thread reads, every 20 ms, the kernel's high-water mark of
resident memory (``VmHWM`` in /proc/<pid>/status, Linux only) of every
descendant process, so the inspection processes that the gate forks are
measured even though they are not this process's children. ``VmHWM`` is the
peak over a process's whole life, so a process only has to be seen once,
not at its peak.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

SAMPLE_INTERVAL_S = 0.02


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return parents


def descendants(root: int) -> list[int]:
    """Return the pids of every live descendant of process `root`."""
    parents = _parents()
    found: list[int] = []
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def peak_rss_bytes(pid: int) -> int:
    """Return the peak resident memory of `pid` in bytes, or 0 when it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def folder_bytes(folder: Path) -> int:
    """Return the total size of the files under `folder` (0 when it is missing)."""
    total = 0
    for directory, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_size
            except OSError:
                continue
    return total


class PeakMonitor:
    """Track, while active, the largest descendant peak RSS and the largest size of `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.peak_rss = 0
        self.peak_rss_pid = 0
        self.peak_folder_bytes = 0
        self.processes_seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-monitor", daemon=True)

    def _sample(self) -> None:
        for pid in descendants(os.getpid()):
            self.processes_seen.add(pid)
            rss = peak_rss_bytes(pid)
            if rss > self.peak_rss:
                self.peak_rss, self.peak_rss_pid = rss, pid
        self.peak_folder_bytes = max(self.peak_folder_bytes, folder_bytes(self.folder))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(SAMPLE_INTERVAL_S)

    def __enter__(self) -> PeakMonitor:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
