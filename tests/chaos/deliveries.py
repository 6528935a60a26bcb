"""Build a catalog of many tiny deliveries quickly: telemetry tables, LeRobot v2.1 episodes, generated clips.

Each recipe is cheap (a few hundred table rows, a one-second clip), so a
catalog of 200 datasets builds in seconds. Recipes come in clean and
defective variants, so a correct gate both accepts and rejects. A few
datasets of our organisation are not pending, and a few pending ones belong
to another organisation: the gate must leave both alone.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from gerra_emulator.demo import defects
from gerra_emulator.demo.archive import write_zip
from gerra_emulator.demo.lerobot import v21_data_member, v21_members
from gerra_emulator.demo.recording import SO100, simulate_recording
from gerra_emulator.demo.synthetic import generated_video_members, render_clip
from gerra_emulator.demo.telemetry import RATE_HZ, simulate_arm_log, telemetry_members

# The key has no run of 8 letters or digits after "gerra_", so only its
# registration as a secret, not a key-shaped pattern, can mask it in logs.
API_KEY = "gerra_chaos_key_7f3a9c_d41e"
OTHER_API_KEY = "gerra_other_key_0b22e1_9c7d"
ORG_ID = "0a7e7a1c-5c1e-4b8e-9d0a-c4a05c4a0501"
OTHER_ORG_ID = "0a7e7a1c-5c1e-4b8e-9d0a-c4a05c4a0502"
_NAMESPACE = uuid.UUID("7b0c6a56-2f1d-4f0e-8f7e-6c4a0d6a5e10")
_CREATED = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
FPS = 30
CLIP_SECONDS = 1.0
TELEMETRY_SECONDS = 2.0

Members = dict[str, bytes]


@dataclass(frozen=True)
class Recipe:
    """One kind of delivery: its data type, metadata and a builder of its members."""

    name: str
    data_type: str
    metadata: dict[str, Any]
    build: Callable[[np.random.Generator], Members]


def _telemetry(rng: np.random.Generator) -> Members:
    joints, temperatures = simulate_arm_log(rng, TELEMETRY_SECONDS)
    return telemetry_members(joints, temperatures)


def _telemetry_gap(rng: np.random.Generator) -> Members:
    joints, temperatures = simulate_arm_log(rng, TELEMETRY_SECONDS)
    return telemetry_members(defects.drop_time_window(joints, 0.7, 1.0), temperatures)


def _episode(rng: np.random.Generator) -> Members:
    return v21_members(simulate_recording(rng, SO100, ["Pick up the cube"], (), [20, 24, 22], FPS))


def _episode_nan(rng: np.random.Generator) -> Members:
    recording = simulate_recording(rng, SO100, ["Pick up the cube"], (), [20, 24, 22], FPS)
    defects.blank_state(recording.episodes[1], 2, 5, 4)
    return v21_members(recording)


def _episode_missing_file(rng: np.random.Generator) -> Members:
    members = v21_members(simulate_recording(rng, SO100, ["Wipe the table"], (), [18, 21, 19], FPS))
    defects.remove_members(members, [v21_data_member(2)])
    return members


def _clip(rng: np.random.Generator) -> Members:
    return generated_video_members(render_clip(rng, "pov", CLIP_SECONDS))


def _clip_third_person(rng: np.random.Generator) -> Members:
    return generated_video_members(render_clip(rng, "third_person", CLIP_SECONDS))


_EPISODE_METADATA = {"robot_type": "so100", "episodes": 3, "fps": FPS}
RECIPES = (
    Recipe("telemetry", "telemetry", {"robot_type": "ur5e", "sample_rate_hz": RATE_HZ}, _telemetry),
    Recipe("telemetry-gap", "telemetry", {"robot_type": "ur5e", "sample_rate_hz": RATE_HZ}, _telemetry_gap),
    Recipe("episode", "episode", _EPISODE_METADATA, _episode),
    Recipe("episode-nan", "episode", _EPISODE_METADATA, _episode_nan),
    Recipe("episode-missing-file", "episode", _EPISODE_METADATA, _episode_missing_file),
    Recipe("clip", "synthetic_pov", {"duration_seconds": CLIP_SECONDS, "fps": 20}, _clip),
    # The clip lasts one second but the metadata promises three.
    Recipe("clip-wrong-duration", "synthetic_third_person", {"duration_seconds": 3.0, "fps": 20}, _clip_third_person),
)



def _episode_long(rng: np.random.Generator) -> Members:
    # Hundreds of short episodes keep the per-episode checks busy for a few
    # seconds, long enough to kill the gate while they run.
    return v21_members(simulate_recording(rng, SO100, ["Pick up the cube"], (), [12] * LONG_EPISODES, FPS))


LONG_EPISODES = 600
LONG_EPISODE_RECIPE = Recipe(
    "episode-long", "episode", {"robot_type": "so100", "episodes": LONG_EPISODES, "fps": FPS}, _episode_long
)
RECIPES_BY_NAME = {recipe.name: recipe for recipe in (*RECIPES, LONG_EPISODE_RECIPE)}

NOT_PENDING_STATUSES = ("accepted", "rejected", "for_admin_review", "superseded", "discarded")


@dataclass(frozen=True)
class Delivery:
    """One dataset of the catalog and the recipe of its archive."""

    id: str
    recipe: str
    organization_id: str
    status: str

    @property
    def is_ours_and_pending(self) -> bool:
        return self.organization_id == ORG_ID and self.status == "pending"


@dataclass
class ChaosCatalog:
    """A written catalog: its path and every delivery in it."""

    path: Path
    deliveries: list[Delivery] = field(default_factory=list)

    def pending_ids(self) -> list[str]:
        """Return the ids of our organisation's pending datasets, in catalog order."""
        return [delivery.id for delivery in self.deliveries if delivery.is_ours_and_pending]

    def untouchable_ids(self) -> list[str]:
        """Return the ids the gate must never decide: not pending, or another organisation's."""
        return [delivery.id for delivery in self.deliveries if not delivery.is_ours_and_pending]


