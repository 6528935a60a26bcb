"""The FastAPI application: the six Gerra dataset endpoints, health, storage and control.

Every dataset endpoint checks, in this order: the API key (401), the request
(422 with a list of validation errors), that the dataset exists (404), that
it belongs to the caller's organisation (403) and, for accept and reject,
that it is pending (422).
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ValidationError

from gerra_emulator import views
from gerra_emulator.catalog import UUID_RE
from gerra_emulator.control import control_router
from gerra_emulator.filters import parse_metadata_terms
from gerra_emulator.injection import FaultMiddleware
from gerra_emulator.storage import storage_router
from gerra_emulator.store import (
    DatasetNotFoundError,
    DatasetState,
    ForbiddenDatasetError,
    NotPendingError,
    Store,
    TransitionError,
    UnknownKeyError,
)
from gerra_emulator.wire import TransportCapture

API_KEY_HEADER = "Gerra-Api-Key"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _require_text(value: str) -> str:
    if not value.strip():
        raise ValueError("reason must contain a non-whitespace character")
    return value


class RejectBody(BaseModel):
    """The reject request body; members other than `reason` are ignored."""

    reason: Annotated[str, AfterValidator(_require_text)]


def create_app(store: Store) -> TransportCapture:
    """Build the ASGI application that serves `store`."""
    app = FastAPI(
        title="Gerra Datasets API emulator",
        redirect_slashes=False,
        docs_url="/_emulator/docs",
        redoc_url=None,
        openapi_url="/_emulator/openapi.json",
    )
    app.state.store = store
    _add_error_handlers(app)
    _add_dataset_routes(app, store)
    app.include_router(storage_router(store))
    app.include_router(control_router(store))

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "healthy"}

    app.add_middleware(FaultMiddleware, store=store)
    return TransportCapture(app)


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


def _detail_handler(status: int) -> Any:
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        detail = "Dataset is not in pending status" if isinstance(exc, NotPendingError) else str(exc)
        return JSONResponse({"detail": detail}, status_code=status)

    return handle


def _uuid_errors(value: str | None, loc: tuple[str, str]) -> list[dict[str, Any]]:
    """Return FastAPI-style validation errors for a missing or malformed UUID."""
    if value is None:
        return [{"type": "missing", "loc": loc, "msg": "Field required", "input": None}]
    if not UUID_RE.match(value):
        return [
            {
                "type": "uuid_parsing",
                "loc": loc,
                "msg": "Input should be a valid UUID of 8-4-4-4-12 hexadecimal digits",
                "input": value,
            }
        ]
    return []


def _reject_body_errors(raw: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """Parse the reject body as JSON whatever its Content-Type; return errors or the reason."""
    if not raw.strip():
        return [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}], None
    try:
        parsed = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else exc.start
        return [
            {
                "type": "json_invalid",
                "loc": ("body", position),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": getattr(exc, "msg", str(exc))},
            }
        ], None
    try:
        return [], RejectBody.model_validate(parsed).reason
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *error["loc"])}
            for error in exc.errors(include_url=False, include_context=True)
        ]
        return errors, None


def authenticate(request: Request) -> str:
    """Return the organisation id of the request's API key (header name in any case)."""
    key = request.headers.get(API_KEY_HEADER)
    if not key:
        raise HTTPException(401, "Missing Gerra-Api-Key header")
    store: Store = request.app.state.store
    return store.organization_for_key(key)


Org = Annotated[str, Depends(authenticate)]


def _add_dataset_routes(app: FastAPI, store: Store) -> None:
    def signed_url(request: Request, dataset: DatasetState) -> str | None:
        token = store.mint_token(dataset)
        if token is None or dataset.link is None:
            return None
        return f"{str(request.base_url).rstrip('/')}/storage/{quote(dataset.link)}?token={token}"

    @app.get("/datasets")
    def list_datasets(
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

    @app.get("/datasets/dataset")
    def get_dataset(request: Request, org_id: Org, id: str | None = None) -> dict[str, Any]:  # noqa: A002
        errors = _uuid_errors(id, ("query", "id"))
        if errors or id is None:
            raise RequestValidationError(errors)
        dataset = store.lookup(org_id, id)
        body = views.dataset_view(dataset, signed_url(request, dataset))
        # Changes configured to happen "right after the first fetch" apply
        # once the response is built, so the caller still sees it pending.
        store.apply_change_after_get(dataset.id)
        return body

    @app.get("/datasets/stats")
    def stats(org_id: Org) -> dict[str, Any]:
        return views.stats_view(store.organization_datasets(org_id), store.now().date())

    @app.get("/datasets/{dataset_id}/iterations")
    def iterations(request: Request, org_id: Org, dataset_id: str) -> dict[str, Any]:
        errors = _uuid_errors(dataset_id, ("path", "dataset_id"))
        if errors:
            raise RequestValidationError(errors)
        dataset = store.lookup(org_id, dataset_id)
        members = store.group_members(dataset)
        return views.history_view(dataset.iteration.group_id, members, lambda member: signed_url(request, member))

    @app.post("/datasets/{dataset_id}/accept")
    def accept(org_id: Org, dataset_id: str) -> dict[str, str]:
        errors = _uuid_errors(dataset_id, ("path", "dataset_id"))
        if errors:
            raise RequestValidationError(errors)
        dataset = store.accept(org_id, dataset_id)
        return {"id": dataset.id, "status": dataset.status, "message": "Dataset accepted successfully"}

    @app.post("/datasets/{dataset_id}/reject")
    async def reject(request: Request, org_id: Org, dataset_id: str) -> dict[str, str]:
        errors = _uuid_errors(dataset_id, ("path", "dataset_id"))
        body_errors, reason = _reject_body_errors(await request.body())
        errors += body_errors
        if errors or reason is None:
            raise RequestValidationError(errors)
        dataset = store.reject(org_id, dataset_id, reason)
        return {"id": dataset.id, "status": dataset.status, "message": "Dataset rejected successfully"}
