"""The demo datasets: catalog entries, and what a correct gate does to each.

Every fault description quotes the parameters in `deliveries`, so changing a
parameter changes the archive and its description together. The tests pin the
numbers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gerra_emulator.demo import deliveries as d
from gerra_emulator.demo.deliveries import BuiltArchive
from gerra_emulator.demo.synthetic import CLIP_FPS
from gerra_emulator.demo.telemetry import CURRENT_RANGE_A, RATE_HZ

ARCHIVE_DIR = "archives"

# Any fixed namespace works, because it only has to stay the same for ids to be stable.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "gerra-gate:demo")
_FIRST_CREATED = datetime(2025, 1, 16, 9, 0, tzinfo=UTC)


def demo_id(slug: str) -> str:
    """Return the stable UUID of a demo organisation, dataset or iteration group."""
    return str(uuid.uuid5(_NAMESPACE, slug))


DEMO_ORG_ID = demo_id("organization/demo-robotics")
OTHER_ORG_ID = demo_id("organization/other-robotics")
KITCHEN_GROUP_ID = demo_id("iteration-group/kitchen-pov")


@dataclass(frozen=True)
class DemoDataset:
    """A catalog entry, its status after a correct gate run, and words its rejection reason must contain."""

    entry: dict[str, Any]
    expected_status: str
    reason_words: list[str] = field(default_factory=list)


def _stamp(hours: float) -> str:
    return (_FIRST_CREATED + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry(
    slug: str,
    name: str,
    data_type: str,
    file: str,
    description: str,
    metadata: dict[str, Any],
    created_hours: float,
    status: str = "pending",
    organization_id: str = DEMO_ORG_ID,
    updated_hours: float | None = None,
    iteration: dict[str, Any] | None = None,
) -> dict[str, Any]:
    entry = {
        "id": demo_id(f"dataset/{slug}"),
        "organization_id": organization_id,
        "name": name,
        "description": description,
        "data_type": data_type,
        "status": status,
        "file": f"{ARCHIVE_DIR}/{file}",
        "metadata": metadata,
        "date_created": _stamp(created_hours),
        "date_updated": _stamp(created_hours if updated_hours is None else updated_hours),
    }
    if iteration is not None:
        entry["iteration"] = iteration
    return entry


def _episode_metadata(robot_type: str, episodes: int, **extra: Any) -> dict[str, Any]:
    return {"robot_type": robot_type, "episodes": episodes, "fps": d.FPS, **extra}


def demo_datasets(archives: dict[str, BuiltArchive]) -> list[DemoDataset]:
    """List every demo dataset in catalog order; `archives` supplies the truncated archive's byte counts."""
    return [
        *_clean_episode_datasets(),
        *_faulty_episode_datasets(archives),
        *_generated_video_datasets(),
        *_telemetry_datasets(),
    ]


def _clean_episode_datasets() -> list[DemoDataset]:
    pick_cube_episodes = len(d.PICK_CUBE_LENGTHS)
    return [
        DemoDataset(
            _entry(
                "so100-pick-cube-week3",
                "SO-100 arm: pick up the red cube (week 3)",
                "episode",
                d.PICK_CUBE,
                f"Clean delivery. LeRobot v2.1, {pick_cube_episodes} episodes at 30 fps, front and wrist cameras.",
                _episode_metadata("so100", pick_cube_episodes, location="lab_1"),
                created_hours=30,
            ),
            "accepted",
        ),
        DemoDataset(
            _entry(
                "so100-pick-cube-week2",
                "SO-100 arm: pick up the red cube (week 2)",
                "episode",
                d.PICK_CUBE,
                "Earlier delivery, already accepted by a reviewer; the gate leaves it alone.",
                _episode_metadata("so100", pick_cube_episodes, location="lab_1"),
                created_hours=0,
                status="accepted",
                updated_hours=20,
            ),
            "accepted",
        ),
        DemoDataset(
            _entry(
                "koch-stack-blocks",
                "Koch arm: stack the green block on the blue block",
                "episode",
                d.STACK_BLOCKS,
                f"Clean delivery. LeRobot v3.0, {len(d.STACK_BLOCKS_LENGTHS)} episodes concatenated into one "
                "data file and one video per camera (front, top).",
                _episode_metadata("koch", len(d.STACK_BLOCKS_LENGTHS), location="lab_2"),
                created_hours=31,
            ),
            "accepted",
        ),
        DemoDataset(
            _entry(
                "other-org-pick-cube",
                "Another organisation's pick-cube episodes",
                "episode",
                d.PICK_CUBE,
                "Belongs to Other Robotics; a gate running with the Demo Robotics key must not see it.",
                _episode_metadata("so100", pick_cube_episodes),
                created_hours=32,
                organization_id=OTHER_ORG_ID,
            ),
            "pending",
        ),
    ]


