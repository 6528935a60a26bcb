"""Routing details: health, unknown paths, trailing slashes, methods, hidden admin review."""

from __future__ import annotations

import httpx
import pytest
from emulator_helpers import G1, http_client


def test_health_without_key(anonymous: httpx.Client) -> None:
    response = anonymous.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


@pytest.mark.parametrize("path", ["/datasets/", "/datasets/stats/", "/datasets/dataset/", "/nothing", "/"])
def test_unknown_path_404(api: httpx.Client, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/datasets"),
        ("DELETE", "/datasets/dataset"),
        ("GET", f"/datasets/{G1}/accept"),
        ("PUT", f"/datasets/{G1}/reject"),
    ],
)
def test_wrong_method_405(api: httpx.Client, method: str, path: str) -> None:
    response = api.request(method, path)

    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}


def test_unknown_query_parameters_ignored(api: httpx.Client) -> None:
    response = api.get("/datasets", params={"search": "g1", "page": "2"})

    assert response.status_code == 200
    assert response.json()["total"] == 7


def test_hide_admin_review(real_catalog, emulator) -> None:
    server = emulator(real_catalog, hide_admin_review=True)
    server.store.set_status(G1, "for_admin_review")

    with http_client(server.base_url) as client:
        listed = client.get("/datasets").json()
        fetched = client.get("/datasets/dataset", params={"id": G1})
        accepted = client.post(f"/datasets/{G1}/accept")
        history = client.get(f"/datasets/{G1}/iterations")
        stats = client.get("/datasets/stats").json()

    assert listed["total"] == 6
    assert G1 not in [item["id"] for item in listed["datasets"]]
    assert fetched.status_code == 404
    assert accepted.status_code == 404
    assert history.status_code == 404
    assert stats["total_datasets"] == 6
    assert "for_admin_review" not in stats["by_status"]


def test_admin_review_visible_by_default(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_status(G1, "for_admin_review")

    assert api.get("/datasets", params={"status": "for_admin_review"}).json()["total"] == 1
    assert api.get("/datasets/dataset", params={"id": G1}).status_code == 200
    assert api.get("/datasets/stats").json()["by_status"]["for_admin_review"] == 1
