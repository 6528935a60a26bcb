"""Call the Gerra Datasets API over one httpx connection pool."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import structlog
from pydantic import BaseModel, ValidationError

from worker import __version__
from worker.gerra.download import DownloadResult, download_dataset
from worker.gerra.errors import (
    GerraAPIError,
    error_for_response,
    redact,
    register_secret,
    translated_httpx_errors,
)
from worker.gerra.models import (
    Dataset,
    DatasetPage,
    DatasetStatus,
    IterationHistory,
    Stats,
    StatusChange,
)
from worker.gerra.retry import RetryPolicy, is_safe_to_resend, is_transient

log = structlog.get_logger(__name__)

API_KEY_HEADER = "Gerra-Api-Key"
MAX_PAGE_SIZE = 1000

ModelT = TypeVar("ModelT", bound=BaseModel)


class GerraClient:
    """Client for the Gerra Datasets API, meant to be used as a context manager.

    GET calls retry 429, 5xx, timeouts and connection failures. accept and
    reject retry only when the request cannot have reached the server (a 429
    or a failed connect). Every other failure is left to `post_decision`.
    The API key travels only on API requests, never to the storage host.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        retry: RetryPolicy | None = None,
        verify: bool | str = True,
        user_agent: str = f"gerra-gate/{__version__}",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        _check_base_url(base_url)
        _check_api_key(api_key)
        register_secret(api_key)
        self.base_url = base_url.rstrip("/")
        self.retry_policy = retry or RetryPolicy()
        self._api_key = api_key
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(
                connect=connect_timeout_s,
                read=read_timeout_s,
                write=read_timeout_s,
                pool=connect_timeout_s,
            ),
            verify=verify,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            follow_redirects=False,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"GerraClient(base_url={self.base_url!r})"

    def __enter__(self) -> GerraClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    @property
    def http(self) -> httpx.Client:
        """The underlying pool, shared with downloads. Its default headers carry no API key."""
        return self._http

    # Endpoints

    def list_datasets(
        self,
        *,
        status: str | None = None,
        data_type: str | None = None,
        metadata: dict[str, Any] | None = None,
        page_size: int = 100,
    ) -> list[Dataset]:
        """Fetch every dataset matching the filters, walking all pages first.

        Paging stops at the first page shorter than ``page_size``, so it works
        without the optional ``total``. A dataset seen twice (the order moved
        between pages) is kept once.
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        params: list[tuple[str, str | int]] = []
        if status is not None:
            params.append(("status", status))
        if data_type is not None:
            params.append(("data_type", data_type))
        params.extend(("metadata", term) for term in metadata_terms(metadata or {}))

        found: dict[str, Dataset] = {}
        offset = 0
        while True:
            page_params = [*params, ("limit", page_size), ("offset", offset)]
            page = self._get_model("/datasets", DatasetPage, params=page_params)
            known = len(found)
            for dataset in page.datasets:
                found.setdefault(dataset.id, dataset)
            log.debug("gerra_page_listed", offset=offset, count=len(page.datasets), total=page.total)
            if len(page.datasets) < page_size:
                return list(found.values())
            offset += len(page.datasets)
            if len(found) == known and (page.total is None or offset >= page.total):
                # A full page of known datasets can mean the server ignores `offset`,
                # so without a `total` to walk up to, paging on might never end.
                log.warning("gerra_paging_stalled", offset=offset, page_size=page_size)
                return list(found.values())

    def list_pending(
        self,
        *,
        data_type: str | None = None,
        metadata: dict[str, Any] | None = None,
        page_size: int = 100,
    ) -> list[Dataset]:
        """Fetch every pending dataset, all pages before returning, because decisions shrink the set."""
        return self.list_datasets(
            status=DatasetStatus.PENDING, data_type=data_type, metadata=metadata, page_size=page_size
        )

    def get_dataset(self, dataset_id: str) -> Dataset:
        """Fetch one dataset, including a freshly signed download URL."""
        return self._get_model(
            "/datasets/dataset", Dataset, params=[("id", dataset_id)], dataset_id=dataset_id
        )

    def stats(self) -> Stats:
        """Fetch the organisation's dataset counts."""
        return self._get_model("/datasets/stats", Stats)

    def iterations(self, dataset_id: str) -> IterationHistory:
        """Fetch the iteration group (all versions) that ``dataset_id`` belongs to."""
        path = f"/datasets/{_path_id(dataset_id)}/iterations"
        return self._get_model(path, IterationHistory, dataset_id=dataset_id)

    def accept(self, dataset_id: str) -> StatusChange:
        """Move a pending dataset to ``accepted``, or raise `NotPendingError` when it is not pending."""
        path = f"/datasets/{_path_id(dataset_id)}/accept"
        return self._post_decision(path, dataset_id, body=None)

    def reject(self, dataset_id: str, reason: str) -> StatusChange:
        """Move a pending dataset to ``rejected``. Gerra stores ``reason`` in its metadata."""
        if not reason or not reason.strip():
            raise ValueError(
                f"reject reason for dataset {dataset_id} is blank. "
                "Pass a reason that names the failed checks."
            )
        path = f"/datasets/{_path_id(dataset_id)}/reject"
        return self._post_decision(path, dataset_id, body={"reason": reason})

    def download(
        self,
        dataset_id: str,
        dest: Path,
        *,
        expected_size: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> DownloadResult:
        """Download the dataset's archive to ``dest`` as `download_dataset` describes."""
        return download_dataset(
            self, dataset_id, Path(dest), expected_size=expected_size, progress=progress
        )

    # Plumbing

    def _get_model(
        self,
        path: str,
        model: type[ModelT],
        *,
        params: list[tuple[str, Any]] | None = None,
        dataset_id: str | None = None,
    ) -> ModelT:
        operation = f"GET {path}"
        retrying = self.retry_policy.retrying(
            retry_on=is_transient, operation=operation, dataset_id=dataset_id
        )
        response = retrying(self._send, "GET", path, operation=operation, params=params)
        return _parse(response, model, operation)

    def _post_decision(
        self, path: str, dataset_id: str, *, body: dict[str, Any] | None
    ) -> StatusChange:
        operation = f"POST {path}"
        retrying = self.retry_policy.retrying(
            retry_on=is_safe_to_resend, operation=operation, dataset_id=dataset_id
        )
        response = retrying(
            self._send, "POST", path, operation=operation, json_body=body, is_decision=True
        )
        return _parse(response, StatusChange, operation)

    def _send(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: list[tuple[str, Any]] | None = None,
        json_body: dict[str, Any] | None = None,
        is_decision: bool = False,
    ) -> httpx.Response:
        """Send one request. API calls reach httpx only through this method."""
        with translated_httpx_errors(operation):
            response = self._http.request(
                method,
                path,
                params=params,
                json=json_body,
                headers={API_KEY_HEADER: self._api_key},
            )
        if response.is_success:
            return response
        raise error_for_response(response, operation=operation, is_decision=is_decision)


def metadata_terms(metadata: dict[str, Any]) -> list[str]:
    """Render a metadata filter as ``key:value`` terms, with non-string values as JSON text."""
    terms = []
    for key, value in metadata.items():
        if ":" in key or not key.strip():
            raise ValueError(
                f"metadata filter key {key!r} is blank or contains ':'. "
                "Gerra splits each term at its first colon, so use a plain top-level key."
            )
        text = value if isinstance(value, str) else json.dumps(value)
        terms.append(f"{key}:{text}")
    return terms


def _parse(response: httpx.Response, model: type[ModelT], operation: str) -> ModelT:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise GerraAPIError(
            response.status_code,
            f"response body does not match {model.__name__}: "
            f"{redact(str(exc.errors(include_url=False, include_input=False)))}",
            operation=operation,
        ) from None


def _path_id(dataset_id: str) -> str:
    if not dataset_id:
        raise ValueError("dataset_id is empty. Pass the dataset's `id` field.")
    return quote(dataset_id, safe="")


def _check_base_url(base_url: str) -> None:
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"Gerra base URL {base_url!r} is invalid: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"Gerra base URL {base_url!r} must be an http(s) URL such as https://api.gerra.com"
        )


def _check_api_key(api_key: str) -> None:
    # The key is never echoed back, so a typo cannot end up in a log.
    if not api_key or not api_key.strip():
        raise ValueError("Gerra API key is empty. Set it to a key from the Gerra dashboard.")
    if any(ch.isspace() for ch in api_key):
        raise ValueError("Gerra API key contains whitespace. Copy it again without spaces or newlines.")