def _faulty_episode_datasets(archives: dict[str, BuiltArchive]) -> list[DemoDataset]:
    jump_from = (d.JUMP_FIRST_ROW - 1) / d.FPS
    jump_to = (d.JUMP_FIRST_ROW + d.JUMP_DROPPED_FRAMES) / d.FPS
    jump_length = d.JUMP_LENGTHS[d.JUMP_EPISODE] - d.JUMP_DROPPED_FRAMES
    nan_last_row = d.NAN_FIRST_ROW + d.NAN_ROWS - 1
    truncated = archives[d.TRUNCATED]
    return [
        DemoDataset(
            _entry(
                "so100-sort-timestamp-jump",
                "SO-100 arm: sort screws and nuts",
                "episode",
                d.TIMESTAMP_JUMP,
                f"Fault: timestamp jump. The recorder lost {d.JUMP_DROPPED_FRAMES} frames in episode "
                f"{d.JUMP_EPISODE}: its timestamp jumps from {jump_from:.3f} s to {jump_to:.3f} s between "
                f"frame_index {d.JUMP_FIRST_ROW - 1} and {d.JUMP_FIRST_ROW} (one step of "
                f"{d.JUMP_DROPPED_FRAMES + 1} frame periods). The episode has {jump_length} rows and its "
                "video as many frames; everything else is consistent.",
                _episode_metadata("so100", len(d.JUMP_LENGTHS)),
                created_hours=33,
            ),
            "rejected",
            ["timestamp"],
        ),
        DemoDataset(
            _entry(
                "so100-wipe-nan-state",
                "SO-100 arm: wipe the table",
                "episode",
                d.NAN_STATE,
                f"Fault: NaN values. observation.state main_elbow_flex (element {d.NAN_JOINT}) is NaN in "
                f"episode {d.NAN_EPISODE}, rows {d.NAN_FIRST_ROW} to {nan_last_row} ({d.NAN_ROWS} values), "
                "where the joint encoder stopped reporting. Statistics in meta/episodes_stats.jsonl leave the "
                "NaN values out.",
                _episode_metadata("so100", len(d.NAN_LENGTHS)),
                created_hours=34,
            ),
            "rejected",
            ["NaN"],
        ),
        DemoDataset(
            _entry(
                "so100-fold-missing-files",
                "SO-100 arm: fold the towel",
                "episode",
                d.MISSING_FILES,
                f"Fault: missing files. meta/info.json declares {len(d.MISSING_LENGTHS)} episodes with front "
                f"and wrist videos, but the archive lacks data/chunk-000/episode_{d.MISSING_PARQUET_EPISODE:06d}"
                f".parquet and videos/chunk-000/observation.images.{d.MISSING_VIDEO_CAMERA}/"
                f"episode_{d.MISSING_VIDEO_EPISODE:06d}.mp4.",
                _episode_metadata("so100", len(d.MISSING_LENGTHS)),
                created_hours=35,
            ),
            "rejected",
            ["missing"],
        ),
        DemoDataset(
            _entry(
                "so100-pour-metadata-mismatch",
                "SO-100 arm: pour beans into the bowl",
                "episode",
                d.METADATA_MISMATCH,
                f"Fault: metadata contradicts the data. The Gerra metadata says episodes "
                f"{d.MISMATCH_CLAIMED_EPISODES} and robot_type {d.MISMATCH_CLAIMED_ROBOT}, but the archive "
                f"contains {len(d.MISMATCH_LENGTHS)} episodes recorded on an so100 (meta/info.json agrees with "
                "the data).",
                _episode_metadata(d.MISMATCH_CLAIMED_ROBOT, d.MISMATCH_CLAIMED_EPISODES),
                created_hours=36,
            ),
            "rejected",
            ["episodes"],
        ),
        DemoDataset(
            _entry(
                "so100-pick-truncated",
                "SO-100 arm: pick up the red cube (re-upload)",
                "episode",
                d.TRUNCATED,
                f"Fault: truncated archive. The upload stopped halfway: the file contains the first "
                f"{truncated.size} of {truncated.original_bytes} bytes, so the ZIP central directory is missing.",
                _episode_metadata("so100", len(d.TRUNCATED_LENGTHS)),
                created_hours=37,
            ),
            "rejected",
            ["archive"],
        ),
        DemoDataset(
            _entry(
                "so100-stack-lfs-pointers",
                "SO-100 arm: stack the cups",
                "episode",
                d.LFS_POINTERS,
                f"Fault: Git LFS pointer stubs. The dataset was zipped from a clone without `git lfs pull`: all "
                f"{len(d.LFS_LENGTHS)} episode Parquet files and {len(d.LFS_LENGTHS)} videos are Git LFS "
                "pointer files; only meta/ contains real content.",
                _episode_metadata("so100", len(d.LFS_LENGTHS)),
                created_hours=38,
            ),
            "rejected",
            ["LFS"],
        ),
    ]


