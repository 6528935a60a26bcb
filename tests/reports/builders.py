"""Build small LeRobot deliveries with the demo generator, and fast rule suites to gate them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gerra_emulator.demo import defects
from gerra_emulator.demo.archive import write_zip
from gerra_emulator.demo.lerobot import v21_members, v30_members
from gerra_emulator.demo.recording import SO100, Recording, simulate_recording

FPS = 30
TASKS = ["Pick up the red cube"]

# Built-in checks only: no great-expectations, so a gating takes well under a second.
BUILTIN_SUITE = """
suite: episode-builtin
version: 3
applies_to:
  data_type: episode
rules:
  - id: layout
    check: lerobot.layout
  - id: timestamp-step
    check: lerobot.timestamp_step
    args:
      tolerance_frames: 0.1
  - id: episode-lengths
    check: lerobot.episode_lengths
  - id: finite-values
    check: lerobot.finite_values
  - id: constant-dimensions
    check: lerobot.constant_dimensions
    severity: warning
"""


def recording(lengths: list[int], cameras: tuple[str, ...] = ("front",), seed: int = 0) -> Recording:
    return simulate_recording(np.random.default_rng(seed), SO100, TASKS, cameras, lengths, FPS)


def write_dataset(path: Path, rec: Recording, version: str = "v2.1") -> Path:
    """Write `rec` as a LeRobot ZIP archive at `path` and return the path."""
    members = v30_members(rec) if version == "v3.0" else v21_members(rec)
    return write_zip(path, members)


def jump_dataset(path: Path, version: str = "v2.1") -> Path:
    """Write three 40-row episodes where episode 1 loses rows 10-14, a 6-frame timestamp jump."""
    rec = recording([40, 40, 40])
    defects.drop_rows(rec.episodes[1], 10, 5)
    return write_dataset(path, rec, version)


def builtin_rules(folder: Path) -> Path:
    """Write the built-in-only suite into `folder` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "episode.yaml").write_text(BUILTIN_SUITE)
    return folder
