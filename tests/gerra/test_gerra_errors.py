"""Error translation is complete and never leaks a key or a signed-URL token."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from worker.gerra.errors import (
    REDACTED,
    TRANSPORT_KINDS,
    AuthenticationError,
    ForbiddenError,
    GerraAPIError,
    GerraTransportError,
    InvalidRequestError,
    NotFoundError,
    NotPendingError,
    RateLimitedError,
    ServerError,
    error_for_response,
    from_httpx_error,
    parse_retry_after,
    redact,
    register_secret,
    safe_url,
    translated_httpx_errors,
)
from worker.gerra.retry import RetryPolicy, is_safe_to_resend, is_transient

SIGNED = "http://127.0.0.1:9/storage/datasets/a.zip?token=SeCrEtToKeN123&x=1"


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def _instance(cls: type[httpx.HTTPError]) -> httpx.HTTPError:
    request = httpx.Request("GET", SIGNED)
    if cls is httpx.HTTPStatusError:
        response = httpx.Response(503, request=request, json={"detail": "down"})
        return cls("boom", request=request, response=response)
    return cls(f"failed for {SIGNED}", request=request)


def test_transport_map_complete() -> None:
    mapped = [row[0] for row in TRANSPORT_KINDS]
    httpx_request_errors = _subclasses(httpx.RequestError) | {httpx.RequestError}
    missing = sorted(cls.__name__ for cls in httpx_request_errors if cls not in mapped)
    assert missing == []


@pytest.mark.parametrize("cls", sorted(_subclasses(httpx.HTTPError), key=lambda c: c.__name__))
def test_translation_every_httpx_error(cls: type[httpx.HTTPError]) -> None:
    with pytest.raises((GerraTransportError, GerraAPIError)) as caught:
        with translated_httpx_errors("GET /x"):
            raise _instance(cls)
    error = caught.value
    assert isinstance(error.__cause__, cls)
    assert "SeCrEtToKeN123" not in str(error)
    assert "SeCrEtToKeN123" not in str(error.__cause__)
    if cls is httpx.HTTPStatusError:
        assert isinstance(error, ServerError)
        return
    own_row = next(row for row in TRANSPORT_KINDS if row[0] is cls)
    assert error.kind == own_row[1]
    assert error.may_have_reached_server is own_row[2]
    assert error.transient is own_row[3]


@pytest.mark.parametrize(
    ("cls", "reached"),
    [
        (httpx.ConnectError, False),
        (httpx.ConnectTimeout, False),
        (httpx.ReadTimeout, True),
        (httpx.RemoteProtocolError, True),
        (httpx.ReadError, True),
    ],
)
def test_transport_reached_server(cls: type[httpx.HTTPError], reached: bool) -> None:
    error = from_httpx_error(_instance(cls), operation="POST /a")
    assert error.may_have_reached_server is reached
    assert is_transient(error)
    assert is_safe_to_resend(error) is not reached


EXPECTED_CLASSES = {
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    429: RateLimitedError,
    400: InvalidRequestError,
    405: InvalidRequestError,
    409: InvalidRequestError,
    302: InvalidRequestError,
}


def test_status_map_complete() -> None:
    request = httpx.Request("GET", "http://h/datasets")
    for status in range(300, 600):
        response = httpx.Response(status, request=request, json={"detail": "x"})
        error = error_for_response(response, operation="GET /datasets")
        assert isinstance(error, GerraAPIError), status
        assert error.status_code == status
        if status >= 500:
            assert type(error) is ServerError, status
        elif status in EXPECTED_CLASSES:
            assert type(error) is EXPECTED_CLASSES[status], status
        elif status != 422:
            assert type(error) is InvalidRequestError, status


def test_422_not_pending_vs_validation() -> None:
    request = httpx.Request("POST", "http://h/datasets/x/reject")
    not_pending = httpx.Response(422, request=request, json={"detail": "Dataset is not in pending status"})
    validation = httpx.Response(
        422, request=request,
        json={"detail": [{"type": "missing", "loc": ["body", "reason"], "msg": "Field required", "input": {}}]},
    )
    assert type(error_for_response(not_pending, operation="p", is_decision=True)) is NotPendingError
    assert type(error_for_response(not_pending, operation="p", is_decision=False)) is InvalidRequestError
    invalid = error_for_response(validation, operation="p", is_decision=True)
    assert type(invalid) is InvalidRequestError
    assert "body.reason: Field required" in invalid.detail


def test_429_retry_after() -> None:
    request = httpx.Request("GET", "http://h/datasets")
    response = httpx.Response(429, request=request, headers={"Retry-After": "7"}, json={"detail": "slow"})
    error = error_for_response(response, operation="GET /datasets")
    assert isinstance(error, RateLimitedError)
    assert error.retry_after_s == 7.0
    assert is_safe_to_resend(error)


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    http_date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(http_date, now=1_000_000) == pytest.approx(30.0)


def test_redact_token_and_header() -> None:
    assert "SeCrEtToKeN123" not in redact(SIGNED)
    assert f"token={REDACTED}" in redact(SIGNED)
    assert "x=1" in redact(SIGNED)
    assert "gerra_xyzxyzxyz" not in redact("Gerra-Api-Key: gerra_xyzxyzxyz")
    assert "gerra_xyzxyzxyz" not in redact("{'gerra-api-key': 'gerra_xyzxyzxyz'}")
    assert "gerra_xyzxyzxyz" not in redact("(b'gerra-api-key', b'gerra_xyzxyzxyz')")
    assert "abcd1234" not in redact("X-Amz-Signature=abcd1234&X-Amz-Credential=abcd1234")


def test_redact_registered_secret() -> None:
    register_secret("gerra_registered0000000001")
    assert redact("key is gerra_registered0000000001!") == f"key is {REDACTED}!"


def test_safe_url_drops_query() -> None:
    assert safe_url(SIGNED) == f"http://127.0.0.1:9/storage/datasets/a.zip?{REDACTED}"
    assert safe_url("http://h/datasets") == "http://h/datasets"


def test_api_error_redacts_detail() -> None:
    error = ServerError(500, f"upstream said {SIGNED}", operation="GET /x")
    assert "SeCrEtToKeN123" not in str(error)
    assert "SeCrEtToKeN123" not in repr(error)
    assert "SeCrEtToKeN123" not in error.detail


def test_retry_policy_validation() -> None:
    with pytest.raises(ValueError, match="max_attempts must be at least 1, got 0"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="max_wait_s must be zero or positive seconds, got -1"):
        RetryPolicy(max_wait_s=-1)


def test_backoff_capped_exponential() -> None:
    policy = RetryPolicy(initial_wait_s=1.0, max_wait_s=5.0, jitter_s=0.0)
    assert [policy.backoff_s(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    jittered = RetryPolicy(initial_wait_s=1.0, max_wait_s=5.0, jitter_s=0.5)
    assert all(1.0 <= jittered.backoff_s(1) <= 1.5 for _ in range(50))
