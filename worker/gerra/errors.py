"""Define the errors of the Gerra client and translate httpx failures into them.

Exception tree::

    GerraError                      root of everything this package raises
    ├── GerraAPIError               the API returned an error status
    │   ├── AuthenticationError     401: key missing, unknown or inactive
    │   ├── ForbiddenError          403: dataset of another organisation
    │   ├── NotFoundError           404: no such dataset (or path)
    │   ├── NotPendingError         422 on accept/reject: dataset is not pending
    │   ├── InvalidRequestError     422 validation error, any other 3xx/4xx
    │   ├── RateLimitedError        429, carries retry_after_s
    │   └── ServerError             5xx
    ├── GerraTransportError         timeout, connection or protocol failure
    ├── DownloadError               the archive could not be fetched intact
    │   ├── SignedUrlRejected       storage returned 4xx even for a fresh URL
    │   └── DownloadSizeMismatch    wrong byte count after every retry
    └── InsufficientDiskSpace       our disk is too full for the archive

Every error message and ``detail`` passes through `redact`, which masks the
API key and signed-URL tokens, and so does the text of the chained httpx error.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REDACTED = "[REDACTED]"

# Query parameters that authorise a storage download: `token` on Supabase-style
# URLs, the signature and credential fields of S3 and GCS presigned URLs.
_QUERY_SECRET_RE = re.compile(
    r"(?i)\b([\w.-]*(?:token|signature|credential|sig))=([^&\s'\"#<>]+)"
)
# The key header as it appears in dict, tuple or raw HTTP renderings.
_HEADER_SECRET_RE = re.compile(
    r"(?i)(gerra-api-key\s*b?['\"]?\s*[:=,]\s*b?['\"]?)([^\s'\",;})\]]+)"
)
_MIN_SECRET_LENGTH = 8
# Rebound, never mutated, so `redact` can iterate while another thread registers.
_secrets: frozenset[str] = frozenset()


def register_secret(value: str) -> None:
    """Add a literal (such as the API key) that `redact` must always mask."""
    global _secrets
    if len(value) >= _MIN_SECRET_LENGTH:
        _secrets = _secrets | {value}


def redact(text: str) -> str:
    """Mask registered secrets, the key header and signed-URL tokens in ``text``."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _QUERY_SECRET_RE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    return _HEADER_SECRET_RE.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


def safe_url(url: str | httpx.URL) -> str:
    """Return ``url`` without its query string, for logs and messages."""
    parsed = httpx.URL(str(url))
    suffix = f"?{REDACTED}" if parsed.query else ""
    return redact(str(parsed.copy_with(query=None, fragment=None)) + suffix)


class GerraError(Exception):
    """Root of every error raised by the Gerra client."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class GerraAPIError(GerraError):
    """The Gerra API returned an error status."""

    hint = ""

    def __init__(self, status_code: int, detail: str, *, operation: str = "request") -> None:
        self.status_code = status_code
        self.detail = redact(detail)
        self.operation = operation
        text = f"{operation} returned HTTP {status_code}: {self.detail}"
        super().__init__(f"{text}. {self.hint}." if self.hint else text)


class AuthenticationError(GerraAPIError):
    """401: the API key is missing, unknown or inactive."""

    hint = "Check the configured Gerra API key. No call succeeds until it is fixed"


class ForbiddenError(GerraAPIError):
    """403: the dataset belongs to another organisation than the key's."""

    hint = "The API key's organisation does not own this dataset, so skip it"


class NotFoundError(GerraAPIError):
    """404: no dataset with that ID, or an unknown path."""

    hint = "Check the dataset ID and the configured base URL"

    # Requests that name no dataset, where only the base URL can be wrong.
    _WITHOUT_DATASET = frozenset({"GET /datasets", "GET /datasets/stats"})

    def __init__(self, status_code: int, detail: str, *, operation: str = "request") -> None:
        if operation in self._WITHOUT_DATASET:
            self.hint = "Check the configured base URL (GERRA_API_URL or --api-url)"
        super().__init__(status_code, detail, operation=operation)


