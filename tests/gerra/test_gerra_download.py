"""Downloads: size and SHA-256, resume, fresh URLs, size faults, disk space."""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest
from real_ids import COCKATOO_V1_PENDING, G1_PENDING, STUBS_PENDING
from structlog.testing import capture_logs

from worker.gerra.client import GerraClient
from worker.gerra.errors import (
    DownloadSizeMismatch,
    InsufficientDiskSpace,
    SignedUrlRejected,
)

STUBS_FILE = "new-test-lfs-stubs.zip"
COCKATOO_FILE = "cockatoo-pov.zip"
MIB = 1024 * 1024


def _file_facts(path: Path) -> tuple[int, str]:
    data = path.read_bytes()
    return len(data), hashlib.sha256(data).hexdigest()


def _events(logs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == name]


def _advance_clock_on_storage_request(client: GerraClient, store: Any, times: int) -> list[str]:
    """Hook the client so the emulator clock jumps an hour before storage requests.

    Every signed URL minted before the jump expires, so the request that
    follows meets an expired token. Returns the list of storage URLs seen.
    """
    seen: list[str] = []

    def hook(request: httpx.Request) -> None:
        if "/storage/" in request.url.path:
            seen.append(str(request.url))
            if len(seen) <= times:
                store.advance_clock(3601)

    client.http.event_hooks["request"].append(hook)
    return seen


def test_download_size_and_hash(client: GerraClient, real_datasets_dir: Path, tmp_path: Path) -> None:
    size, sha256 = _file_facts(real_datasets_dir / STUBS_FILE)
    progress: list[tuple[int, int]] = []
    dest = tmp_path / "out" / "archive.zip"
    result = client.download(STUBS_PENDING, dest, expected_size=size, progress=lambda d, t: progress.append((d, t)))
    assert result.path == dest
    assert result.size == size
    assert result.sha256 == sha256
    assert result.attempts == 1
    assert dest.read_bytes() == (real_datasets_dir / STUBS_FILE).read_bytes()
    assert not dest.with_suffix(".part").exists()
    assert progress[-1] == (size, size)
    assert [done for done, _ in progress] == sorted({done for done, _ in progress})


def test_download_streams_chunks(client: GerraClient, real_datasets_dir: Path, tmp_path: Path) -> None:
    size, sha256 = _file_facts(real_datasets_dir / COCKATOO_FILE)
    progress: list[int] = []
    result = client.download(
        COCKATOO_V1_PENDING, tmp_path / "a.zip", expected_size=size, progress=lambda done, _: progress.append(done)
    )
    assert result.sha256 == sha256
    # Chunks are written as they arrive, each at most one socket read (64 KiB).
    steps = [after - before for before, after in zip([0, *progress], progress)]
    assert progress[-1] == size
    assert len(progress) >= size // (64 * 1024)
    assert max(steps) <= MIB
    assert min(steps) > 0


def test_download_sends_no_key_to_storage(client: GerraClient, acme_key: str, real_datasets_dir: Path,
                                          tmp_path: Path) -> None:
    sent: list[tuple[str, bool]] = []
    client.http.event_hooks["request"].append(
        lambda request: sent.append((request.url.path, "gerra-api-key" in request.headers))
    )
    size, _ = _file_facts(real_datasets_dir / STUBS_FILE)
    client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=size)
    assert sent == [("/datasets/dataset", True), ("/storage/datasets/" + STUBS_FILE, False)]


def test_download_resumes_after_cut(client: GerraClient, real_emulator: Any, real_datasets_dir: Path,
                                    tmp_path: Path) -> None:
    size, sha256 = _file_facts(real_datasets_dir / COCKATOO_FILE)
    real_emulator.store.set_faults(download_cut_rate=1.0, download_cut_fraction=0.5, fault_limit=1)
    with capture_logs() as logs:
        result = client.download(COCKATOO_V1_PENDING, tmp_path / "a.zip", expected_size=size)
    assert result.sha256 == sha256
    assert result.size == size
    assert result.attempts == 2
    resumed = _events(logs, "download_resumed")
    assert len(resumed) == 1
    assert 0 < resumed[0]["offset"] < size
    assert _events(logs, "download_restarted") == []


def test_download_resumes_after_short_body(client: GerraClient, real_emulator: Any, real_datasets_dir: Path,
                                           tmp_path: Path) -> None:
    size, sha256 = _file_facts(real_datasets_dir / STUBS_FILE)
    real_emulator.store.set_faults(download_short_rate=1.0, download_length_delta_bytes=1000, fault_limit=1)
    with capture_logs() as logs:
        result = client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=size)
    assert result.sha256 == sha256
    assert result.attempts == 2
    assert [e["offset"] for e in _events(logs, "download_resumed")] == [size - 1000]


def test_download_long_body_ignored(client: GerraClient, real_emulator: Any, real_datasets_dir: Path,
                                    tmp_path: Path) -> None:
    size, sha256 = _file_facts(real_datasets_dir / STUBS_FILE)
    real_emulator.store.set_faults(download_long_rate=1.0, fault_limit=1)
    result = client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=size)
    assert result.sha256 == sha256
    assert result.size == size
    # The connection that carried extra bytes must not spoil the next call.
    assert client.get_dataset(STUBS_PENDING).id == STUBS_PENDING


