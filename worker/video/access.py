"""Video members of a dataset on disk, probed once per dataset.

PyAV needs a real file, so a video inside a ZIP archive is extracted into the
work folder first. Small extracted videos stay there for the next check of
the same dataset; large ones are deleted after use, so a 250 MB delivery
never needs its videos twice on disk.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import structlog

from worker.archive.source import ArchiveError
from worker.video.probe import VideoOpenError, VideoProbe, probe_video

log = structlog.get_logger(__name__)

# Extracted videos larger than this are deleted after each use.
KEEP_EXTRACTED_MAX_BYTES = 64 * 1024 * 1024
_PROBE_CACHE_KEY = "video.probe"


class MemberUnreadable(Exception):
    """The archive member cannot be read or extracted; the message names the cause."""


@contextlib.contextmanager
def local_video(ctx: Any, member: str) -> Iterator[Path]:
    """Yield a path on disk holding `member`; delete it afterwards when it was extracted and is large.

    Raises `MemberUnreadable` when the archive refuses the member (corrupt,
    CRC mismatch, over a size limit), which is the vendor's fault.
    """
    try:
        path = ctx.source.local_path(member)
    except ArchiveError as error:
        raise MemberUnreadable(str(error)) from error
    try:
        yield path
    finally:
        _discard_if_large(ctx, path)


def _discard_if_large(ctx: Any, path: Path) -> None:
    # Only files the source extracted into its work folder are ours to delete;
    # a folder source hands out the original files.
    work_dir = getattr(ctx.source, "work_dir", None)
    if work_dir is None or not path.resolve().is_relative_to(Path(work_dir).resolve()):
        return
    try:
        if path.stat().st_size > KEEP_EXTRACTED_MAX_BYTES:
            path.unlink()
    except FileNotFoundError:
        pass


def probe_member(ctx: Any, member: str) -> VideoProbe:
    """Probe `member` once per dataset, raising `VideoOpenError` or `MemberUnreadable` every time it fails."""
    cache: dict[str, VideoProbe | Exception] = ctx.cache.setdefault(_PROBE_CACHE_KEY, {})
    if member not in cache:
        try:
            with local_video(ctx, member) as path:
                cache[member] = probe_video(path)
        except (VideoOpenError, MemberUnreadable) as error:
            cache[member] = error
    outcome = cache[member]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def time_budget_s(ctx: Any, budget_s: float, reserve_s: float = 5.0) -> float:
    """Shrink `budget_s` so the check ends `reserve_s` before the dataset's deadline."""
    left = ctx.time_left_s() if hasattr(ctx, "time_left_s") else None
    if left is None:
        return budget_s
    return max(0.0, min(budget_s, left - reserve_s))
