"""The /_emulator control surface and the same operations on the in-process store."""

from __future__ import annotations

import time

import httpx
import pytest
from emulator_helpers import (
    ACME_ORG,
    COCKATOO_3RD,
    COCKATOO_V0,
    COCKATOO_V1,
    G1,
    G1_OLD,
    dataset_entry,
    write_catalog,
)

from gerra_emulator.store import TransitionError

GROUP = "880e8400-e29b-41d4-a716-446655440000"


@pytest.fixture
def control(anonymous: httpx.Client) -> httpx.Client:
    return anonymous


def test_state_lists_everything(control: httpx.Client) -> None:
    state = control.get("/_emulator/state").json()

    assert len(state["datasets"]) == 8
    assert [org["name"] for org in state["organizations"]] == ["Acme Robotics", "Other Robotics"]
    assert "api_keys" not in state["organizations"][0]
    assert state["calls"]["requests"] == {}
    assert state["faults"]["url_lifetime_s"] == 3600
    g1 = next(item for item in state["datasets"] if item["id"] == G1)
    assert g1["file"].endswith("g1-pick-bottle-v21.zip")
    assert g1["iteration"]["version"] == 0


def test_control_needs_no_key_and_is_not_counted(control: httpx.Client, real_emulator) -> None:
    assert control.get(f"/_emulator/datasets/{G1}").status_code == 200
    assert control.get("/_emulator/calls").json()["requests"] == {}
    assert real_emulator.store.calls.requests == {}


def test_set_status(control: httpx.Client, api: httpx.Client) -> None:
    response = control.put(f"/_emulator/datasets/{G1}/status", json={"status": "discarded"})

    assert response.status_code == 200
    assert response.json()["status"] == "discarded"
    assert api.get("/datasets/dataset", params={"id": G1}).json()["status"] == "discarded"


def test_set_status_invalid(control: httpx.Client) -> None:
    response = control.put(f"/_emulator/datasets/{G1}/status", json={"status": "gone"})

    assert response.status_code == 422


def test_release_and_discard(control: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_status(G1, "for_admin_review")

    released = control.post(f"/_emulator/datasets/{G1}/release")
    again = control.post(f"/_emulator/datasets/{G1}/release")
    discarded = control.post(f"/_emulator/datasets/{G1}/discard")

    assert released.json()["status"] == "pending"
    assert again.status_code == 409
    assert again.json() == {"detail": f"dataset {G1} is pending; only for_admin_review can become pending"}
    assert discarded.json()["status"] == "discarded"


def test_discard_accepted_refused(real_emulator) -> None:
    with pytest.raises(TransitionError, match="only for_admin_review or pending can become discarded"):
        real_emulator.store.discard(G1_OLD)


def test_supersede_creates_next_version(control: httpx.Client, api: httpx.Client) -> None:
    response = control.post(
        f"/_emulator/datasets/{COCKATOO_V1}/supersede",
        json={"reason": "Feathers flicker", "next_status": "for_admin_review", "prompt": "Cockatoo, steady"},
    )

    assert response.status_code == 200
    new = response.json()
    history = api.get(f"/datasets/{COCKATOO_V0}/iterations").json()
    assert history["total_versions"] == 3
    assert history["latest_version"] == 2
    assert [item["status"] for item in history["iterations"]] == ["superseded", "superseded", "for_admin_review"]
    newest = history["iterations"][2]
    assert newest["dataset_id"] == new["id"]
    assert newest["parent_dataset_id"] == COCKATOO_V1
    assert newest["regeneration_reason"] == "Feathers flicker"
    assert newest["prompt"] == "Cockatoo, steady"
    assert history["iterations"][1]["superseded_reason"] == "Feathers flicker"
    assert history["iteration_group_id"] == GROUP
    assert api.get("/datasets").json()["total"] == 8


def test_supersede_without_history(real_emulator, api: httpx.Client) -> None:
    group_before = api.get(f"/datasets/{COCKATOO_3RD}/iterations").json()["iteration_group_id"]

    new = real_emulator.store.supersede(COCKATOO_3RD, "Wrong length")

    history = api.get(f"/datasets/{new.id}/iterations").json()
    assert history["iteration_group_id"] == group_before
    assert [item["dataset_id"] for item in history["iterations"]] == [COCKATOO_3RD, new.id]
    assert new.status == "pending"
    assert new.iteration.version == 1


def test_supersede_drops_rejection_reason(real_emulator) -> None:
    store = real_emulator.store
    store.reject(ACME_ORG, G1, "bad")
    store.set_status(G1, "pending")

    new = store.supersede(G1)

    assert "rejection_reason" not in new.metadata
    assert store.dataset(G1).metadata["rejection_reason"] == "bad"


def test_supersede_only_pending(control: httpx.Client) -> None:
    response = control.post(f"/_emulator/datasets/{G1_OLD}/supersede")

    assert response.status_code == 409


def test_unknown_dataset_404(control: httpx.Client) -> None:
    response = control.post("/_emulator/datasets/770e8400-e29b-41d4-a716-4466554400ff/release")

    assert response.status_code == 404
    assert response.json() == {"detail": "no dataset with id 770e8400-e29b-41d4-a716-4466554400ff"}


def test_clock_advance_and_set(control: httpx.Client) -> None:
    jumped = control.post("/_emulator/clock", json={"now": "2025-01-15T12:00:00Z"}).json()
    advanced = control.post("/_emulator/clock", json={"advance_s": 90}).json()
    read = control.get("/_emulator/clock").json()

    assert jumped["now"] == "2025-01-15T12:00:00Z"
    assert advanced["now"] in ("2025-01-15T12:01:30Z", "2025-01-15T12:01:31Z")
    assert read["now"] >= advanced["now"]


def test_clock_body_needs_one_field(control: httpx.Client) -> None:
    assert control.post("/_emulator/clock", json={}).status_code == 422
    assert control.post("/_emulator/clock", json={"advance_s": 1, "now": "2025-01-01T00:00:00Z"}).status_code == 422


def test_calls_read_and_reset(control: httpx.Client, api: httpx.Client) -> None:
    api.get("/datasets")
    api.get("/datasets/dataset", params={"id": G1})
    api.post(f"/datasets/{G1}/accept")

    counted = control.get("/_emulator/calls").json()
    cleared = control.delete("/_emulator/calls").json()

    assert counted == {
        "requests": {"list_datasets": 1, "get_dataset": 1, "accept": 1},
        "dataset_requests": {G1: {"get_dataset": 1, "accept": 1}},
        "accepted": {G1: 1},
        "rejected": {},
    }
    assert cleared == {"requests": {}, "dataset_requests": {}, "accepted": {}, "rejected": {}}


def test_faults_set_read_clear(control: httpx.Client, api: httpx.Client) -> None:
    set_response = control.put("/_emulator/faults", json={"error_rate": 1.0, "error_status": [503]})
    failed = api.get("/datasets")
    read = control.get("/_emulator/faults").json()
    control.delete("/_emulator/faults")
    recovered = api.get("/datasets")

    assert set_response.status_code == 200
    assert failed.status_code == 503
    assert read["options"]["error_rate"] == 1.0
    assert read["fired"] == {"http_error": 1}
    assert recovered.status_code == 200


def test_faults_invalid(control: httpx.Client) -> None:
    response = control.put("/_emulator/faults", json={"error_rate": 2})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "error_rate"]


