"""Records of the emulator's mutable state: datasets, their iteration, call counters."""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from gerra_emulator.catalog import DatasetEntry
from gerra_emulator.clock import format_timestamp

# Fixed namespace for the UUIDv5 ids the emulator derives (iteration groups of
# datasets without recorded history, and new versions it creates).
EMULATOR_NAMESPACE = uuid.UUID("4f6d1c2e-9a57-5b1e-8c43-7e0d2a9b6f10")


@dataclass
class IterationInfo:
    """A dataset's place in its iteration group."""

    group_id: str
    version: int
    prompt: str | None = None
    parent_dataset_id: str | None = None
    regeneration_reason: str | None = None
    superseded_reason: str | None = None
    preview_urls: dict[str, Any] = field(default_factory=lambda: {"gif": None, "pose_frame": None})
    recorded: bool = True
    """False when the catalog had no iteration record and the group was derived."""


@dataclass
class DatasetState:
    """A dataset's current state. Also readable as a mapping: ``state["status"]``."""

    id: str
    organization_id: str
    name: str
    description: str | None
    data_type: str
    status: str
    metadata: dict[str, Any]
    date_created: datetime
    date_updated: datetime
    file_path: Path | None
    link: str | None
    data_byte_size: int
    iteration: IterationInfo

    def to_dict(self) -> dict[str, Any]:
        """Return the full state as JSON-ready data, including the archive path and iteration."""
        return {
            "id": self.id,
            "organization_id": self.organization_id,
            "name": self.name,
            "description": self.description,
            "data_type": self.data_type,
            "status": self.status,
            "metadata": copy.deepcopy(self.metadata),
            "date_created": format_timestamp(self.date_created),
            "date_updated": format_timestamp(self.date_updated),
            "file": str(self.file_path) if self.file_path else None,
            "link": self.link,
            "data_byte_size": self.data_byte_size,
            "iteration": {
                "group_id": self.iteration.group_id,
                "version": self.iteration.version,
                "prompt": self.iteration.prompt,
                "parent_dataset_id": self.iteration.parent_dataset_id,
                "regeneration_reason": self.iteration.regeneration_reason,
                "superseded_reason": self.iteration.superseded_reason,
                "preview_urls": dict(self.iteration.preview_urls),
            },
        }

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]


@dataclass(frozen=True)
class CallCounts:
    """A snapshot of the call counters. Missing keys read as 0.

    `requests` counts every API and download request by endpoint, including
    ones that got an error or an injected fault. `accepted` and
    `rejected` count, per dataset id, only the calls that changed a status.
    """

    requests: Counter[str]
    dataset_requests: dict[str, Counter[str]]
    accepted: Counter[str]
    rejected: Counter[str]

    def status_changes(self, dataset_id: str) -> int:
        """Return how many accept and reject calls changed this dataset's status."""
        key = dataset_id.lower()
        return self.accepted[key] + self.rejected[key]

    def for_dataset(self, dataset_id: str) -> Counter[str]:
        """Return the request counts by endpoint for requests naming this dataset."""
        return Counter(self.dataset_requests.get(dataset_id.lower(), Counter()))

    def to_dict(self) -> dict[str, Any]:
        """Return the counters as JSON-ready data."""
        return {
            "requests": dict(self.requests),
            "dataset_requests": {key: dict(value) for key, value in self.dataset_requests.items()},
            "accepted": dict(self.accepted),
            "rejected": dict(self.rejected),
        }


def derived_group_id(dataset_id: str) -> str:
    """Return the stable iteration group id of a dataset without recorded history."""
    return str(uuid.uuid5(EMULATOR_NAMESPACE, f"iteration-group:{dataset_id.lower()}"))


def state_from_entry(entry: DatasetEntry, file_path: Path | None) -> DatasetState:
    """Build a dataset's initial state from its catalog entry and resolved archive path."""
    if entry.iteration is not None:
        iteration = IterationInfo(
            group_id=entry.iteration.group_id,
            version=entry.iteration.version,
            prompt=entry.iteration.prompt,
            parent_dataset_id=entry.iteration.parent_dataset_id,
            regeneration_reason=entry.iteration.regeneration_reason,
            superseded_reason=entry.iteration.superseded_reason,
            preview_urls=entry.iteration.preview_urls.model_dump(),
        )
    else:
        iteration = IterationInfo(group_id=derived_group_id(entry.id), version=0, recorded=False)
    return DatasetState(
        id=entry.id,
        organization_id=entry.organization_id,
        name=entry.name,
        description=entry.description,
        data_type=entry.data_type,
        status=entry.status,
        metadata=copy.deepcopy(entry.metadata),
        date_created=entry.date_created.replace(microsecond=0),
        date_updated=entry.date_updated.replace(microsecond=0),
        file_path=file_path,
        link=f"datasets/{file_path.name}" if file_path else None,
        data_byte_size=file_path.stat().st_size if file_path else 0,
        iteration=iteration,
    )
