"""The API key and signed-URL tokens never appear in logs or exception text."""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from typing import Any

import httpx
import pytest
from real_ids import G1_ACCEPTED, SO101_PENDING, STUBS_PENDING
from structlog.testing import capture_logs

from worker.gerra.client import GerraClient
from worker.gerra.decisions import post_decision
from worker.gerra.errors import GerraError

UNREDACTED_TOKEN = re.compile(r"token=(?!\[REDACTED\])")


def _exception_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error)


def _record_tokens(client: GerraClient) -> list[str]:
    tokens: list[str] = []

    def hook(request: httpx.Request) -> None:
        token = request.url.params.get("token")
        if token:
            tokens.append(token)

    client.http.event_hooks["request"].append(hook)
    return tokens


def _assert_clean(text: str, secrets: list[str]) -> None:
    assert UNREDACTED_TOKEN.search(text) is None
    for secret in secrets:
        assert secret not in text


def test_secrets_absent_under_faults(make_client: Any, real_emulator: Any, acme_key: str,
                                     real_datasets_dir: Path, tmp_path: Path) -> None:
    client = make_client(real_emulator)
    tokens = _record_tokens(client)
    store = real_emulator.store
    errors: list[BaseException] = []
    size = (real_datasets_dir / "new-test-lfs-stubs.zip").stat().st_size

    with capture_logs() as logs:
        store.set_faults(error_rate=1.0, error_status=[502], fault_endpoints=["download"])
        try:
            client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=size)
        except GerraError as error:
            errors.append(error)

        store.set_faults(download_cut_rate=1.0, fault_limit=1)
        store.advance_clock(0)
        client.download(STUBS_PENDING, tmp_path / "b.zip", expected_size=size)

        store.set_faults(lost_response_rate=1.0, lost_response_mode="drop", fault_limit=1)
        post_decision(client, SO101_PENDING, "reject", "reason")

        store.set_faults(drop_rate=1.0, fault_endpoints=["get_dataset"])
        try:
            client.get_dataset(G1_ACCEPTED)
        except GerraError as error:
            errors.append(error)
        store.clear_faults()

        wrong = make_client(real_emulator, api_key="gerra_wrongkey000000000009")
        try:
            wrong.stats()
        except GerraError as error:
            errors.append(error)

    assert len(errors) == 3
    assert len(tokens) >= 3
    assert len([entry for entry in logs if entry["event"] == "gerra_call_retry"]) >= 6
    secrets = [acme_key, "gerra_wrongkey000000000009", *tokens]
    _assert_clean(str(logs), secrets)
    for error in errors:
        _assert_clean(_exception_text(error), secrets)


def test_secrets_absent_in_httpx_cause(make_client: Any, real_emulator: Any, acme_key: str,
                                       tmp_path: Path) -> None:
    client = make_client(real_emulator)
    tokens = _record_tokens(client)

    def fail_with_url(request: httpx.Request) -> None:
        # An httpx error whose message names the signed URL and the key.
        if "/storage/" in request.url.path:
            raise httpx.ConnectError(f"cannot reach {request.url} with {acme_key}", request=request)

    client.http.event_hooks["request"].append(fail_with_url)
    with capture_logs() as logs:
        with pytest.raises(GerraError) as caught:
            client.download(STUBS_PENDING, tmp_path / "a.zip", expected_size=1)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(tokens) == 4
    text = _exception_text(caught.value) + str(logs)
    _assert_clean(text, [acme_key, *tokens])
    assert "[REDACTED]" in text
