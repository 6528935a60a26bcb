"""Describe the Gerra API's responses as pydantic models.

Every model ignores unknown fields, because Gerra may add some at any time.
`status` and `data_type` stay plain strings so that a value Gerra introduces
later still parses. Compare them with `DatasetStatus` and `DataType`.
Signed URLs are `SecretStr` so that a ``repr`` or JSON dump of a model never
shows the token. Call ``get_secret_value()`` to use one.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class DatasetStatus(StrEnum):
    """Review states that Gerra documents. The API may send others."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FOR_ADMIN_REVIEW = "for_admin_review"
    SUPERSEDED = "superseded"
    DISCARDED = "discarded"


class DataType(StrEnum):
    """Kinds of data that Gerra documents. The API may send others."""

    EPISODE = "episode"
    SYNTHETIC_POV = "synthetic_pov"
    SYNTHETIC_THIRD_PERSON = "synthetic_third_person"
    TELEMETRY = "telemetry"


# Metadata key under which Gerra stores the reason sent with a rejection.
REJECTION_REASON_KEY = "rejection_reason"


class _GerraModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Dataset(_GerraModel):
    """One dataset with the twelve documented fields."""

    id: str
    date_created: datetime | None = None
    date_updated: datetime | None = None
    organization_id: str | None = None
    data_type: str
    name: str = ""
    description: str | None = None
    status: str
    link: str | None = None
    # Only the get-dataset endpoint fills this. List items carry null.
    signed_url: SecretStr | None = None
    data_byte_size: int = 0
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_pending(self) -> bool:
        return self.status == DatasetStatus.PENDING

    @property
    def rejection_reason(self) -> str | None:
        value = self.metadata.get(REJECTION_REASON_KEY)
        return value if isinstance(value, str) else None


class DatasetPage(_GerraModel):
    """One page of the list endpoint. `total` is optional because Gerra does not document it."""

    datasets: list[Dataset] = Field(default_factory=list)
    total: int | None = None


class DailyVolume(_GerraModel):
    """Number of datasets created on one UTC day."""

    date: date
    count: int


class Stats(_GerraModel):
    """Organisation-wide counts, where a status or type missing from a map counts 0."""

    total_datasets: int
    total_size_bytes: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)
    by_data_type: dict[str, int] = Field(default_factory=dict)
    daily_volume_last_7_days: list[DailyVolume] = Field(default_factory=list)

    def status_count(self, status: str) -> int:
        """Return the number of datasets in ``status``, 0 when the key is absent."""
        return self.by_status.get(status, 0)

    def data_type_count(self, data_type: str) -> int:
        """Return the number of datasets of ``data_type``, 0 when the key is absent."""
        return self.by_data_type.get(data_type, 0)


class PreviewUrls(_GerraModel):
    """Preview media of one version. Either URL may be missing."""

    gif: str | None = None
    pose_frame: str | None = None


class Iteration(_GerraModel):
    """One version in a dataset's iteration group."""

    dataset_id: str
    version: int
    status: str
    created_at: datetime | None = None
    prompt: str | None = None
    parent_dataset_id: str | None = None
    regeneration_reason: str | None = None
    superseded_reason: str | None = None
    preview_urls: PreviewUrls = Field(default_factory=PreviewUrls)
    download_url: SecretStr | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class IterationHistory(_GerraModel):
    """Every version of the iteration group a dataset belongs to."""

    iteration_group_id: str
    total_versions: int
    latest_version: int
    iterations: list[Iteration] = Field(default_factory=list)


class StatusChange(_GerraModel):
    """Response of accept and reject. `message` is for humans and is not parsed."""

    id: str
    status: str
    message: str = ""
