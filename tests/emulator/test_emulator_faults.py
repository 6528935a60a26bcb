"""Each injected fault, seen by a real client over a real socket."""

from __future__ import annotations

import hashlib
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from emulator_helpers import ACME_ORG, COCKATOO_V0, COCKATOO_V1, G1, LFS, SO101, http_client
from pydantic import ValidationError

from gerra_emulator.faults import Endpoint, FaultKind, FaultOptions, FaultRule

COCKATOO_FILE = "cockatoo-pov.zip"


@pytest.fixture
def archive(real_catalog: Path) -> bytes:
    return (real_catalog.parent / COCKATOO_FILE).read_bytes()


def signed_url(api: httpx.Client, dataset_id: str = COCKATOO_V1) -> str:
    return api.get("/datasets/dataset", params={"id": dataset_id}).json()["signed_url"]


def raw_get(url: str) -> tuple[dict[str, str], bytes]:
    """Send a GET over a plain socket and return the headers and every body byte until EOF."""
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as sock:
        request = f"GET {parsed.path}?{parsed.query} HTTP/1.1\r\nHost: {parsed.netloc}\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    headers["status"] = lines[0].split()[1]
    return headers, body


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_http_error(api: httpx.Client, real_emulator, status: int) -> None:
    real_emulator.store.set_faults(error_rate=1.0, error_status=[status])

    response = api.get("/datasets")

    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert real_emulator.store.calls.requests["list_datasets"] == 1