class NotPendingError(GerraAPIError):
    """422 from accept/reject: the dataset's status is no longer ``pending``."""

    hint = "Someone else decided it or Gerra changed its status, so read it back"


class DecisionNotApplied(GerraError):
    """A 403 or 404 from accept or reject while the dataset is still ours and pending.

    A proxy or gateway in front of Gerra can send that response, so the decision
    stays recorded and is posted again on a later run.
    """


class InvalidRequestError(GerraAPIError):
    """422 validation failure, or another 3xx/4xx that means our request was wrong."""


class RateLimitedError(GerraAPIError):
    """429: too many requests. `retry_after_s` is the pause the server requested."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        operation: str = "request",
        retry_after_s: float | None = None,
    ) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(status_code, detail, operation=operation)


class ServerError(GerraAPIError):
    """5xx: the server failed, and the request may or may not have taken effect."""


class GerraTransportError(GerraError):
    """A timeout, connection or protocol failure before a complete response arrived.

    `kind` names the failure (``connect_timeout``, ``read_timeout``,
    ``remote_protocol_error`` ...). `may_have_reached_server` is False only
    when the request certainly never reached the server, so a POST may be
    sent again. `transient` is False for failures that a retry cannot fix,
    such as an unsupported URL scheme.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        may_have_reached_server: bool,
        transient: bool,
        operation: str = "request",
    ) -> None:
        self.kind = kind
        self.may_have_reached_server = may_have_reached_server
        self.transient = transient
        self.operation = operation
        super().__init__(f"{operation} failed with {kind}: {message}")


class DownloadError(GerraError):
    """The dataset archive could not be downloaded intact."""


class SignedUrlRejected(DownloadError):
    """Storage refused the signed URL with a 4xx, even after fetching a fresh one."""

    def __init__(self, status_code: int, detail: str, *, dataset_id: str) -> None:
        self.status_code = status_code
        self.detail = redact(detail)
        self.dataset_id = dataset_id
        super().__init__(
            f"storage returned HTTP {status_code} for dataset {dataset_id} "
            f"with a freshly signed URL: {self.detail}"
        )


class DownloadSizeMismatch(DownloadError):
    """The downloaded byte count differs from the expected size after every retry."""

    def __init__(self, *, dataset_id: str, expected: int, actual: int, source: str) -> None:
        self.dataset_id = dataset_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"dataset {dataset_id}: expected {expected} bytes but {source} {actual}"
        )


class InsufficientDiskSpace(GerraError):
    """Our own disk lacks room for the archive, which calls for a hold and is never the vendor's fault."""

    def __init__(self, *, path: Path, required: int, free: int) -> None:
        self.path = path
        self.required = required
        self.free = free
        super().__init__(
            f"need {required} bytes to download into {path} but only {free} are free. "
            "Free disk space or point the work directory at a larger volume."
        )


# Each httpx request failure maps to (kind, may_have_reached_server, transient).
# Subclasses come before their bases because the first isinstance match wins.
# Failures while writing the request count as "may have reached" because the
# server can have read the whole body before the write failed.
TRANSPORT_KINDS: tuple[tuple[type[httpx.RequestError], str, bool, bool], ...] = (
    (httpx.ConnectTimeout, "connect_timeout", False, True),
    (httpx.PoolTimeout, "pool_timeout", False, True),
    (httpx.ReadTimeout, "read_timeout", True, True),
    (httpx.WriteTimeout, "write_timeout", True, True),
    (httpx.ConnectError, "connect_error", False, True),
    (httpx.ReadError, "read_error", True, True),
    (httpx.WriteError, "write_error", True, True),
    (httpx.CloseError, "close_error", True, True),
    (httpx.RemoteProtocolError, "remote_protocol_error", True, True),
    (httpx.LocalProtocolError, "local_protocol_error", False, False),
    (httpx.ProxyError, "proxy_error", False, True),
    (httpx.UnsupportedProtocol, "unsupported_protocol", False, False),
    (httpx.DecodingError, "decoding_error", True, True),
    (httpx.TooManyRedirects, "too_many_redirects", True, False),
    (httpx.TimeoutException, "timeout", True, True),
    (httpx.NetworkError, "network_error", True, True),
    (httpx.ProtocolError, "protocol_error", True, True),
    (httpx.TransportError, "transport_error", True, True),
    (httpx.RequestError, "request_error", True, True),
)