def dataset_id(index: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"dataset/{index}"))


def build_catalog(
    out_dir: Path,
    pending: int,
    *,
    seed: int,
    variants: int = 2,
    others: int = 2,
    recipes: Sequence[str] | None = None,
) -> ChaosCatalog:
    """Write `pending` pending datasets plus `others` datasets of each untouchable kind into `out_dir`.

    Each recipe (all of `RECIPES`, or those named in `recipes`) is built in
    `variants` seeded versions, and datasets share those archives
    round-robin, so build time does not grow with `pending`.
    """
    chosen = RECIPES if recipes is None else tuple(RECIPES_BY_NAME[name] for name in recipes)
    archive_dir = out_dir / "archives"
    files: list[tuple[Recipe, str]] = []
    for variant in range(variants):
        for recipe_index, recipe in enumerate(chosen):
            rng = np.random.default_rng([seed, recipe_index, variant])
            file = f"archives/{recipe.name}-{variant}.zip"
            write_zip(archive_dir / f"{recipe.name}-{variant}.zip", recipe.build(rng))
            files.append((recipe, file))

    catalog = ChaosCatalog(out_dir / "catalog.json")
    entries: list[dict[str, Any]] = []
    kinds = (
        [("pending", ORG_ID)] * pending
        + [(status, ORG_ID) for status in NOT_PENDING_STATUSES[:others]]
        + [("pending", OTHER_ORG_ID)] * others
    )
    for index, (status, organization_id) in enumerate(kinds):
        recipe, file = files[index % len(files)]
        delivery = Delivery(dataset_id(index), recipe.name, organization_id, status)
        catalog.deliveries.append(delivery)
        entries.append(_entry(delivery, recipe, file, index))

    document = {
        "organizations": [
            {"id": ORG_ID, "name": "Chaos Robotics", "api_keys": [API_KEY]},
            {"id": OTHER_ORG_ID, "name": "Other Robotics", "api_keys": [OTHER_API_KEY]},
        ],
        "datasets": entries,
    }
    catalog.path.write_text(json.dumps(document, indent=1))
    return catalog


def _entry(delivery: Delivery, recipe: Recipe, file: str, index: int) -> dict[str, Any]:
    # Distinct creation times give the emulator's list a stable order.
    stamp = (_CREATED + timedelta(minutes=index)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": delivery.id,
        "organization_id": delivery.organization_id,
        "name": f"{recipe.name} #{index}",
        "description": f"Chaos test delivery built by recipe {recipe.name}.",
        "data_type": recipe.data_type,
        "status": delivery.status,
        "file": file,
        "metadata": dict(recipe.metadata),
        "date_created": stamp,
        "date_updated": stamp,
    }