def _generated_video_datasets() -> list[DemoDataset]:
    prompts = (
        "First-person walk up to a kitchen table",
        "First-person walk up to a kitchen table, steady hands",
        "First-person walk up to a kitchen table, steady hands, consistent tiles",
    )
    reasons = ("Hand rendering artifacts", "Background inconsistency")
    version_ids = [demo_id(f"dataset/kitchen-pov-v{version}") for version in range(3)]
    pov_metadata = {"perspective": "pov", "duration_seconds": d.POV_SECONDS, "fps": CLIP_FPS}
    entries = []
    for version in range(3):
        is_latest = version == 2
        iteration = {
            "group_id": KITCHEN_GROUP_ID,
            "version": version,
            "prompt": prompts[version],
            "parent_dataset_id": version_ids[version - 1] if version else None,
            "regeneration_reason": reasons[version - 1] if version else None,
            "superseded_reason": None if is_latest else reasons[version],
        }
        description = (
            f"Clean generated clip, version {version} of 3, {d.POV_SECONDS:.1f} s."
            if is_latest
            else f"Version {version} of 3, superseded by Gerra: {reasons[version]}."
        )
        entry = _entry(
            f"kitchen-pov-v{version}",
            "Kitchen table approach, first person",
            "synthetic_pov",
            d.KITCHEN_POV[version],
            description,
            dict(pov_metadata),
            created_hours=10 + 12 * version,
            status="pending" if is_latest else "superseded",
            updated_hours=10 + 12 * (version + 1) if not is_latest else None,
            iteration=iteration,
        )
        entries.append(DemoDataset(entry, "accepted" if is_latest else "superseded"))

    entries.append(
        DemoDataset(
            _entry(
                "warehouse-third-person-duration",
                "Warehouse walk-through, third person",
                "synthetic_third_person",
                d.WAREHOUSE_THIRD_PERSON,
                f"Fault: wrong duration_seconds. The metadata claims {d.THIRD_PERSON_CLAIMED_SECONDS:.1f} s but "
                f"video.mp4 lasts {d.THIRD_PERSON_SECONDS:.1f} s ({round(d.THIRD_PERSON_SECONDS * CLIP_FPS)} frames at "
                f"{CLIP_FPS} fps).",
                {"perspective": "third_person", "duration_seconds": d.THIRD_PERSON_CLAIMED_SECONDS, "fps": CLIP_FPS},
                created_hours=39,
            ),
            "rejected",
            ["duration"],
        )
    )
    entries.append(
        DemoDataset(
            _entry(
                "warehouse-third-person-review",
                "Warehouse walk-through, third person (staff review)",
                "synthetic_third_person",
                d.WAREHOUSE_THIRD_PERSON,
                "Gerra staff are still reviewing this clip; the gate leaves it alone.",
                {"perspective": "third_person", "duration_seconds": d.THIRD_PERSON_SECONDS, "fps": CLIP_FPS},
                created_hours=40,
                status="for_admin_review",
            ),
            "for_admin_review",
        )
    )
    return entries


def _telemetry_datasets() -> list[DemoDataset]:
    period_s = 1 / RATE_HZ
    gap_rows = round((d.GAP_END_S - d.GAP_START_S) * RATE_HZ)
    metadata = {"robot_type": "ur5e", "sample_rate_hz": RATE_HZ}
    return [
        DemoDataset(
            _entry(
                "ur5e-cell3-telemetry",
                "UR5e cell 3: joint telemetry",
                "telemetry",
                d.TELEMETRY_CLEAN,
                f"Clean delivery. {d.TELEMETRY_SECONDS:.0f} s of {RATE_HZ} Hz telemetry: joints.parquet (positions, "
                "currents) and temperatures.csv, with channel ranges in channels.json, all inside one "
                "top-level folder.",
                dict(metadata, cell="cell_3"),
                created_hours=41,
            ),
            "accepted",
        ),
        DemoDataset(
            _entry(
                "ur5e-cell4-telemetry-gap",
                "UR5e cell 4: joint telemetry",
                "telemetry",
                d.TELEMETRY_GAP,
                f"Fault: time gap and out-of-range values in joints.parquet. {gap_rows} samples from "
                f"{d.GAP_START_S:.2f} s to {d.GAP_END_S - period_s:.2f} s are missing, so timestamp steps from "
                f"{d.GAP_START_S - period_s:.2f} s to {d.GAP_END_S:.2f} s. joint_{d.SPIKE_JOINT}_current_a reads "
                f"{d.SPIKE_CURRENT_A} A for {d.SPIKE_SAMPLES} samples from {d.SPIKE_START_S:.2f} s, outside "
                f"its range of {CURRENT_RANGE_A[0]:g} to {CURRENT_RANGE_A[1]:g} A.",
                dict(metadata, cell="cell_4"),
                created_hours=42,
            ),
            "rejected",
            ["gap"],
        ),
    ]


