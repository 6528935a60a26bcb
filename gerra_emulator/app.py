"""The FastAPI application: the six Gerra dataset endpoints, health, storage and control.

Every dataset endpoint checks the API key first (401), then the request (422
with a list of validation errors). Then it checks that the dataset exists
(404), that it belongs to the caller's organisation (403) and, for accept and
reject, that it is pending (422).
"""

from __future__ import annotations

import functools
from typing import Annotated, Any
from urllib.parse import quote

import structlog

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.responses import JSONResponse, Response

from gerra_emulator import views
from gerra_emulator.control import control_router
from gerra_emulator.deps import STORE_SCOPE_KEY, StoreDep
from gerra_emulator.filters import parse_metadata_terms
from gerra_emulator.injection import FaultMiddleware
from gerra_emulator.records import DatasetState
from gerra_emulator.storage import storage_router
from gerra_emulator.store import (
    DatasetNotFoundError,
    ForbiddenDatasetError,
    NotPendingError,
    Store,
    TransitionError,
    UnknownKeyError,
)
from gerra_emulator.validation import reject_body_errors, uuid_errors
from gerra_emulator.wire import attach_transport

log = structlog.get_logger(__name__)

API_KEY_HEADER = "Gerra-Api-Key"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _add_error_handlers(app: FastAPI) -> None:
    errors: list[tuple[type[Exception], int]] = [
        (UnknownKeyError, 401),
        (DatasetNotFoundError, 404),
        (ForbiddenDatasetError, 403),
        (NotPendingError, 422),
        (TransitionError, 409),
    ]
    for error_type, status in errors:
        app.add_exception_handler(error_type, _detail_handler(status))
    app.add_exception_handler(RequestValidationError, _log_validation_error)
    app.add_exception_handler(Exception, _internal_error)


def _detail_handler(status: int) -> Any:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        detail = "Dataset is not in pending status" if isinstance(exc, NotPendingError) else str(exc)
        log.info("request_failed", method=request.method, path=request.url.path, status=status, detail=detail)
        return JSONResponse({"detail": detail}, status_code=status)

    return handle


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette re-raises the exception after this response, so uvicorn logs the traceback.
    log.error("request_crashed", method=request.method, path=request.url.path, error=repr(exc))
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500)


async def _log_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    log.info(
        "request_invalid",
        method=request.method,
        path=request.url.path,
        locations=[".".join(str(part) for part in error["loc"]) for error in exc.errors()],
    )
    return await request_validation_exception_handler(request, exc)


def authenticate(request: Request, store: StoreDep) -> str:
    """Return the organisation id of the request's API key (header name in any case)."""
    key = request.headers.get(API_KEY_HEADER)
    if not key:
        raise HTTPException(401, "Missing Gerra-Api-Key header")
    return store.organization_for_key(key)


Org = Annotated[str, Depends(authenticate)]


def signed_url(store: Store, request: Request, dataset: DatasetState) -> str | None:
    """Mint a signed URL on the host the request came to, or None when there is no file."""
    token = store.mint_token(dataset)
    if token is None or dataset.link is None:
        return None
    return f"{str(request.base_url).rstrip('/')}/storage/{quote(dataset.link)}?token={token}"


dataset_router = APIRouter()


@dataset_router.get("/datasets")
def list_datasets(
    store: StoreDep,
    org_id: Org,
    data_type: str | None = None,
    status: str | None = None,
    metadata: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies query defaults
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    matches = store.query(
        org_id, status=status, data_type=data_type, metadata_terms=parse_metadata_terms(metadata)
    )
    return views.list_view(matches[offset : offset + limit], len(matches))


@dataset_router.get("/datasets/dataset")
def get_dataset(request: Request, store: StoreDep, org_id: Org, id: str | None = None) -> dict[str, Any]:  # noqa: A002
    errors = uuid_errors(id, ("query", "id"))
    if errors or id is None:
        raise RequestValidationError(errors)
    dataset = store.lookup(org_id, id)
    body = views.dataset_view(dataset, signed_url(store, request, dataset))
    # Changes configured to happen "right after the first fetch" apply
    # once the response is built, so the caller still sees it pending.
    store.apply_change_after_get(dataset.id)
    return body


@dataset_router.get("/datasets/stats")
def stats(store: StoreDep, org_id: Org) -> dict[str, Any]:
    return views.stats_view(store.organization_datasets(org_id), store.now().date())


@dataset_router.get("/datasets/{dataset_id}/iterations")
def iterations(request: Request, store: StoreDep, org_id: Org, dataset_id: str) -> dict[str, Any]:
    errors = uuid_errors(dataset_id, ("path", "dataset_id"))
    if errors:
        raise RequestValidationError(errors)
    dataset = store.lookup(org_id, dataset_id)
    members = store.group_members(dataset)
    return views.history_view(dataset.iteration.group_id, members, lambda member: signed_url(store, request, member))


@dataset_router.post("/datasets/{dataset_id}/accept")
def accept(store: StoreDep, org_id: Org, dataset_id: str) -> dict[str, str]:
    errors = uuid_errors(dataset_id, ("path", "dataset_id"))
    if errors:
        raise RequestValidationError(errors)
    dataset = store.accept(org_id, dataset_id)
    return {"id": dataset.id, "status": dataset.status, "message": "Dataset accepted successfully"}


@dataset_router.post("/datasets/{dataset_id}/reject")
async def reject(request: Request, store: StoreDep, org_id: Org, dataset_id: str) -> dict[str, str]:
    errors = uuid_errors(dataset_id, ("path", "dataset_id"))
    body_errors, reason = reject_body_errors(await request.body())
    errors += body_errors
    if errors or reason is None:
        raise RequestValidationError(errors)
    dataset = store.reject(org_id, dataset_id, reason)
    return {"id": dataset.id, "status": dataset.status, "message": "Dataset rejected successfully"}


class EmulatorApp:
    """The ASGI application of one emulator: the shared FastAPI app bound to `store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.app = shared_app()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope[STORE_SCOPE_KEY] = self.store
            attach_transport(scope, send)
        await self.app(scope, receive, send)


def create_app(store: Store) -> EmulatorApp:
    """Build the ASGI application that serves `store`."""
    return EmulatorApp(store)


@functools.cache
def shared_app() -> FastAPI:
    """Build, once per process, the FastAPI app that every emulator shares."""
    app = FastAPI(
        title="Gerra Datasets API emulator",
        redirect_slashes=False,
        docs_url="/_emulator/docs",
        redoc_url=None,
        openapi_url="/_emulator/openapi.json",
    )
    _add_error_handlers(app)
    app.include_router(dataset_router)
    app.include_router(storage_router)
    app.include_router(control_router)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "healthy"}

    app.add_middleware(FaultMiddleware)
    return app
