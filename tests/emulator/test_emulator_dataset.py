"""GET /datasets/dataset, authentication and the order of error checks."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from emulator_helpers import (
    ACME_ORG,
    COCKATOO_V1,
    G1,
    OTHER_ORG_DATASET,
    UNKNOWN_ID,
    dataset_entry,
    http_client,
    write_catalog,
)


def test_get_dataset_fields(api: httpx.Client, real_emulator) -> None:
    response = api.get("/datasets/dataset", params={"id": G1})

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == G1
    assert body["organization_id"] == ACME_ORG
    assert body["status"] == "pending"
    assert body["description"] == "Teleoperated Unitree G1 episodes, LeRobot v2.1 layout, one head camera"
    assert body["metadata"] == {"robot_type": "Unitree_G1_Inspire", "location": "lab_2", "episodes": 8}
    assert body["date_created"] == "2025-01-15T10:30:00Z"
    url = urlparse(body["signed_url"])
    assert f"{url.scheme}://{url.netloc}" == real_emulator.base_url
    assert url.path == "/storage/datasets/g1-pick-bottle-v21.zip"
    assert list(parse_qs(url.query)) == ["token"]


def test_get_dataset_fresh_url(api: httpx.Client) -> None:
    first = api.get("/datasets/dataset", params={"id": COCKATOO_V1}).json()["signed_url"]
    second = api.get("/datasets/dataset", params={"id": COCKATOO_V1}).json()["signed_url"]

    assert first != second
    assert api.head(first).status_code == 200
    assert api.head(second).status_code == 200


def test_get_dataset_uppercase_id(api: httpx.Client) -> None:
    response = api.get("/datasets/dataset", params={"id": COCKATOO_V1.upper()})

    assert response.status_code == 200
    assert response.json()["id"] == COCKATOO_V1


def test_get_dataset_repeated_id_uses_last(api: httpx.Client) -> None:
    response = api.get("/datasets/dataset", params=[("id", "junk"), ("id", COCKATOO_V1)])

    assert response.status_code == 200
    assert response.json()["id"] == COCKATOO_V1


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Missing Gerra-Api-Key header"),
        ({"Gerra-Api-Key": ""}, "Missing Gerra-Api-Key header"),
        ({"Gerra-Api-Key": "gerra_unknown00000000000"}, "Invalid or inactive API key"),
    ],
)
def test_get_dataset_unauthorized(anonymous: httpx.Client, headers: dict, detail: str) -> None:
    response = anonymous.get("/datasets/dataset", params={"id": G1}, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize("header_name", ["gerra-api-key", "GERRA-API-KEY", "Gerra-Api-Key"])
def test_header_name_any_case(anonymous: httpx.Client, header_name: str) -> None:
    response = anonymous.get("/datasets/dataset", params={"id": G1}, headers={header_name: "gerra_acme0000000000000001"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "error_type", "error_input"),
    [
        ({}, "missing", None),
        ({"id": ""}, "uuid_parsing", ""),
        ({"id": "not-a-uuid"}, "uuid_parsing", "not-a-uuid"),
        ({"id": G1.replace("-", "")}, "uuid_parsing", G1.replace("-", "")),
        ({"id": "{" + G1 + "}"}, "uuid_parsing", "{" + G1 + "}"),
    ],
)
def test_get_dataset_invalid_id(api: httpx.Client, params: dict, error_type: str, error_input: str | None) -> None:
    response = api.get("/datasets/dataset", params=params)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "id"]
    assert error["type"] == error_type
    assert error["input"] == error_input


def test_get_dataset_not_found(api: httpx.Client) -> None:
    response = api.get("/datasets/dataset", params={"id": UNKNOWN_ID})

    assert response.status_code == 404
    assert response.json() == {"detail": "Dataset not found"}


def test_get_dataset_other_organization(api: httpx.Client) -> None:
    response = api.get("/datasets/dataset", params={"id": OTHER_ORG_DATASET})

    assert response.status_code == 403
    assert response.json() == {"detail": "Dataset does not belong to your organization"}


def test_check_order_401_before_422(anonymous: httpx.Client) -> None:
    response = anonymous.get("/datasets/dataset", params={"id": "bad"}, headers={"Gerra-Api-Key": "wrong"})

    assert response.status_code == 401


def test_inactive_key(tmp_path, emulator) -> None:
    organizations = [
        {"id": ACME_ORG, "name": "Acme", "api_keys": ["gerra_live"], "inactive_api_keys": ["gerra_revoked"]}
    ]
    server = emulator(write_catalog(tmp_path, [dataset_entry(G1)], organizations=organizations))

    with http_client(server.base_url, api_key="gerra_revoked") as client:
        revoked = client.get("/datasets")
    with http_client(server.base_url, api_key="gerra_live") as client:
        live = client.get("/datasets")

    assert revoked.status_code == 401
    assert revoked.json() == {"detail": "Invalid or inactive API key"}
    assert live.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/datasets"),
        ("GET", "/datasets/stats"),
        ("GET", f"/datasets/{G1}/iterations"),
        ("POST", f"/datasets/{G1}/accept"),
        ("POST", f"/datasets/{G1}/reject"),
    ],
)
def test_every_endpoint_needs_key(anonymous: httpx.Client, method: str, path: str) -> None:
    response = anonymous.request(method, path, json={"reason": "x"})

    assert response.status_code == 401
    assert response.json() == {"detail": "Missing Gerra-Api-Key header"}
