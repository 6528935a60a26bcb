"""Fixtures for archive tests: a sandbox that proves nothing is written outside the work dir."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from worker.archive.limits import ArchiveLimits
from worker.archive.source import DatasetSource, open_source


def _snapshot(root: Path, skip: Path) -> dict[str, int]:
    files = {}
    for path in root.rglob("*"):
        if path == skip or skip in path.parents:
            continue
        files[path.relative_to(root).as_posix()] = path.lstat().st_size
    return files


class Sandbox:
    """Archives live in ``<tmp>/in``; only ``<tmp>/work`` may change while they are read."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inbox = root / "in"
        self.work_dir = root / "work"
        self.inbox.mkdir()
        self.work_dir.mkdir()
        self._before: dict[str, int] | None = None
        self._sources: list[DatasetSource] = []

    def path(self, name: str) -> Path:
        return self.inbox / name

    def open(self, path: Path, **limits: Any) -> DatasetSource:
        if self._before is None:
            self._before = _snapshot(self.root.parent, self.work_dir)
        source = open_source(path, self.work_dir, ArchiveLimits(**limits) if limits else None)
        self._sources.append(source)
        return source

    def written_outside(self) -> set[str]:
        if self._before is None:
            return set()
        after = _snapshot(self.root.parent, self.work_dir)
        return {name for name in after if after[name] != self._before.get(name)}

    def work_files(self) -> list[str]:
        return sorted(p.relative_to(self.work_dir).as_posix() for p in self.work_dir.rglob("*") if p.is_file())

    def close(self) -> None:
        for source in self._sources:
            source.close()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """Yield a sandbox and fail the test if anything next to the work dir changed."""
    root = tmp_path / "box"
    root.mkdir()
    box = Sandbox(root)
    yield box
    box.close()
    assert box.written_outside() == set()


def measure(action: Callable[[], object]) -> tuple[int, Exception | None]:
    """Run `action`; return the peak Python memory allocated meanwhile (bytes) and the error it raised."""
    tracemalloc.start()
    error = None
    try:
        action()
    except Exception as raised:  # noqa: BLE001 - returned so the test can assert on it
        error = raised
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, error