@pytest.mark.parametrize(("fault", "delta"), [("download_truncated_rate", -1024), ("download_padded_rate", 1024)])
def test_download_size_mismatch(client: GerraClient, real_emulator: Any, real_datasets_dir: Path, tmp_path: Path,
                                fault: str, delta: int) -> None:
    size, _ = _file_facts(real_datasets_dir / STUBS_FILE)
    real_emulator.store.set_faults(**{fault: 1.0}, download_length_delta_bytes=1024)
    dest = tmp_path / "a.zip"
    with pytest.raises(DownloadSizeMismatch) as caught:
        client.download(STUBS_PENDING, dest, expected_size=size)
    assert caught.value.expected == size
    assert caught.value.actual == size + delta
    assert str(size) in str(caught.value)
    assert str(size + delta) in str(caught.value)
    assert real_emulator.store.calls.requests["download"] == 4
    assert not dest.exists()
    assert not dest.with_suffix(".part").exists()


def test_download_size_fault_retried(client: GerraClient, real_emulator: Any, real_datasets_dir: Path,
                                     tmp_path: Path) -> None:
    size, sha256 = _file_facts(real_datasets_dir / STUBS_FILE)
    real_emulator.store.set_faults(download_truncated_rate=1.0, fault_limit=1)
    result = client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=size)
    assert result.sha256 == sha256
    assert result.attempts == 2


def test_download_expected_size_wrong(client: GerraClient, real_emulator: Any, real_datasets_dir: Path,
                                      tmp_path: Path) -> None:
    size, _ = _file_facts(real_datasets_dir / STUBS_FILE)
    with pytest.raises(DownloadSizeMismatch) as caught:
        client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=size + 1)
    assert (caught.value.expected, caught.value.actual) == (size + 1, size)


def test_download_refreshes_expired_url(client: GerraClient, real_emulator: Any, real_datasets_dir: Path,
                                        tmp_path: Path) -> None:
    size, sha256 = _file_facts(real_datasets_dir / STUBS_FILE)
    storage_urls = _advance_clock_on_storage_request(client, real_emulator.store, times=1)
    with capture_logs() as logs:
        result = client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=size)
    assert result.sha256 == sha256
    assert result.attempts == 2
    assert len(storage_urls) == 2
    assert storage_urls[0] != storage_urls[1]
    assert real_emulator.store.calls.requests["get_dataset"] == 2
    refreshed = _events(logs, "download_url_refreshed")
    assert [e["status_code"] for e in refreshed] == [400]


def test_download_resume_with_expired_url(client: GerraClient, real_emulator: Any, real_datasets_dir: Path,
                                          tmp_path: Path) -> None:
    size, sha256 = _file_facts(real_datasets_dir / COCKATOO_FILE)
    real_emulator.store.set_faults(download_cut_rate=1.0, fault_limit=1)
    store = real_emulator.store
    jumped: list[bool] = []

    def expire_once(done: int, total: int) -> None:
        if not jumped:
            jumped.append(True)
            store.advance_clock(3601)

    with capture_logs() as logs:
        result = client.download(COCKATOO_V1_PENDING, tmp_path / "a.zip", expected_size=size, progress=expire_once)
    assert result.sha256 == sha256
    assert result.attempts == 3
    assert len(_events(logs, "download_url_refreshed")) == 1
    assert len(_events(logs, "download_resumed")) == 1


def test_download_url_rejected_twice(client: GerraClient, real_emulator: Any, real_datasets_dir: Path,
                                     tmp_path: Path) -> None:
    size, _ = _file_facts(real_datasets_dir / STUBS_FILE)
    _advance_clock_on_storage_request(client, real_emulator.store, times=2)
    with pytest.raises(SignedUrlRejected) as caught:
        client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=size)
    assert caught.value.status_code == 400
    assert real_emulator.store.calls.requests["get_dataset"] == 2
    assert real_emulator.store.calls.requests["download"] == 2
    assert not (tmp_path / "a.part").exists()


def test_download_no_disk_space(client: GerraClient, real_emulator: Any, tmp_path: Path) -> None:
    with pytest.raises(InsufficientDiskSpace) as caught:
        client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=10**18)
    assert caught.value.required == 10**18
    assert caught.value.free < 10**18
    assert real_emulator.store.calls.requests["get_dataset"] == 0
    assert real_emulator.store.calls.requests["download"] == 0


def test_download_retries_storage_5xx(client: GerraClient, real_emulator: Any, real_datasets_dir: Path,
                                      tmp_path: Path) -> None:
    size, sha256 = _file_facts(real_datasets_dir / STUBS_FILE)
    real_emulator.store.set_faults(error_rate=1.0, error_status=[503], fault_limit=2, fault_endpoints=["download"])
    result = client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=size)
    assert result.sha256 == sha256
    assert result.attempts == 3


def test_download_negative_size(client: GerraClient, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="got -1"):
        client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=-1)


def test_download_constant_memory(client: GerraClient, real_datasets_dir: Path, tmp_path: Path) -> None:
    archive = real_datasets_dir / "g1-pick-bottle-v21.zip"
    size = archive.stat().st_size
    tracemalloc.start()
    try:
        result = client.download(G1_PENDING, tmp_path / "g1.zip", expected_size=size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.size == size
    assert size > 20 * MIB
    # Python allocations stay far below the 26 MB archive because chunks are not kept.
    assert peak < 4 * MIB
