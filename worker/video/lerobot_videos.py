"""The videos a LeRobot dataset declares, with the properties `meta/info.json` declares for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worker.lerobot.episodes import EpisodeRecord, EpisodesError, load_episodes
from worker.lerobot.layout import ExpectedVideo, LayoutError, LeRobotLayout, load_layout

# info.json `info` keys of a video feature, and the probe property each declares.
DECLARED_PROPERTIES = {
    "video.codec": "codec",
    "video.pix_fmt": "pix_fmt",
    "video.width": "width",
    "video.height": "height",
    "video.fps": "fps",
}


class LayoutUnusable(Exception):
    """The dataset has no usable LeRobot layout; the message gives the reason for a SKIPPED result."""


@dataclass(frozen=True)
class DeclaredVideos:
    """A LeRobot layout, its episodes metadata (None when absent) and the videos it declares."""

    layout: LeRobotLayout
    episodes: list[EpisodeRecord] | None
    videos: list[ExpectedVideo]

    def lengths(self) -> dict[int, int]:
        """Map episode index to the frame count the episodes metadata declares."""
        return {r.episode_index: r.length for r in self.episodes or [] if r.length is not None}


def declared_videos(ctx: Any) -> DeclaredVideos:
    """Read the layout and list its videos, raising `LayoutUnusable` when there is no layout to read."""
    try:
        layout = load_layout(ctx)
    except LayoutError as error:
        raise LayoutUnusable(f"meta/info.json is not a usable LeRobot layout: {error}") from error
    if layout is None:
        raise LayoutUnusable("the dataset has no meta/info.json, so it declares no LeRobot videos")
    try:
        episodes = load_episodes(ctx, layout)
    except EpisodesError as error:
        raise LayoutUnusable(f"the episodes metadata is unreadable: {error}") from error
    if layout.is_v3 and episodes is None:
        raise LayoutUnusable("a v3.0 layout names its video files only in meta/episodes/, which is missing")
    return DeclaredVideos(layout, episodes, layout.expected_videos(episodes))


def declared_properties(layout: LeRobotLayout, video_key: str) -> dict[str, Any]:
    """Return the codec, pixel format, size and fps that info.json declares for one camera."""
    feature = layout.features.get(video_key)
    info = (feature.info if feature is not None else None) or {}
    declared = {prop: info[key] for key, prop in DECLARED_PROPERTIES.items() if info.get(key) is not None}
    if feature is not None:
        declared.update({k: v for k, v in _size_from_shape(feature.shape, feature.names).items() if k not in declared})
    return declared


def _size_from_shape(shape: tuple[int, ...], names: Any) -> dict[str, int]:
    # A video feature's shape is named, e.g. [480, 640, 3] with names
    # ["height", "width", "channel"]; older datasets put channels first.
    if not isinstance(names, list) or len(names) != len(shape):
        return {}
    size = {}
    for name, value in zip(names, shape, strict=True):
        if name in ("height", "width"):
            size[name] = value
    return size
