"""ASGI middleware that counts API requests and injects request-level faults.

For each request to a dataset endpoint or to storage, the middleware counts
the call, then may hold it (delay), respond 429 or a 5xx, or close the
connection without a response. For accept and reject it may apply the change
and then lose the response. Download faults are applied by the storage route.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qsl

import structlog
from starlette.responses import HTMLResponse, JSONResponse

from gerra_emulator.catalog import UUID_RE
from gerra_emulator.faults import Endpoint, FaultKind, RequestFault
from gerra_emulator.signing import read_claims
from gerra_emulator.deps import store_of
from gerra_emulator.wire import Scope, close_connection, reason_phrase

log = structlog.get_logger(__name__)

_ROUTES: list[tuple[frozenset[str], re.Pattern[str], Endpoint]] = [
    (frozenset({"GET"}), re.compile(r"^/datasets$"), Endpoint.LIST_DATASETS),
    (frozenset({"GET"}), re.compile(r"^/datasets/dataset$"), Endpoint.GET_DATASET),
    (frozenset({"GET"}), re.compile(r"^/datasets/stats$"), Endpoint.STATS),
    (frozenset({"GET"}), re.compile(r"^/datasets/(?P<id>[^/]+)/iterations$"), Endpoint.ITERATIONS),
    (frozenset({"POST"}), re.compile(r"^/datasets/(?P<id>[^/]+)/accept$"), Endpoint.ACCEPT),
    (frozenset({"POST"}), re.compile(r"^/datasets/(?P<id>[^/]+)/reject$"), Endpoint.REJECT),
    (frozenset({"GET", "HEAD"}), re.compile(r"^/storage/datasets/[^/]+$"), Endpoint.DOWNLOAD),
]


def classify(scope: Scope) -> tuple[Endpoint, str | None] | None:
    """Return the endpoint and the dataset id a request names, or None for other routes."""
    path, method = scope["path"], scope["method"]
    for methods, pattern, endpoint in _ROUTES:
        match = pattern.match(path)
        if match is None or method not in methods:
            continue
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if endpoint is Endpoint.GET_DATASET:
            candidate = query.get("id")
        elif endpoint is Endpoint.DOWNLOAD:
            claims = read_claims(query.get("token", ""))
            candidate = claims.dataset_id if claims else None
        else:
            candidate = match.groupdict().get("id")
        dataset_id = candidate.lower() if candidate and UUID_RE.match(candidate) else None
        return endpoint, dataset_id
    return None


class FaultMiddleware:
    """Count API calls and inject the request-level faults that the store's engine decides."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        target = classify(scope) if scope["type"] == "http" else None
        if target is None:
            await self.app(scope, receive, send)
            return

        endpoint, dataset_id = target
        store = store_of(scope)
        store.record_request(endpoint, dataset_id)
        engine = store.fault_engine

        delay_s = engine.request_delay(endpoint, dataset_id)
        if delay_s:
            _log_fault(FaultKind.DELAY, endpoint, dataset_id, delay_s=delay_s)
            await asyncio.sleep(delay_s)

        fault = engine.request_fault(endpoint, dataset_id)
        if fault is not None:
            _log_fault(fault.kind, endpoint, dataset_id, status=fault.status)
            await _respond_with_fault(fault, scope, receive, send)
            return

        if endpoint in (Endpoint.ACCEPT, Endpoint.REJECT) and engine.has_rules(FaultKind.LOST_RESPONSE):
            await self._maybe_lose_response(endpoint, dataset_id, scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _maybe_lose_response(
        self, endpoint: Endpoint, dataset_id: str | None, scope: Scope, receive: Any, send: Any
    ) -> None:
        """Run the request; if it changed the status, maybe replace the response with a drop or a 5xx."""
        messages: list[dict[str, Any]] = []

        async def capture(message: dict[str, Any]) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        succeeded = bool(messages) and messages[0].get("status") == 200
        # Only a change that happened can have its response lost, so the rule
        # is consulted (and its limit counted) after a success only.
        lost = store_of(scope).fault_engine.lost_response(endpoint, dataset_id) if succeeded else None
        if lost is None:
            for message in messages:
                await send(message)
            return

        status = lost.status
        _log_fault(FaultKind.LOST_RESPONSE, endpoint, dataset_id, status=status)
        if status is None:
            await close_connection(scope, receive)
        else:
            await _error_response(status)(scope, receive, send)


async def _respond_with_fault(fault: RequestFault, scope: Scope, receive: Any, send: Any) -> None:
    if fault.kind is FaultKind.DROP_CONNECTION:
        await close_connection(scope, receive)
        return
    if fault.kind is FaultKind.RATE_LIMIT:
        response = JSONResponse(
            {"detail": "Rate limit exceeded"}, status_code=429, headers={"Retry-After": str(fault.retry_after_s)}
        )
        await response(scope, receive, send)
        return
    if fault.kind is FaultKind.GATEWAY_REFUSAL:
        # What a proxy or web application firewall sends: its own HTML page, not the API's JSON.
        status = fault.status or 403
        page = f"<html><head><title>{status} {reason_phrase(status)}</title></head><body>gateway</body></html>"
        await HTMLResponse(page, status_code=status)(scope, receive, send)
        return
    await _error_response(fault.status or 500)(scope, receive, send)


def _error_response(status: int) -> JSONResponse:
    return JSONResponse({"detail": reason_phrase(status)}, status_code=status)


def _log_fault(kind: FaultKind, endpoint: Endpoint, dataset_id: str | None, **details: Any) -> None:
    log.info("fault_injected", kind=kind.value, endpoint=endpoint.value, dataset_id=dataset_id, **details)