def test_http_error_statuses_drawn_from_list(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(error_rate=1.0, error_status=[502, 504], seed=3)

    statuses = {api.get("/datasets/stats").status_code for _ in range(20)}

    assert statuses == {502, 504}


def test_rate_limit(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(rate_limit_rate=1.0, retry_after_s=7)

    response = api.get("/datasets")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json() == {"detail": "Rate limit exceeded"}


def test_rate_limit_every_nth(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(rate_limit_every=3)

    statuses = [api.get("/datasets").status_code for _ in range(7)]

    assert statuses == [200, 200, 429, 200, 200, 429, 200]


def test_rate_limit_window(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(rate_limit_window_s=0.3)

    during = api.get("/datasets").status_code
    time.sleep(0.35)
    after = api.get("/datasets").status_code

    assert during == 429
    assert after == 200


def test_delay_beyond_read_timeout(real_emulator) -> None:
    real_emulator.store.set_faults(delay_rate=1.0, delay_s=1.0)

    with http_client(real_emulator.base_url, timeout=httpx.Timeout(5, read=0.2)) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/datasets")


def test_delay_then_response(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(delay_rate=1.0, delay_s=0.3)

    started = time.monotonic()
    response = api.get("/datasets/stats")

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_connection(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(drop_rate=1.0)

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        api.get("/datasets")
    assert real_emulator.store.calls.requests["list_datasets"] == 1


@pytest.mark.parametrize("mode", ["drop", "502", "504"])
def test_lost_accept_response(api: httpx.Client, real_emulator, mode: str) -> None:
    real_emulator.store.set_faults(lost_response_rate=1.0, lost_response_mode=mode)

    if mode == "drop":
        with pytest.raises(httpx.RemoteProtocolError):
            api.post(f"/datasets/{G1}/accept")
    else:
        assert api.post(f"/datasets/{G1}/accept").status_code == int(mode)

    assert real_emulator.store.dataset(G1).status == "accepted"
    assert real_emulator.store.calls.accepted[G1] == 1


def test_lost_reject_response(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(lost_response_rate=1.0, lost_response_mode="504")

    response = api.post(f"/datasets/{G1}/reject", json={"reason": "no video"})

    assert response.status_code == 504
    assert real_emulator.store.dataset(G1).metadata["rejection_reason"] == "no video"


def test_lost_response_only_on_success(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(lost_response_rate=1.0, lost_response_mode="502", fault_limit=1)

    refused = api.post(f"/datasets/{COCKATOO_V0}/accept")
    lost = api.post(f"/datasets/{G1}/accept")
    answered = api.post(f"/datasets/{COCKATOO_V1}/accept")

    assert refused.status_code == 422
    assert refused.json() == {"detail": "Dataset is not in pending status"}
    assert lost.status_code == 502
    assert answered.status_code == 200


def test_download_cut(api: httpx.Client, anonymous: httpx.Client, real_emulator, archive: bytes) -> None:
    url = signed_url(api)
    real_emulator.store.set_faults(download_cut_rate=1.0, download_cut_fraction=0.25)

    received = 0
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        with anonymous.stream("GET", url) as response:
            assert response.headers["content-length"] == str(len(archive))
            for chunk in response.iter_bytes():
                received += len(chunk)

    assert received <= len(archive) // 4


def test_download_short(api: httpx.Client, anonymous: httpx.Client, real_emulator, archive: bytes) -> None:
    url = signed_url(api)
    real_emulator.store.set_faults(download_short_rate=1.0, download_length_delta_bytes=100)

    expected = f"received {len(archive) - 100} bytes, expected {len(archive)}"
    with pytest.raises(httpx.RemoteProtocolError, match=expected):
        anonymous.get(url)


def test_download_long(api: httpx.Client, real_emulator, archive: bytes) -> None:
    url = signed_url(api)
    real_emulator.store.set_faults(download_long_rate=1.0, download_length_delta_bytes=300)

    headers, body = raw_get(url)

    assert headers["status"] == "200"
    assert headers["content-length"] == str(len(archive))
    assert len(body) == len(archive) + 300
    assert body[: len(archive)] == archive


def test_download_truncated(api: httpx.Client, anonymous: httpx.Client, real_emulator, archive: bytes) -> None:
    url = signed_url(api)
    real_emulator.store.set_faults(download_truncated_rate=1.0, download_length_delta_bytes=1000)

    response = anonymous.get(url)

    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(archive) - 1000)
    assert response.content == archive[:-1000]


def test_download_padded(api: httpx.Client, anonymous: httpx.Client, real_emulator, archive: bytes) -> None:
    url = signed_url(api)
    real_emulator.store.set_faults(download_padded_rate=1.0, download_length_delta_bytes=10)

    response = anonymous.get(url)

    assert response.content == archive + bytes(10)


def test_download_corrupt(api: httpx.Client, anonymous: httpx.Client, real_emulator, archive: bytes) -> None:
    url = signed_url(api)
    real_emulator.store.set_faults(corrupt_rate=1.0, corrupt_byte_count=5)

    first = anonymous.get(url).content
    second = anonymous.get(url).content
    tail = anonymous.get(url, headers={"Range": f"bytes={len(archive) // 2}-"}).content

    assert len(first) == len(archive)
    assert sum(a != b for a, b in zip(first, archive, strict=True)) == 5
    assert hashlib.sha256(first).digest() != hashlib.sha256(archive).digest()
    assert second == first
    assert tail == first[len(archive) // 2 :]


def test_download_fault_on_chosen_dataset(api: httpx.Client, anonymous: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(corrupt_rate=1.0, fault_dataset_ids=[LFS])
    good_url, bad_url = signed_url(api, SO101), signed_url(api, LFS)
    sizes = real_emulator.store.dataset(SO101).file_path, real_emulator.store.dataset(LFS).file_path

    good = anonymous.get(good_url).content
    bad = anonymous.get(bad_url).content

    assert good == sizes[0].read_bytes()
    assert bad != sizes[1].read_bytes()


def test_head_skips_transfer_faults(api: httpx.Client, anonymous: httpx.Client, real_emulator, archive: bytes) -> None:
    url = signed_url(api)
    real_emulator.store.set_faults(download_cut_rate=1.0)

    response = anonymous.head(url)

    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(archive))


@pytest.mark.parametrize(
    ("option", "status"), [("supersede_after_get", "superseded"), ("discard_after_get", "discarded")]
)
def test_gerra_changes_after_first_get(api: httpx.Client, real_emulator, option: str, status: str) -> None:
    real_emulator.store.set_faults(**{option: [G1]})

    first = api.get("/datasets/dataset", params={"id": G1}).json()
    second = api.get("/datasets/dataset", params={"id": G1}).json()
    accepted = api.post(f"/datasets/{G1}/accept")

    assert first["status"] == "pending"
    assert second["status"] == status
    assert accepted.status_code == 422
    assert real_emulator.store.fault_engine.fired_counts() == {f"{status}_after_get": 1}


def test_supersede_after_get_creates_version(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(supersede_after_get=[COCKATOO_V1])

    api.get("/datasets/dataset", params={"id": COCKATOO_V1})

    history = api.get(f"/datasets/{COCKATOO_V1}/iterations").json()
    assert history["total_versions"] == 3
    assert history["iterations"][2]["status"] == "pending"
    assert history["iterations"][2]["parent_dataset_id"] == COCKATOO_V1


def test_accepted_elsewhere_after_get(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(accept_after_get=[G1])

    api.get("/datasets/dataset", params={"id": G1})
    response = api.post(f"/datasets/{G1}/reject", json={"reason": "mine"})

    assert response.status_code == 422
    assert real_emulator.store.dataset(G1).status == "accepted"
    assert real_emulator.store.calls.status_changes(G1) == 0


def test_fault_limit(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(error_rate=1.0, error_status=[503], fault_limit=2)

    statuses = [api.get("/datasets").status_code for _ in range(4)]

    assert statuses == [503, 503, 200, 200]


def test_fault_endpoints(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(error_rate=1.0, error_status=[500], fault_endpoints=["accept"])

    listed = api.get("/datasets").status_code
    accepted = api.post(f"/datasets/{G1}/accept").status_code

    assert (listed, accepted) == (200, 500)
    assert real_emulator.store.dataset(G1).status == "pending"


def test_fault_dataset_ids(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(drop_rate=1.0, fault_dataset_ids=[G1])

    assert api.get("/datasets").status_code == 200
    assert api.get("/datasets/dataset", params={"id": LFS}).status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/datasets/dataset", params={"id": G1})


def test_explicit_rules(api: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(
        rules=[
            FaultRule(kind=FaultKind.HTTP_ERROR, statuses=(502,), endpoints=frozenset({Endpoint.STATS})),
            FaultRule(kind=FaultKind.RATE_LIMIT, endpoints=frozenset({Endpoint.LIST_DATASETS}), limit=1),
        ]
    )

    assert api.get("/datasets/stats").status_code == 502
    assert [api.get("/datasets").status_code for _ in range(2)] == [429, 200]


def test_seed_repeats_faults(real_catalog: Path, emulator) -> None:
    def statuses(seed: int) -> list[int]:
        server = emulator(real_catalog, error_rate=0.5, seed=seed)
        with http_client(server.base_url) as client:
            return [client.get("/datasets/stats").status_code for _ in range(24)]

    first, again, other = statuses(11), statuses(11), statuses(12)

    assert first == again
    assert first != other
    assert 200 in first
    assert len(set(first)) > 1


def test_faults_at_construction(real_catalog: Path, emulator) -> None:
    server = emulator(real_catalog, rate_limit_every=2, retry_after_s=2)

    with http_client(server.base_url) as client:
        statuses = [client.get("/datasets").status_code for _ in range(4)]

    assert statuses == [200, 429, 200, 429]


def test_control_and_health_never_faulted(anonymous: httpx.Client, real_emulator) -> None:
    real_emulator.store.set_faults(drop_rate=1.0)

    assert anonymous.get("/health").status_code == 200
    assert anonymous.get("/_emulator/calls").status_code == 200


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"error_rate": 1.5}, "less than or equal to 1"),
        ({"error_status": [404]}, "greater than or equal to 500"),
        ({"fault_dataset_ids": ["nope"]}, "String should match pattern"),
        ({"fault_endpoints": ["upload"]}, "Input should be 'list_datasets'"),
        ({"lost_response_mode": "500"}, "Input should be 'drop', '502' or '504'"),
        ({"rules": [{"kind": "download_cut", "endpoints": ["accept"]}]}, "cannot apply to endpoints ['accept']"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_fault_options(options: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        FaultOptions(**options)


def test_other_org_counts_unchanged(real_emulator) -> None:
    store = real_emulator.store
    store.set_faults(lost_response_rate=1.0)

    store.accept(ACME_ORG, G1)

    assert store.calls.accepted[G1] == 1
    assert store.calls.requests == {}
