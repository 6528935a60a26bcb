"""POST accept and reject: transitions, stored reasons, validation, check order, atomicity."""

from __future__ import annotations

import threading

import httpx
import pytest
from emulator_helpers import (
    ACME_KEY,
    COCKATOO_V0,
    COCKATOO_V1,
    G1,
    G1_OLD,
    OTHER_ORG_DATASET,
    UNKNOWN_ID,
    http_client,
)


def test_accept_pending(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.advance_clock(60)
    before = real_emulator.store.now()

    response = api.post(f"/datasets/{G1}/accept")

    assert response.status_code == 200
    assert response.json() == {"id": G1, "status": "accepted", "message": "Dataset accepted successfully"}
    dataset = api.get("/datasets/dataset", params={"id": G1}).json()
    assert dataset["status"] == "accepted"
    assert dataset["date_updated"] >= before.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert dataset["metadata"] == {"robot_type": "Unitree_G1_Inspire", "location": "lab_2", "episodes": 8}


def test_accept_ignores_body(api: httpx.Client) -> None:
    response = api.post(f"/datasets/{G1}/accept", content=b"not json", headers={"content-type": "text/plain"})

    assert response.status_code == 200


def test_reject_stores_reason(api: httpx.Client) -> None:
    response = api.post(f"/datasets/{G1}/reject", json={"reason": "3 of 8 episodes lack video", "extra": 1})

    assert response.status_code == 200
    assert response.json() == {"id": G1, "status": "rejected", "message": "Dataset rejected successfully"}
    listed = api.get("/datasets", params={"status": "rejected"}).json()["datasets"]
    assert [item["id"] for item in listed] == [G1]
    assert listed[0]["metadata"] == {
        "robot_type": "Unitree_G1_Inspire",
        "location": "lab_2",
        "episodes": 8,
        "rejection_reason": "3 of 8 episodes lack video",
    }


def test_reject_without_content_type(api: httpx.Client) -> None:
    response = api.post(f"/datasets/{G1}/reject", content=b'{"reason": "bad"}', headers={"content-type": "text/plain"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("dataset_id", "action"),
    [(G1_OLD, "accept"), (G1_OLD, "reject"), (COCKATOO_V0, "accept"), (COCKATOO_V0, "reject")],
)
def test_decision_not_pending(api: httpx.Client, real_emulator, dataset_id: str, action: str) -> None:
    before = real_emulator.store.dataset(dataset_id)

    response = api.post(f"/datasets/{dataset_id}/{action}", json={"reason": "x"})

    assert response.status_code == 422
    assert response.json() == {"detail": "Dataset is not in pending status"}
    assert real_emulator.store.dataset(dataset_id) == before


@pytest.mark.parametrize("status", ["for_admin_review", "discarded", "rejected"])
def test_accept_other_statuses(api: httpx.Client, real_emulator, status: str) -> None:
    real_emulator.store.set_status(G1, status)

    assert api.post(f"/datasets/{G1}/accept").status_code == 422


def test_second_decision_rejected(api: httpx.Client) -> None:
    assert api.post(f"/datasets/{G1}/accept").status_code == 200

    assert api.post(f"/datasets/{G1}/accept").status_code == 422
    assert api.post(f"/datasets/{G1}/reject", json={"reason": "late"}).status_code == 422


@pytest.mark.parametrize(
    ("content", "error_type", "loc"),
    [
        (b"", "missing", ["body"]),
        (b"{not json", "json_invalid", ["body", 1]),
        (b"[1, 2]", "model_type", ["body"]),
        (b"{}", "missing", ["body", "reason"]),
        (b'{"reason": 42}', "string_type", ["body", "reason"]),
        (b'{"reason": null}', "string_type", ["body", "reason"]),
        (b'{"reason": ""}', "value_error", ["body", "reason"]),
        (b'{"reason": " \\n\\t "}', "value_error", ["body", "reason"]),
    ],
)
def test_reject_body_validation(api: httpx.Client, content: bytes, error_type: str, loc: list) -> None:
    response = api.post(f"/datasets/{G1}/reject", content=content)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == error_type
    assert error["loc"] == loc


def test_reject_long_reason(api: httpx.Client, real_emulator) -> None:
    reason = "x" * 20_000

    assert api.post(f"/datasets/{G1}/reject", json={"reason": reason}).status_code == 200
    assert real_emulator.store.dataset(G1).metadata["rejection_reason"] == reason


@pytest.mark.parametrize(
    ("path", "headers", "body", "status"),
    [
        # 401 before 422: bad key, bad id and bad body.
        ("/datasets/nope/reject", {"Gerra-Api-Key": "wrong"}, b"{}", 401),
        # 422 (validation) before 404: unknown id with a bad body.
        (f"/datasets/{UNKNOWN_ID}/reject", {}, b"{}", 422),
        # 422 (validation) before 403.
        (f"/datasets/{OTHER_ORG_DATASET}/reject", {}, b"{}", 422),
        # 404 for an unknown id with a valid body.
        (f"/datasets/{UNKNOWN_ID}/reject", {}, b'{"reason": "r"}', 404),
        # 403 before 422 (not pending): another organisation's pending dataset.
        (f"/datasets/{OTHER_ORG_DATASET}/reject", {}, b'{"reason": "r"}', 403),
        (f"/datasets/{OTHER_ORG_DATASET}/accept", {}, b"", 403),
        (f"/datasets/{UNKNOWN_ID}/accept", {}, b"", 404),
    ],
)
def test_check_order(api: httpx.Client, path: str, headers: dict, body: bytes, status: int) -> None:
    response = api.post(path, content=body, headers=headers)

    assert response.status_code == status


def test_invalid_id_and_body_reported_together(api: httpx.Client) -> None:
    response = api.post("/datasets/nope/reject", content=b"{}")

    locs = [error["loc"] for error in response.json()["detail"]]
    assert locs == [["path", "dataset_id"], ["body", "reason"]]


def test_forbidden_leaves_dataset(api: httpx.Client, real_emulator) -> None:
    api.post(f"/datasets/{OTHER_ORG_DATASET}/accept")

    assert real_emulator.store.dataset(OTHER_ORG_DATASET).status == "pending"


def test_concurrent_decisions_one_wins(real_emulator) -> None:
    results: list[int] = []
    barrier = threading.Barrier(8)

    def decide(index: int) -> None:
        with http_client(real_emulator.base_url, api_key=ACME_KEY) as client:
            barrier.wait()
            if index % 2:
                response = client.post(f"/datasets/{COCKATOO_V1}/accept")
            else:
                response = client.post(f"/datasets/{COCKATOO_V1}/reject", json={"reason": f"r{index}"})
            results.append(response.status_code)

    threads = [threading.Thread(target=decide, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [200] + [422] * 7
    assert real_emulator.store.calls.status_changes(COCKATOO_V1) == 1


def test_calls_counted(api: httpx.Client, real_emulator) -> None:
    api.post(f"/datasets/{G1}/accept")
    api.post(f"/datasets/{G1}/accept")
    api.post(f"/datasets/{COCKATOO_V1}/reject", json={"reason": "r"})

    calls = real_emulator.store.calls
    assert calls.accepted[G1] == 1
    assert calls.rejected[COCKATOO_V1] == 1
    assert calls.status_changes(G1) == 1
    assert calls.requests["accept"] == 2
    assert calls.requests["reject"] == 1
    assert calls.for_dataset(G1)["accept"] == 2