def _scrub_chain(exc: BaseException) -> None:
    """Redact the messages of ``exc`` and its causes in place.

    The original httpx exception stays chained to ours, so its text shows up
    in tracebacks and must not carry a token either.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(isinstance(arg, str) for arg in current.args):
            current.args = tuple(redact(a) if isinstance(a, str) else a for a in current.args)
        current = current.__cause__ or current.__context__


def from_httpx_error(exc: httpx.HTTPError, *, operation: str) -> GerraError:
    """Translate one httpx exception into the matching Gerra error (not raised)."""
    _scrub_chain(exc)
    if isinstance(exc, httpx.HTTPStatusError):
        return error_for_response(exc.response, operation=operation)
    for cls, kind, reached, transient in TRANSPORT_KINDS:
        if isinstance(exc, cls):
            return GerraTransportError(
                str(exc) or type(exc).__name__,
                kind=kind,
                may_have_reached_server=reached,
                transient=transient,
                operation=operation,
            )
    return GerraTransportError(
        str(exc), kind="http_error", may_have_reached_server=True, transient=False,
        operation=operation,
    )


@contextmanager
def translated_httpx_errors(operation: str) -> Iterator[None]:
    """Re-raise every httpx exception in the block as a Gerra error chained with ``from``."""
    try:
        yield
    except httpx.HTTPError as exc:
        raise from_httpx_error(exc, operation=operation) from exc


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Parse a ``Retry-After`` header (seconds or HTTP date) into seconds, or None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def response_detail(response: httpx.Response) -> str:
    """Extract a readable, redacted error text from an error response body."""
    try:
        body: Any = response.json()
    except (ValueError, UnicodeDecodeError):
        return redact(response.text[:500] or response.reason_phrase)
    if isinstance(body, dict):
        detail = body.get("detail", body.get("message", body.get("error")))
        if isinstance(detail, list):
            return redact("; ".join(_format_validation_item(item) for item in detail))
        if detail is not None:
            return redact(str(detail))
    return redact(json.dumps(body)[:500])


def _format_validation_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    location = ".".join(str(part) for part in item.get("loc", []))
    text = f"{location}: {item.get('msg', 'invalid')}"
    if "input" in item:
        text += f" (input {item['input']!r})"
    return text


def _is_validation_body(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(body, dict) and isinstance(body.get("detail"), list)


def error_class_for_status(status_code: int, *, is_decision: bool, validation: bool) -> type[GerraAPIError]:
    """Choose the error class for an HTTP error status.

    A 422 from accept/reject whose body is a plain message (not a list of
    validation errors) means the dataset is no longer pending.
    """
    if status_code == 401:
        return AuthenticationError
    if status_code == 403:
        return ForbiddenError
    if status_code == 404:
        return NotFoundError
    if status_code == 422 and is_decision and not validation:
        return NotPendingError
    if status_code == 429:
        return RateLimitedError
    if status_code >= 500:
        return ServerError
    return InvalidRequestError


def error_for_response(
    response: httpx.Response, *, operation: str, is_decision: bool = False
) -> GerraAPIError:
    """Build the Gerra error for an error response (the caller raises it)."""
    status = response.status_code
    cls = error_class_for_status(
        status, is_decision=is_decision, validation=_is_validation_body(response)
    )
    detail = response_detail(response)
    if cls is RateLimitedError:
        return RateLimitedError(
            status, detail, operation=operation,
            retry_after_s=parse_retry_after(response.headers.get("Retry-After")),
        )
    return cls(status, detail, operation=operation)
