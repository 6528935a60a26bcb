"""The emulator-only control surface under ``/_emulator``; it needs no API key.

Tests and demos use it to load a catalog, read the full state, perform
Gerra-side transitions, move the clock, read or reset call counters and
change faults while the emulator runs. It is not part of the Gerra API, and
the gate never calls it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from gerra_emulator.catalog import CatalogError, Status
from gerra_emulator.clock import format_timestamp
from gerra_emulator.deps import StoreDep
from gerra_emulator.faults import FaultOptions
from gerra_emulator.store import SUPERSEDE_REASON_DEFAULT

CONTROL_PREFIX = "/_emulator"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusBody(_Body):
    """A status to set directly."""

    status: Status


class SupersedeBody(_Body):
    """Options of a supersede request: the reason, and the next version's status and prompt."""

    reason: str = SUPERSEDE_REASON_DEFAULT
    next_status: Literal["pending", "for_admin_review"] = "pending"
    prompt: str | None = None


class CatalogBody(_Body):
    """A catalog file to load in place of the current one."""

    path: str = Field(description="Path of a catalog.json on the emulator's file system.")


class ClockBody(_Body):
    """Either seconds to advance the clock by, or the time to jump to."""

    advance_s: float | None = Field(None, description="Seconds to move the clock by (negative moves it back).")
    now: AwareDatetime | None = Field(None, description="Time to jump to, ISO 8601 with time zone.")


def _clock_view(moment: datetime) -> dict[str, Any]:
    return {"now": format_timestamp(moment), "timestamp": moment.timestamp()}


control_router = APIRouter(prefix=CONTROL_PREFIX, tags=["emulator control"])



@control_router.get("/state")
def state(store: StoreDep) -> dict[str, Any]:
    return store.state()

@control_router.post("/reset")
def reset(store: StoreDep) -> dict[str, Any]:
    store.reset()
    return {"datasets": len(store.datasets())}

@control_router.put("/catalog")
def load_catalog(store: StoreDep, body: CatalogBody) -> dict[str, Any]:
    try:
        store.load_catalog(body.path)
    except CatalogError as exc:
        raise HTTPException(422, exc.problems) from None
    return {"datasets": len(store.datasets())}


@control_router.get("/datasets/{dataset_id}")
def dataset(store: StoreDep, dataset_id: str) -> dict[str, Any]:
    return store.dataset(dataset_id).to_dict()

@control_router.put("/datasets/{dataset_id}/status")
def set_status(store: StoreDep, dataset_id: str, body: StatusBody) -> dict[str, Any]:
    return store.set_status(dataset_id, body.status).to_dict()

@control_router.post("/datasets/{dataset_id}/release")
def release(store: StoreDep, dataset_id: str) -> dict[str, Any]:
    return store.release(dataset_id).to_dict()

@control_router.post("/datasets/{dataset_id}/discard")
def discard(store: StoreDep, dataset_id: str) -> dict[str, Any]:
    return store.discard(dataset_id).to_dict()

@control_router.post("/datasets/{dataset_id}/supersede")
def supersede(store: StoreDep, dataset_id: str, body: SupersedeBody | None = None) -> dict[str, Any]:
    body = body or SupersedeBody()
    new = store.supersede(dataset_id, body.reason, next_status=body.next_status, prompt=body.prompt)
    return new.to_dict()

@control_router.get("/clock")
def clock(store: StoreDep) -> dict[str, Any]:
    return _clock_view(store.now())

@control_router.post("/clock")
def move_clock(store: StoreDep, body: ClockBody) -> dict[str, Any]:
    if (body.advance_s is None) == (body.now is None):
        raise HTTPException(422, "send exactly one of advance_s (seconds) or now (ISO 8601 time)")
    moment = store.set_clock(body.now) if body.now is not None else store.advance_clock(body.advance_s or 0.0)
    return _clock_view(moment)

@control_router.get("/calls")
def calls(store: StoreDep) -> dict[str, Any]:
    return store.calls.to_dict()

@control_router.delete("/calls")
def reset_calls(store: StoreDep) -> dict[str, Any]:
    store.reset_calls()
    return store.calls.to_dict()

@control_router.get("/faults")
def faults(store: StoreDep) -> dict[str, Any]:
    return {"options": store.faults.model_dump(mode="json"), "fired": store.fault_engine.fired_counts()}

@control_router.put("/faults")
def set_faults(store: StoreDep, options: FaultOptions) -> dict[str, Any]:
    store.set_faults(options)
    return {"options": store.faults.model_dump(mode="json"), "fired": {}}

@control_router.delete("/faults")
def clear_faults(store: StoreDep) -> dict[str, Any]:
    store.clear_faults()
    return {"options": store.faults.model_dump(mode="json"), "fired": {}}
