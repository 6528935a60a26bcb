"""GET /datasets: envelope, ordering, paging, validation and filters."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from emulator_helpers import (
    COCKATOO_3RD,
    COCKATOO_V0,
    COCKATOO_V1,
    G1,
    G1_OLD,
    LFS,
    OTHER_KEY,
    SO101,
    dataset_entry,
    http_client,
    write_catalog,
)

# Newest date_updated first: 01 (01-15 14:45), 02 (01-14), 03 (01-13),
# 04 and 05 (both 01-12 14:30, so newest date_created first), 06, 07.
REAL_ORDER = [G1, LFS, SO101, COCKATOO_V1, COCKATOO_V0, COCKATOO_3RD, G1_OLD]
TWELVE_FIELDS = {
    "id", "date_created", "date_updated", "organization_id", "data_type", "name",
    "description", "status", "link", "signed_url", "data_byte_size", "metadata",
}  # fmt: skip


def ids(response: httpx.Response) -> list[str]:
    return [item["id"] for item in response.json()["datasets"]]


def test_list_envelope(api: httpx.Client, real_catalog: Path) -> None:
    response = api.get("/datasets")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"datasets", "total"}
    assert body["total"] == 7
    first = body["datasets"][0]
    assert set(first) == TWELVE_FIELDS
    assert first["signed_url"] is None
    assert first["link"] == "datasets/g1-pick-bottle-v21.zip"
    assert first["data_byte_size"] == (real_catalog.parent / "g1-pick-bottle-v21.zip").stat().st_size
    assert first["date_updated"] == "2025-01-15T14:45:00Z"


def test_list_order(api: httpx.Client) -> None:
    assert ids(api.get("/datasets")) == REAL_ORDER


def test_list_scoped_to_organization(real_emulator) -> None:
    with http_client(real_emulator.base_url, api_key=None) as client:
        response = client.get("/datasets", headers={"gerra-api-key": OTHER_KEY})

    assert response.json()["total"] == 1
    assert ids(response) == ["770e8400-e29b-41d4-a716-446655440008"]


def test_list_paging(api: httpx.Client) -> None:
    pages = [api.get("/datasets", params={"limit": 3, "offset": offset}) for offset in (0, 3, 6, 9)]

    assert [ids(page) for page in pages] == [REAL_ORDER[0:3], REAL_ORDER[3:6], REAL_ORDER[6:7], []]
    assert [page.json()["total"] for page in pages] == [7, 7, 7, 7]


def test_list_default_limit(tmp_path: Path, emulator) -> None:
    datasets = [dataset_entry(f"aaaaaaaa-0000-4000-8000-{index:012d}") for index in range(105)]
    server = emulator(write_catalog(tmp_path, datasets))

    with http_client(server.base_url) as client:
        body = client.get("/datasets").json()

    assert len(body["datasets"]) == 100
    assert body["total"] == 105
    # Equal timestamps fall back to id ascending.
    assert body["datasets"][0]["id"] == "aaaaaaaa-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("params", "loc", "error_type"),
    [
        ({"limit": 0}, ["query", "limit"], "greater_than_equal"),
        ({"limit": 1001}, ["query", "limit"], "less_than_equal"),
        ({"limit": "ten"}, ["query", "limit"], "int_parsing"),
        ({"offset": -1}, ["query", "offset"], "greater_than_equal"),
        ({"offset": "x"}, ["query", "offset"], "int_parsing"),
    ],
)
def test_list_paging_validation(api: httpx.Client, params: dict, loc: list[str], error_type: str) -> None:
    response = api.get("/datasets", params=params)

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert len(errors) == 1
    assert errors[0]["loc"] == loc
    assert errors[0]["type"] == error_type


def test_list_limit_bounds_accepted(api: httpx.Client) -> None:
    assert len(ids(api.get("/datasets", params={"limit": 1}))) == 1
    assert len(ids(api.get("/datasets", params={"limit": 1000}))) == 7


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "pending"}, [G1, LFS, SO101, COCKATOO_V1, COCKATOO_3RD]),
        ({"status": "superseded"}, [COCKATOO_V0]),
        ({"status": "Pending"}, []),
        ({"status": "nonsense"}, []),
        ({"data_type": "synthetic_pov"}, [COCKATOO_V1, COCKATOO_V0]),
        ({"data_type": "episode", "status": "accepted"}, [G1_OLD]),
        ({"data_type": "telemetry"}, []),
    ],
)
def test_list_filters(api: httpx.Client, params: dict, expected: list[str]) -> None:
    response = api.get("/datasets", params=params)

    assert ids(response) == expected
    assert response.json()["total"] == len(expected)


def test_list_repeated_status_uses_last(api: httpx.Client) -> None:
    response = api.get("/datasets", params=[("status", "pending"), ("status", "accepted")])

    assert ids(response) == [G1_OLD]


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (["robot_type:so101_follower"], [SO101]),
        ([" robot_type : so101_follower "], [SO101]),
        (["episodes:8"], [G1]),
        (["episodes:8.0"], []),
        (["duration_seconds:14.0"], [COCKATOO_V1, COCKATOO_V0]),
        (["duration_seconds:14"], []),
        (["perspective:pov", "duration_seconds:14.0"], [COCKATOO_V1, COCKATOO_V0]),
        (["perspective:pov", "location:lab_2"], []),
        (["robot_type"], REAL_ORDER),
        (["missing_key:x"], []),
    ],
)
def test_list_metadata_filter(api: httpx.Client, terms: list[str], expected: list[str]) -> None:
    response = api.get("/datasets", params=[("metadata", term) for term in terms])

    assert ids(response) == expected


def test_metadata_filter_value_types(tmp_path: Path, emulator) -> None:
    metadata = {"flag": True, "url": "http://x:1", "nothing": None, "nested": {"a": 1}, "items": [1]}
    server = emulator(write_catalog(tmp_path, [dataset_entry("aaaaaaaa-0000-4000-8000-000000000001", metadata=metadata)]))

    client = http_client(server.base_url)

    def count(term: str) -> int:
        return client.get("/datasets", params={"metadata": term}).json()["total"]

    assert count("flag:true") == 1
    assert count("flag:True") == 0
    assert count("url:http://x:1") == 1
    assert count("nothing:null") == 0
    assert count('nested:{"a": 1}') == 0
    assert count("items:[1]") == 0
    client.close()
