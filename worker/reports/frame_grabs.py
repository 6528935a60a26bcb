"""A few still frames from a dataset's videos, as small base64 JPEG images for the report.

The count is capped per camera and per dataset and the work has a time
budget, so a delivery of 1,000 episodes costs as much as one of three.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

import structlog

from worker.archive.errors import ArchiveError
from worker.lerobot.layout import LeRobotLayout, is_lfs_pointer
from worker.video.access import MemberUnreadable, local_video
from worker.video.lerobot_videos import LayoutUnusable, declared_videos
from worker.video.probe import VideoOpenError
from worker.video.thumbnails import grab_frames

log = structlog.get_logger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v")
MAX_VIDEOS = 6
VIDEOS_PER_CAMERA = 3
FRAMES_PER_VIDEO = 3
FRAME_WIDTH = 240
BUDGET_S = 20.0


@dataclass(frozen=True)
class VideoPick:
    """One video member to grab frames from, with the camera and episode it shows (when known)."""

    member: str
    camera: str | None = None
    episode: int | None = None


@dataclass
class _CheckView:
    """The two attributes of a check context that `local_video` reads."""

    source: Any
    cache: dict[str, Any]


def pick_videos(source: Any, cache: dict[str, Any], layout: LeRobotLayout | None) -> list[VideoPick]:
    """Choose up to `MAX_VIDEOS` videos: first, middle and last episode per camera, else any video files."""
    if layout is not None and layout.video_keys:
        try:
            declared = declared_videos(_CheckView(source, cache))
        except LayoutUnusable:
            declared = None
        if declared is not None:
            return _spread_over_episodes(source, declared.videos)
    names = sorted(m.name for m in source.members if m.name.lower().endswith(VIDEO_SUFFIXES))
    return [VideoPick(name) for name in names[:MAX_VIDEOS]]


def _spread_over_episodes(source: Any, videos: list[Any]) -> list[VideoPick]:
    by_camera: dict[str, list[Any]] = {}
    for video in videos:
        if source.member(video.member) is not None:
            by_camera.setdefault(video.video_key, []).append(video)
    picks: list[VideoPick] = []
    seen: set[str] = set()
    for camera, present in by_camera.items():
        present.sort(key=lambda v: v.episode_index)
        positions = sorted({0, len(present) // 2, len(present) - 1})
        for position in positions[:VIDEOS_PER_CAMERA]:
            video = present[position]
            # In LeRobot v3.0 many episodes share one file, so grab from it once.
            if video.member in seen:
                continue
            seen.add(video.member)
            shared = video.from_timestamp is not None
            picks.append(VideoPick(video.member, camera, None if shared else video.episode_index))
    return picks[:MAX_VIDEOS]


def grab_report_frames(
    source: Any, cache: dict[str, Any], picks: list[VideoPick], budget_s: float = BUDGET_S
) -> tuple[list[dict[str, Any]], list[str]]:
    """Grab frames from each picked video within `budget_s` and return them with notes on what failed."""
    frames: list[dict[str, Any]] = []
    failures: dict[str, list[str]] = {}
    notes: list[str] = []
    started = time.monotonic()
    view = _CheckView(source, cache)
    for position, pick in enumerate(picks):
        if time.monotonic() - started > budget_s:
            notes.append(f"frame grabs stopped after {budget_s:g} s; {len(picks) - position} videos not shown")
            break
        try:
            thumbnails = _grab(view, pick.member)
        except (VideoOpenError, MemberUnreadable, ArchiveError) as error:
            failures.setdefault(str(error), []).append(pick.member)
            continue
        for thumbnail in thumbnails:
            frames.append(
                {
                    "member": pick.member,
                    "camera": pick.camera,
                    "episode": pick.episode,
                    "time_s": round(thumbnail.time_s, 3),
                    "width": thumbnail.width,
                    "height": thumbnail.height,
                    "mime_type": thumbnail.mime_type,
                    "data_base64": base64.b64encode(thumbnail.data).decode("ascii"),
                }
            )
    for cause, members in failures.items():
        others = f" and {len(members) - 1} more" if len(members) > 1 else ""
        notes.insert(0, f"no frames from {members[0]}{others}: {cause}")
    log.debug("report_frames_grabbed", videos=len(picks), frames=len(frames), elapsed_s=round(time.monotonic() - started, 3))
    return frames, notes


def _grab(view: _CheckView, member: str) -> list[Any]:
    # A Git LFS pointer is a short text file, and FFmpeg would only call it "invalid data".
    if is_lfs_pointer(view.source.read_bytes(member, 64)):
        raise MemberUnreadable("it is a Git LFS pointer file, not a video")
    with local_video(view, member) as path:
        return grab_frames(path, count=FRAMES_PER_VIDEO, width=FRAME_WIDTH, image_format="jpeg")
