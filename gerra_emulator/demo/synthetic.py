"""Generated-video deliveries (`synthetic_pov`, `synthetic_third_person`): `video.mp4` and `preview.gif`.

The clips stand in for AI-generated footage: a first-person walk towards a
table, or a fixed camera watching a figure cross a room. They are small
(128x72 pixels, 20 fps) so the demo catalog builds in seconds.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from gerra_emulator.demo.video import encode_gif, encode_mp4

Perspective = Literal["pov", "third_person"]

CLIP_FPS = 20
CLIP_WIDTH = 128
CLIP_HEIGHT = 72
# GIF delays are whole hundredths of a second, so 10 fps is exact.
PREVIEW_FPS = 10


def render_clip(rng: np.random.Generator, perspective: Perspective, seconds: float, fps: int = CLIP_FPS) -> np.ndarray:
    """Render round(seconds * fps) RGB frames of shape (frames, 72, 128, 3)."""
    count = int(round(seconds * fps))
    if count < 1:
        raise ValueError(f"clip length {seconds} s at {fps} fps has no frames; pass at least 1/{fps} s")
    sky = rng.integers(120, 220, 3)
    ground = rng.integers(40, 140, 3)
    subject = rng.integers(150, 256, 3)
    phase = np.arange(count) / max(count - 1, 1)
    if perspective == "pov":
        return _walk_towards_table(phase, count, sky, ground, subject)
    return _figure_crossing_room(phase, count, sky, ground, subject)


def _backdrop(count: int, horizon: np.ndarray, sky: np.ndarray, ground: np.ndarray) -> np.ndarray:
    rows = np.arange(CLIP_HEIGHT)[None, :, None]
    below = (rows >= horizon[:, None, None])[..., None]
    frames = np.where(below, ground, sky).astype(np.uint8)
    return np.broadcast_to(frames, (count, CLIP_HEIGHT, CLIP_WIDTH, 3)).copy()


def _walk_towards_table(
    phase: np.ndarray, count: int, sky: np.ndarray, ground: np.ndarray, table: np.ndarray
) -> np.ndarray:
    # The horizon bobs with each step, and the table grows as the camera approaches.
    horizon = (CLIP_HEIGHT * 0.45 + 3 * np.sin(2 * np.pi * 4 * phase)).astype(int)
    frames = _backdrop(count, horizon, sky, ground)
    for index in range(count):
        half_width = int(8 + 40 * phase[index])
        half_height = int(4 + 16 * phase[index])
        top = horizon[index] - half_height // 2
        left = CLIP_WIDTH // 2 - half_width
        frames[index, max(top, 0) : top + half_height, left : left + 2 * half_width] = table
    return frames


def _figure_crossing_room(
    phase: np.ndarray, count: int, wall: np.ndarray, floor: np.ndarray, figure: np.ndarray
) -> np.ndarray:
    horizon = np.full(count, int(CLIP_HEIGHT * 0.6))
    frames = _backdrop(count, horizon, wall, floor)
    for index in range(count):
        left = int(8 + (CLIP_WIDTH - 24) * phase[index])
        stride = int(2 * abs(np.sin(2 * np.pi * 6 * phase[index])))
        frames[index, 26 - stride : 56 - stride, left : left + 8] = figure
    return frames


def generated_video_members(frames: np.ndarray, fps: int = CLIP_FPS) -> dict[str, bytes]:
    """Package a clip as Gerra delivers generated video: `video.mp4` and a half-size, half-rate `preview.gif`."""
    step = max(1, fps // PREVIEW_FPS)
    preview = [frame[::2, ::2] for frame in frames[::step]]
    return {"video.mp4": encode_mp4(frames, fps), "preview.gif": encode_gif(preview, PREVIEW_FPS)}
