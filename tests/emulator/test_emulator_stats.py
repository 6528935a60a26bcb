"""GET /datasets/stats: counts, sizes and the seven-day volume by the emulator clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from emulator_helpers import OTHER_KEY, http_client

NOON_JAN_15 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def test_stats_counts(api: httpx.Client, real_catalog: Path) -> None:
    body = api.get("/datasets/stats").json()

    sizes = {
        name: (real_catalog.parent / name).stat().st_size
        for name in ("g1-pick-bottle-v21.zip", "new-test-lfs-stubs.zip", "so101-record-v30.zip", "cockatoo-pov.zip")
    }
    assert set(body) == {"total_datasets", "total_size_bytes", "by_status", "by_data_type", "daily_volume_last_7_days"}
    assert body["total_datasets"] == 7
    assert body["total_size_bytes"] == (
        2 * sizes["g1-pick-bottle-v21.zip"]
        + sizes["new-test-lfs-stubs.zip"]
        + sizes["so101-record-v30.zip"]
        + 3 * sizes["cockatoo-pov.zip"]
    )
    assert body["by_status"] == {"pending": 5, "accepted": 1, "superseded": 1}
    assert body["by_data_type"] == {"episode": 4, "synthetic_pov": 2, "synthetic_third_person": 1}


def test_stats_daily_volume(real_emulator, api: httpx.Client) -> None:
    real_emulator.store.set_clock(NOON_JAN_15)

    daily = api.get("/datasets/stats").json()["daily_volume_last_7_days"]

    assert daily == [
        {"date": "2025-01-15", "count": 1},
        {"date": "2025-01-14", "count": 1},
        {"date": "2025-01-13", "count": 1},
        {"date": "2025-01-12", "count": 1},
        {"date": "2025-01-11", "count": 1},
        {"date": "2025-01-10", "count": 1},
        {"date": "2025-01-09", "count": 0},
    ]


def test_stats_window_moves_with_clock(real_emulator, api: httpx.Client) -> None:
    real_emulator.store.set_clock(NOON_JAN_15)
    real_emulator.store.advance_clock(3 * 86400)

    daily = api.get("/datasets/stats").json()["daily_volume_last_7_days"]

    assert [entry["date"] for entry in daily] == [f"2025-01-{day}" for day in range(18, 11, -1)]
    assert [entry["count"] for entry in daily] == [0, 0, 0, 1, 1, 1, 1]


def test_stats_follow_status_changes(real_emulator, api: httpx.Client) -> None:
    real_emulator.store.set_status("770e8400-e29b-41d4-a716-446655440001", "discarded")

    by_status = api.get("/datasets/stats").json()["by_status"]

    assert by_status == {"pending": 4, "accepted": 1, "superseded": 1, "discarded": 1}


def test_stats_other_organization(real_emulator) -> None:
    real_emulator.store.set_clock(NOON_JAN_15)

    with http_client(real_emulator.base_url, api_key=OTHER_KEY) as client:
        body = client.get("/datasets/stats").json()

    assert body["total_datasets"] == 1
    assert body["by_status"] == {"pending": 1}
    assert body["daily_volume_last_7_days"][0] == {"date": "2025-01-15", "count": 1}
    assert sum(entry["count"] for entry in body["daily_volume_last_7_days"]) == 1