def test_reset_restores_catalog(control: httpx.Client, api: httpx.Client, real_emulator) -> None:
    api.post(f"/datasets/{G1}/accept")
    real_emulator.store.supersede(COCKATOO_V1)
    real_emulator.store.advance_clock(86400)
    real_emulator.store.set_faults(error_rate=1.0)

    response = control.post("/_emulator/reset")

    assert response.json() == {"datasets": 8}
    assert api.get("/datasets/dataset", params={"id": G1}).json()["status"] == "pending"
    assert real_emulator.store.calls.requests == {"get_dataset": 1}
    assert abs(real_emulator.store.clock.timestamp() - time.time()) < 5


def test_load_other_catalog(control: httpx.Client, api: httpx.Client, tmp_path) -> None:
    dataset_id = "aaaaaaaa-0000-4000-8000-000000000001"
    path = write_catalog(tmp_path, [dataset_entry(dataset_id)])

    loaded = control.put("/_emulator/catalog", json={"path": str(path)})
    listed = [item["id"] for item in api.get("/datasets").json()["datasets"]]
    control.post("/_emulator/reset")

    assert loaded.json() == {"datasets": 1}
    assert listed == [dataset_id]
    assert api.get("/datasets").json()["total"] == 7


def test_load_invalid_catalog_keeps_state(control: httpx.Client, api: httpx.Client, tmp_path) -> None:
    response = control.put("/_emulator/catalog", json={"path": str(tmp_path / "none.json")})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        f"catalog file not found: {tmp_path / 'none.json'}; pass the path of an existing catalog.json"
    ]
    assert api.get("/datasets").json()["total"] == 7


def test_internal_error_is_json(api: httpx.Client, real_emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(real_emulator.store, "query", crash)

    response = api.get("/datasets")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}


def test_store_dataset_mapping_access(real_emulator) -> None:
    dataset = real_emulator.store.dataset(G1)

    assert dataset.status == "pending"
    assert dataset["status"] == "pending"
    assert dataset["date_created"] == "2025-01-15T10:30:00Z"


def test_openapi_document(control: httpx.Client) -> None:
    paths = control.get("/_emulator/openapi.json").json()["paths"]

    assert "/datasets" in paths
    assert "/datasets/{dataset_id}/reject" in paths
