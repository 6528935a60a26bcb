"""Every endpoint and every error class, against the emulator over real sockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from real_ids import (
    ACME_DATASETS,
    ACME_PENDING,
    COCKATOO_GROUP,
    COCKATOO_V0_SUPERSEDED,
    COCKATOO_V1_PENDING,
    G1_ACCEPTED,
    G1_PENDING,
    OTHER_ORG_PENDING,
    SO101_PENDING,
    STUBS_PENDING,
    UNKNOWN_ID,
)

from worker.gerra.client import GerraClient
from worker.gerra.errors import (
    AuthenticationError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    NotPendingError,
)


def test_list_all(client: GerraClient) -> None:
    datasets = client.list_datasets()
    assert len(datasets) == ACME_DATASETS
    assert OTHER_ORG_PENDING not in {d.id for d in datasets}
    assert all(d.signed_url is None for d in datasets)


@pytest.mark.parametrize(("page_size", "requests"), [(1, 8), (2, 4), (3, 3), (7, 2), (100, 1)])
def test_list_paging(client: GerraClient, real_emulator: Any, page_size: int, requests: int) -> None:
    datasets = client.list_datasets(page_size=page_size)
    assert len(datasets) == ACME_DATASETS
    assert len({d.id for d in datasets}) == ACME_DATASETS
    assert real_emulator.store.calls.requests["list_datasets"] == requests


def test_list_page_size_invalid(client: GerraClient) -> None:
    with pytest.raises(ValueError, match="page_size must be 1..1000, got 0"):
        client.list_datasets(page_size=0)


def test_list_pending(client: GerraClient) -> None:
    pending = client.list_pending(page_size=2)
    assert len(pending) == ACME_PENDING
    assert {d.status for d in pending} == {"pending"}


def test_list_filters(client: GerraClient) -> None:
    pov = client.list_datasets(data_type="synthetic_pov")
    assert {d.id for d in pov} == {COCKATOO_V1_PENDING, COCKATOO_V0_SUPERSEDED}
    accepted = client.list_datasets(status="accepted")
    assert [d.id for d in accepted] == [G1_ACCEPTED]
    assert client.list_datasets(status="no_such_status") == []


def test_list_metadata_filter(client: GerraClient) -> None:
    g1 = client.list_datasets(metadata={"robot_type": "Unitree_G1_Inspire"})
    assert {d.id for d in g1} == {G1_PENDING, G1_ACCEPTED}
    by_int = client.list_datasets(metadata={"episodes": 8})
    assert [d.id for d in by_int] == [G1_PENDING]
    both = client.list_datasets(metadata={"perspective": "pov", "duration_seconds": 14.0})
    assert {d.id for d in both} == {COCKATOO_V1_PENDING, COCKATOO_V0_SUPERSEDED}


def test_list_metadata_key_invalid(client: GerraClient) -> None:
    with pytest.raises(ValueError, match="'a:b'"):
        client.list_datasets(metadata={"a:b": "c"})


def test_get_dataset(client: GerraClient, real_datasets_dir: Path) -> None:
    dataset = client.get_dataset(STUBS_PENDING)
    assert dataset.id == STUBS_PENDING
    assert dataset.status == "pending"
    assert dataset.data_type == "episode"
    assert dataset.description is None
    assert dataset.link == "datasets/new-test-lfs-stubs.zip"
    assert dataset.data_byte_size == (real_datasets_dir / "new-test-lfs-stubs.zip").stat().st_size
    assert dataset.signed_url is not None
    assert "token=" in dataset.signed_url.get_secret_value()


def test_stats(client: GerraClient) -> None:
    stats = client.stats()
    assert stats.total_datasets == ACME_DATASETS
    assert stats.status_count("pending") == ACME_PENDING
    assert stats.status_count("accepted") == 1
    assert stats.status_count("superseded") == 1
    assert stats.status_count("discarded") == 0
    assert stats.data_type_count("episode") == 4
    assert len(stats.daily_volume_last_7_days) == 7


def test_iterations_group(client: GerraClient) -> None:
    history = client.iterations(COCKATOO_V0_SUPERSEDED)
    assert history.iteration_group_id == COCKATOO_GROUP
    assert history.total_versions == 2
    assert history.latest_version == 1
    assert [i.version for i in history.iterations] == [0, 1]
    assert [i.dataset_id for i in history.iterations] == [COCKATOO_V0_SUPERSEDED, COCKATOO_V1_PENDING]
    assert history.iterations[1].regeneration_reason == "Background inconsistency"


def test_iterations_single_version(client: GerraClient) -> None:
    history = client.iterations(G1_PENDING)
    assert history.total_versions == 1
    assert history.iteration_group_id != G1_PENDING
    assert history.iterations[0].parent_dataset_id is None


def test_accept(client: GerraClient, real_emulator: Any) -> None:
    change = client.accept(STUBS_PENDING)
    assert change.id == STUBS_PENDING
    assert change.status == "accepted"
    assert real_emulator.store.dataset(STUBS_PENDING)["status"] == "accepted"


def test_reject_stores_reason(client: GerraClient) -> None:
    change = client.reject(SO101_PENDING, "video: 2 of 3 files unreadable")
    assert change.status == "rejected"
    dataset = client.get_dataset(SO101_PENDING)
    assert dataset.status == "rejected"
    assert dataset.rejection_reason == "video: 2 of 3 files unreadable"


def test_reject_blank_reason(client: GerraClient, real_emulator: Any) -> None:
    with pytest.raises(ValueError, match="blank"):
        client.reject(SO101_PENDING, "  ")
    assert real_emulator.store.calls.requests["reject"] == 0


def test_error_unauthenticated(make_client: Any, real_emulator: Any) -> None:
    bad = make_client(real_emulator, api_key="gerra_wrongwrongwrong0001")
    with pytest.raises(AuthenticationError) as caught:
        bad.stats()
    assert caught.value.status_code == 401
    assert "API key" in str(caught.value)
    assert real_emulator.store.calls.requests["stats"] == 1


def test_error_forbidden(client: GerraClient) -> None:
    with pytest.raises(ForbiddenError) as caught:
        client.get_dataset(OTHER_ORG_PENDING)
    assert caught.value.status_code == 403
    with pytest.raises(ForbiddenError):
        client.accept(OTHER_ORG_PENDING)


def test_error_not_found(client: GerraClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get_dataset(UNKNOWN_ID)
    assert caught.value.status_code == 404
    with pytest.raises(NotFoundError):
        client.iterations(UNKNOWN_ID)


def test_error_invalid_id(client: GerraClient) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.get_dataset("not-a-uuid")
    assert caught.value.status_code == 422
    assert "not-a-uuid" in str(caught.value)
    with pytest.raises(InvalidRequestError):
        client.accept("not-a-uuid")


def test_error_not_pending(client: GerraClient) -> None:
    with pytest.raises(NotPendingError) as caught:
        client.accept(G1_ACCEPTED)
    assert caught.value.status_code == 422
    with pytest.raises(NotPendingError):
        client.reject(COCKATOO_V0_SUPERSEDED, "late")


def test_client_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="'ftp://x'"):
        GerraClient("ftp://x", "gerra_abcdefabcdef0001")
    with pytest.raises(ValueError, match="API key is empty"):
        GerraClient("http://127.0.0.1:1", "")
    with pytest.raises(ValueError, match="whitespace"):
        GerraClient("http://127.0.0.1:1", "gerra_abc def")


def test_client_repr_hides_key() -> None:
    with GerraClient("http://127.0.0.1:1", "gerra_reprkey00000000001") as client:
        assert "gerra_reprkey00000000001" not in repr(client)
        assert "gerra_reprkey00000000001" not in str(vars(client).get("_http"))
