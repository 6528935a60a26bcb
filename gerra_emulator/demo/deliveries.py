"""The demo's archives: how each one is built and which fault it carries.

Each recipe draws from its own random generator, seeded by the catalog seed and
the archive's file name, so editing one recipe leaves the other archives
byte-identical. The fault parameters are module constants because the catalog
descriptions and the tests quote them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import structlog

from gerra_emulator.demo import defects
from gerra_emulator.demo.archive import write_zip
from gerra_emulator.demo.lerobot import v21_data_member, v21_members, v21_video_member, v30_members
from gerra_emulator.demo.recording import KOCH, SO100, simulate_recording
from gerra_emulator.demo.synthetic import generated_video_members, render_clip
from gerra_emulator.demo.telemetry import current_column, simulate_arm_log, telemetry_members

log = structlog.get_logger(__name__)

PICK_CUBE = "so100-pick-cube-v21.zip"
STACK_BLOCKS = "koch-stack-blocks-v30.zip"
TIMESTAMP_JUMP = "so100-sort-timestamp-jump.zip"
NAN_STATE = "so100-wipe-nan-state.zip"
MISSING_FILES = "so100-fold-missing-files.zip"
METADATA_MISMATCH = "so100-pour-metadata-mismatch.zip"
TRUNCATED = "so100-pick-truncated.zip"
LFS_POINTERS = "so100-stack-lfs-pointers.zip"
KITCHEN_POV = ("kitchen-pov-v0.zip", "kitchen-pov-v1.zip", "kitchen-pov-v2.zip")
WAREHOUSE_THIRD_PERSON = "warehouse-third-person.zip"
TELEMETRY_CLEAN = "ur5e-cell3-telemetry.zip"
TELEMETRY_GAP = "ur5e-cell4-telemetry-gap.zip"

FPS = 30
PICK_CUBE_LENGTHS = [64, 80, 70, 74, 60, 78]
STACK_BLOCKS_LENGTHS = [66, 62, 73, 58]

JUMP_LENGTHS = [60, 66, 63, 95, 58]
JUMP_EPISODE = 3
JUMP_FIRST_ROW = 60
JUMP_DROPPED_FRAMES = 15

NAN_LENGTHS = [56, 64, 60, 68, 62]
NAN_EPISODE = 1
NAN_JOINT = 2  # main_elbow_flex
NAN_FIRST_ROW = 30
NAN_ROWS = 12

MISSING_LENGTHS = [54, 61, 57, 66, 59, 63]
MISSING_PARQUET_EPISODE = 4
MISSING_VIDEO_EPISODE = 2
MISSING_VIDEO_CAMERA = "wrist"

MISMATCH_LENGTHS = [30, 34, 32, 35, 31, 37, 33, 34, 30, 36]
MISMATCH_CLAIMED_EPISODES = 12
MISMATCH_CLAIMED_ROBOT = "koch"

TRUNCATED_LENGTHS = [60, 64, 62, 66]
TRUNCATED_KEEP_FRACTION = 0.5

LFS_LENGTHS = [47, 50, 48, 52, 49]
LFS_SUFFIXES = (".parquet", ".mp4")

POV_SECONDS = 4.0
THIRD_PERSON_SECONDS = 3.0
THIRD_PERSON_CLAIMED_SECONDS = 8.0

TELEMETRY_SECONDS = 20.0
TELEMETRY_ROOT = "ur5e-cell3-2025-01-16"
GAP_START_S = 7.0
GAP_END_S = 7.5
SPIKE_JOINT = 3
SPIKE_START_S = 12.0
SPIKE_SAMPLES = 8
SPIKE_CURRENT_A = 38.5


@dataclass(frozen=True)
class Recipe:
    """How to build one archive: its file name, a member builder, an optional top-level folder and truncation."""

    file: str
    build: Callable[[np.random.Generator], dict[str, bytes]]
    root: str = ""
    truncate_to: float | None = None


def _pick_cube(rng: np.random.Generator) -> dict[str, bytes]:
    tasks = ["Pick up the red cube and drop it in the bin"]
    return v21_members(simulate_recording(rng, SO100, tasks, ("front", "wrist"), PICK_CUBE_LENGTHS, FPS))


def _stack_blocks(rng: np.random.Generator) -> dict[str, bytes]:
    tasks = ["Stack the green block on the blue block"]
    return v30_members(simulate_recording(rng, KOCH, tasks, ("front", "top"), STACK_BLOCKS_LENGTHS, FPS))


def _timestamp_jump(rng: np.random.Generator) -> dict[str, bytes]:
    tasks = ["Sort the screws into the left tray", "Sort the nuts into the right tray"]
    recording = simulate_recording(rng, SO100, tasks, ("front",), JUMP_LENGTHS, FPS)
    defects.drop_rows(recording.episodes[JUMP_EPISODE], JUMP_FIRST_ROW, JUMP_DROPPED_FRAMES)
    return v21_members(recording)


def _nan_state(rng: np.random.Generator) -> dict[str, bytes]:
    recording = simulate_recording(rng, SO100, ["Wipe the table with the sponge"], ("front",), NAN_LENGTHS, FPS)
    defects.blank_state(recording.episodes[NAN_EPISODE], NAN_JOINT, NAN_FIRST_ROW, NAN_ROWS)
    return v21_members(recording)


def _missing_files(rng: np.random.Generator) -> dict[str, bytes]:
    tasks = ["Fold the towel in half"]
    members = v21_members(simulate_recording(rng, SO100, tasks, ("front", "wrist"), MISSING_LENGTHS, FPS))
    defects.remove_members(
        members,
        [
            v21_data_member(MISSING_PARQUET_EPISODE),
            v21_video_member(MISSING_VIDEO_EPISODE, MISSING_VIDEO_CAMERA),
        ],
    )
    return members


def _metadata_mismatch(rng: np.random.Generator) -> dict[str, bytes]:
    tasks = ["Pour the beans into the bowl"]
    return v21_members(simulate_recording(rng, SO100, tasks, ("front",), MISMATCH_LENGTHS, FPS))


def _truncated(rng: np.random.Generator) -> dict[str, bytes]:
    tasks = ["Pick up the red cube and drop it in the bin"]
    return v21_members(simulate_recording(rng, SO100, tasks, ("front",), TRUNCATED_LENGTHS, FPS))


def _lfs_pointers(rng: np.random.Generator) -> dict[str, bytes]:
    tasks = ["Stack the cups"]
    members = v21_members(simulate_recording(rng, SO100, tasks, ("front",), LFS_LENGTHS, FPS))
    defects.replace_with_lfs_pointers(members, LFS_SUFFIXES)
    return members


def _kitchen_pov(rng: np.random.Generator) -> dict[str, bytes]:
    return generated_video_members(render_clip(rng, "pov", POV_SECONDS))


def _warehouse_third_person(rng: np.random.Generator) -> dict[str, bytes]:
    return generated_video_members(render_clip(rng, "third_person", THIRD_PERSON_SECONDS))


def _telemetry_clean(rng: np.random.Generator) -> dict[str, bytes]:
    joints, temperatures = simulate_arm_log(rng, TELEMETRY_SECONDS)
    return telemetry_members(joints, temperatures)


def _telemetry_gap(rng: np.random.Generator) -> dict[str, bytes]:
    joints, temperatures = simulate_arm_log(rng, TELEMETRY_SECONDS)
    joints = defects.drop_time_window(joints, GAP_START_S, GAP_END_S)
    joints = defects.overwrite_values(joints, current_column(SPIKE_JOINT), SPIKE_START_S, SPIKE_SAMPLES, SPIKE_CURRENT_A)
    return telemetry_members(joints, temperatures)


RECIPES = (
    Recipe(PICK_CUBE, _pick_cube),
    Recipe(STACK_BLOCKS, _stack_blocks),
    Recipe(TIMESTAMP_JUMP, _timestamp_jump),
    Recipe(NAN_STATE, _nan_state),
    Recipe(MISSING_FILES, _missing_files),
    Recipe(METADATA_MISMATCH, _metadata_mismatch),
    Recipe(TRUNCATED, _truncated, truncate_to=TRUNCATED_KEEP_FRACTION),
    Recipe(LFS_POINTERS, _lfs_pointers),
    *(Recipe(file, _kitchen_pov) for file in KITCHEN_POV),
    Recipe(WAREHOUSE_THIRD_PERSON, _warehouse_third_person),
    Recipe(TELEMETRY_CLEAN, _telemetry_clean, root=TELEMETRY_ROOT),
    Recipe(TELEMETRY_GAP, _telemetry_gap),
)


@dataclass(frozen=True)
class BuiltArchive:
    """An archive on disk; `original_bytes` is its size before truncation (equal to its size otherwise)."""

    path: Path
    original_bytes: int

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def build_archives(archive_dir: Path, seed: int) -> dict[str, BuiltArchive]:
    """Write every recipe's archive into `archive_dir`; return them by file name."""
    built = {}
    for recipe in RECIPES:
        rng = np.random.default_rng([seed, zlib.crc32(recipe.file.encode())])
        path = write_zip(archive_dir / recipe.file, recipe.build(rng), root=recipe.root)
        original = path.stat().st_size
        if recipe.truncate_to is not None:
            defects.truncate_file(path, recipe.truncate_to)
        built[recipe.file] = BuiltArchive(path, original)
        log.debug("demo_archive_written", file=recipe.file, size_bytes=path.stat().st_size)
    return built
