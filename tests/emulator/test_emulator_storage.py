"""Signed storage URLs: bytes, HEAD, ranges, expiry by the emulator clock, bad tokens."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from emulator_helpers import COCKATOO_3RD, COCKATOO_V1, G1, LFS, dataset_entry, http_client, write_catalog

COCKATOO_FILE = "cockatoo-pov.zip"


@pytest.fixture
def signed_url(api: httpx.Client) -> str:
    """Return a fresh signed URL of the cockatoo archive."""
    return api.get("/datasets/dataset", params={"id": COCKATOO_V1}).json()["signed_url"]


@pytest.fixture
def archive(real_catalog: Path) -> bytes:
    return (real_catalog.parent / COCKATOO_FILE).read_bytes()


def test_download_bytes(anonymous: httpx.Client, signed_url: str, archive: bytes) -> None:
    response = anonymous.get(signed_url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-length"] == str(len(archive))
    assert response.headers["accept-ranges"] == "bytes"
    assert hashlib.sha256(response.content).hexdigest() == hashlib.sha256(archive).hexdigest()


def test_download_large_streamed(api: httpx.Client, anonymous: httpx.Client, real_catalog: Path) -> None:
    url = api.get("/datasets/dataset", params={"id": G1}).json()["signed_url"]
    expected = (real_catalog.parent / "g1-pick-bottle-v21.zip").read_bytes()

    digest = hashlib.sha256()
    chunks = 0
    with anonymous.stream("GET", url) as response:
        for chunk in response.iter_bytes():
            digest.update(chunk)
            chunks += 1

    assert digest.hexdigest() == hashlib.sha256(expected).hexdigest()
    assert chunks > 1


def test_head(anonymous: httpx.Client, signed_url: str, archive: bytes) -> None:
    response = anonymous.head(signed_url)

    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(archive))
    assert response.content == b""


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [("bytes=0-99", 0, 100), ("bytes=100-", 100, None), ("bytes=-50", -50, None), ("bytes=10-10", 10, 11)],
)
def test_range(anonymous: httpx.Client, signed_url: str, archive: bytes, header: str, start: int, stop: int | None) -> None:
    response = anonymous.get(signed_url, headers={"Range": header})

    expected = archive[start:stop]
    first = start if start >= 0 else len(archive) + start
    assert response.status_code == 206
    assert response.content == expected
    assert response.headers["content-length"] == str(len(expected))
    assert response.headers["content-range"] == f"bytes {first}-{first + len(expected) - 1}/{len(archive)}"


def test_range_end_clamped(anonymous: httpx.Client, signed_url: str, archive: bytes) -> None:
    response = anonymous.get(signed_url, headers={"Range": f"bytes={len(archive) - 10}-{len(archive) + 500}"})

    assert response.status_code == 206
    assert response.content == archive[-10:]


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=9-2", "bytes=-"])
def test_range_ignored(anonymous: httpx.Client, signed_url: str, archive: bytes, header: str) -> None:
    response = anonymous.get(signed_url, headers={"Range": header})

    assert response.status_code == 200
    assert len(response.content) == len(archive)


def test_range_unsatisfiable(anonymous: httpx.Client, signed_url: str, archive: bytes) -> None:
    response = anonymous.get(signed_url, headers={"Range": f"bytes={len(archive)}-"})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(archive)}"


def test_url_expires_by_clock(anonymous: httpx.Client, signed_url: str, real_emulator) -> None:
    real_emulator.store.advance_clock(3590)
    assert anonymous.head(signed_url).status_code == 200

    real_emulator.store.advance_clock(11)
    response = anonymous.get(signed_url)

    assert response.status_code == 400
    assert response.json() == {"statusCode": "400", "error": "InvalidJWT", "message": "jwt expired"}


def test_url_survives_status_change(api: httpx.Client, anonymous: httpx.Client, signed_url: str) -> None:
    api.post(f"/datasets/{COCKATOO_V1}/accept")

    assert anonymous.head(signed_url).status_code == 200


def test_download_started_before_expiry_completes(
    anonymous: httpx.Client, api: httpx.Client, real_emulator, real_catalog: Path
) -> None:
    url = api.get("/datasets/dataset", params={"id": G1}).json()["signed_url"]
    size = (real_catalog.parent / "g1-pick-bottle-v21.zip").stat().st_size

    received = 0
    with anonymous.stream("GET", url) as response:
        for chunk in response.iter_bytes():
            if received == 0:
                real_emulator.store.advance_clock(7200)
            received += len(chunk)

    assert received == size
    assert anonymous.head(url).status_code == 400


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda url: url[:-1] + ("0" if url[-1] != "0" else "1"), "invalid signature"),
        (lambda url: url.split("?")[0] + "?token=garbage", "invalid signature"),
        (lambda url: url.replace(COCKATOO_FILE, "g1-pick-bottle-v21.zip"), "invalid signature"),
    ],
)
def test_bad_token(anonymous: httpx.Client, signed_url: str, mutate, message: str) -> None:
    response = anonymous.get(mutate(signed_url))

    assert response.status_code == 400
    assert response.json() == {"statusCode": "400", "error": "InvalidJWT", "message": message}


def test_missing_token(anonymous: httpx.Client, signed_url: str) -> None:
    response = anonymous.get(signed_url.split("?")[0])

    assert response.status_code == 400
    assert response.json()["statusCode"] == "400"
    assert response.json()["message"] == "missing token query parameter"


def test_token_bound_to_dataset(api: httpx.Client, anonymous: httpx.Client) -> None:
    # Two datasets share one archive; each URL carries its own dataset id.
    first = api.get("/datasets/dataset", params={"id": COCKATOO_V1}).json()["signed_url"]
    second = api.get("/datasets/dataset", params={"id": COCKATOO_3RD}).json()["signed_url"]

    assert first.split("?")[0] == second.split("?")[0]
    assert anonymous.head(first).status_code == 200
    assert anonymous.head(second).status_code == 200


def test_short_url_lifetime(real_catalog: Path, emulator) -> None:
    server = emulator(real_catalog, url_lifetime_s=5)

    with http_client(server.base_url) as client:
        url = client.get("/datasets/dataset", params={"id": LFS}).json()["signed_url"]
        fresh = client.head(url).status_code
        server.store.advance_clock(5)
        expired = client.get(url)

    assert fresh == 200
    assert expired.status_code == 400
    assert expired.json()["message"] == "jwt expired"


def test_dataset_without_file(tmp_path: Path, emulator) -> None:
    dataset_id = "aaaaaaaa-0000-4000-8000-000000000001"
    server = emulator(write_catalog(tmp_path, [dataset_entry(dataset_id, file=None)]))

    with http_client(server.base_url) as client:
        body = client.get("/datasets/dataset", params={"id": dataset_id}).json()
        history = client.get(f"/datasets/{dataset_id}/iterations").json()

    assert body["link"] is None
    assert body["signed_url"] is None
    assert body["data_byte_size"] == 0
    assert history["iterations"][0]["download_url"] is None


def test_archive_deleted_after_load(tmp_path: Path, emulator) -> None:
    dataset_id = "aaaaaaaa-0000-4000-8000-000000000001"
    server = emulator(write_catalog(tmp_path, [dataset_entry(dataset_id)]))

    with http_client(server.base_url) as client:
        url = client.get("/datasets/dataset", params={"id": dataset_id}).json()["signed_url"]
        (tmp_path / "a.zip").unlink()
        response = client.get(url)

    assert response.status_code == 404
    assert response.json() == {"statusCode": "404", "error": "not_found", "message": "Object not found"}
