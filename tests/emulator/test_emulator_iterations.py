"""GET /datasets/{id}/iterations: recorded groups, derived one-version histories, errors."""

from __future__ import annotations

import uuid

import httpx
import pytest
from emulator_helpers import COCKATOO_3RD, COCKATOO_V0, COCKATOO_V1, OTHER_ORG_DATASET, UNKNOWN_ID

ITERATION_FIELDS = {
    "dataset_id", "version", "status", "created_at", "prompt", "parent_dataset_id",
    "regeneration_reason", "superseded_reason", "preview_urls", "download_url", "metadata",
}  # fmt: skip


@pytest.mark.parametrize("member", [COCKATOO_V0, COCKATOO_V1])
def test_recorded_group(api: httpx.Client, member: str) -> None:
    body = api.get(f"/datasets/{member}/iterations").json()

    assert body["iteration_group_id"] == "880e8400-e29b-41d4-a716-446655440000"
    assert body["total_versions"] == 2
    assert body["latest_version"] == 1
    first, second = body["iterations"]
    assert set(first) == ITERATION_FIELDS
    assert (first["dataset_id"], first["version"], first["status"]) == (COCKATOO_V0, 0, "superseded")
    assert (second["dataset_id"], second["version"], second["status"]) == (COCKATOO_V1, 1, "pending")
    assert first["created_at"] == "2025-01-10T10:00:00Z"
    assert first["parent_dataset_id"] is None
    assert second["parent_dataset_id"] == COCKATOO_V0
    assert second["regeneration_reason"] == first["superseded_reason"] == "Background inconsistency"
    assert second["prompt"] == "Cockatoo on a perch, first-person view, natural light"
    assert first["preview_urls"] == {"gif": None, "pose_frame": None}
    assert second["metadata"] == {"perspective": "pov", "duration_seconds": 14.0}


def test_download_url_works(api: httpx.Client, anonymous: httpx.Client, real_catalog) -> None:
    body = api.get(f"/datasets/{COCKATOO_V1}/iterations").json()

    download = anonymous.get(body["iterations"][0]["download_url"])

    assert download.status_code == 200
    assert download.content == (real_catalog.parent / "cockatoo-pov.zip").read_bytes()


def test_single_version_history(api: httpx.Client) -> None:
    first = api.get(f"/datasets/{COCKATOO_3RD}/iterations").json()
    second = api.get(f"/datasets/{COCKATOO_3RD}/iterations").json()

    group_id = first["iteration_group_id"]
    assert group_id == second["iteration_group_id"]
    assert group_id != COCKATOO_3RD
    assert uuid.UUID(group_id).version == 5
    assert first["total_versions"] == 1
    assert first["latest_version"] == 0
    [only] = first["iterations"]
    assert only["dataset_id"] == COCKATOO_3RD
    assert only["version"] == 0
    assert only["prompt"] is None
    assert only["parent_dataset_id"] is None
    assert only["regeneration_reason"] is None
    assert only["superseded_reason"] is None
    assert only["download_url"].startswith(f"{api.base_url}/storage/datasets/cockatoo-pov.zip?token=")


def test_rejection_reason_visible(api: httpx.Client) -> None:
    api.post(f"/datasets/{COCKATOO_V1}/reject", json={"reason": "hands melt"})

    body = api.get(f"/datasets/{COCKATOO_V0}/iterations").json()

    assert body["iterations"][1]["status"] == "rejected"
    assert body["iterations"][1]["metadata"]["rejection_reason"] == "hands melt"


@pytest.mark.parametrize(
    ("dataset_id", "status", "detail"),
    [
        (UNKNOWN_ID, 404, "Dataset not found"),
        (OTHER_ORG_DATASET, 403, "Dataset does not belong to your organization"),
    ],
)
def test_iterations_errors(api: httpx.Client, dataset_id: str, status: int, detail: str) -> None:
    response = api.get(f"/datasets/{dataset_id}/iterations")

    assert response.status_code == status
    assert response.json() == {"detail": detail}


def test_iterations_invalid_id(api: httpx.Client) -> None:
    response = api.get("/datasets/abc/iterations")

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["path", "dataset_id"]
    assert error["input"] == "abc"
