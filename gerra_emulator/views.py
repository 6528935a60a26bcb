"""Render store state as Gerra API response bodies."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from gerra_emulator.catalog import STATUSES
from gerra_emulator.clock import format_timestamp
from gerra_emulator.records import DatasetState

KNOWN_DATA_TYPES = ("episode", "synthetic_pov", "synthetic_third_person", "telemetry")
DAILY_VOLUME_DAYS = 7

UrlFor = Callable[[DatasetState], str | None]


def dataset_view(dataset: DatasetState, signed_url: str | None) -> dict[str, Any]:
    """Return the twelve-field dataset object."""
    return {
        "id": dataset.id,
        "date_created": format_timestamp(dataset.date_created),
        "date_updated": format_timestamp(dataset.date_updated),
        "organization_id": dataset.organization_id,
        "data_type": dataset.data_type,
        "name": dataset.name,
        "description": dataset.description,
        "status": dataset.status,
        "link": dataset.link,
        "signed_url": signed_url,
        "data_byte_size": dataset.data_byte_size,
        "metadata": copy.deepcopy(dataset.metadata),
    }


def list_view(page: Sequence[DatasetState], total: int) -> dict[str, Any]:
    """Return the list envelope; list items never carry a signed URL."""
    return {"datasets": [dataset_view(dataset, None) for dataset in page], "total": total}


def stats_view(datasets: Sequence[DatasetState], today: date) -> dict[str, Any]:
    """Return the statistics object; zero counts are left out of the two breakdowns.

    The daily volume lists `today` and the six days before it, newest first,
    counting datasets by the UTC calendar day of ``date_created``.
    """
    by_status = Counter(dataset.status for dataset in datasets)
    by_type = Counter(dataset.data_type for dataset in datasets)
    created_on = Counter(dataset.date_created.date() for dataset in datasets)
    type_order = [*KNOWN_DATA_TYPES, *sorted(set(by_type) - set(KNOWN_DATA_TYPES))]
    days = [today - timedelta(days=offset) for offset in range(DAILY_VOLUME_DAYS)]
    return {
        "total_datasets": len(datasets),
        "total_size_bytes": sum(dataset.data_byte_size or 0 for dataset in datasets),
        "by_status": {status: by_status[status] for status in STATUSES if by_status[status]},
        "by_data_type": {data_type: by_type[data_type] for data_type in type_order if by_type[data_type]},
        "daily_volume_last_7_days": [{"date": day.isoformat(), "count": created_on[day]} for day in days],
    }


def iteration_view(dataset: DatasetState, download_url: str | None) -> dict[str, Any]:
    """Return one version of an iteration history."""
    iteration = dataset.iteration
    preview_urls = {"gif": None, "pose_frame": None, **iteration.preview_urls}
    return {
        "dataset_id": dataset.id,
        "version": iteration.version,
        "status": dataset.status,
        "created_at": format_timestamp(dataset.date_created),
        "prompt": iteration.prompt,
        "parent_dataset_id": iteration.parent_dataset_id,
        "regeneration_reason": iteration.regeneration_reason,
        "superseded_reason": iteration.superseded_reason,
        "preview_urls": preview_urls,
        "download_url": download_url,
        "metadata": copy.deepcopy(dataset.metadata),
    }


def history_view(group_id: str, members: Sequence[DatasetState], url_for: UrlFor) -> dict[str, Any]:
    """Return the iteration history of a group whose `members` are sorted by version."""
    return {
        "iteration_group_id": group_id,
        "total_versions": len(members),
        "latest_version": max(member.iteration.version for member in members),
        "iterations": [iteration_view(member, url_for(member)) for member in members],
    }
