"""Lookup of the store behind a request, because one shared app serves many stores.

Building the FastAPI app took 0.1 to 0.2 s per emulator (FastAPI 0.165,
measured in this repository's test run), so every emulator in a process
shares one app, and the `EmulatorApp` wrapper puts its own store in each
request's scope.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from gerra_emulator.store import Store

STORE_SCOPE_KEY = "gerra_emulator.store"


def store_of(scope: dict[str, Any]) -> Store:
    """Return the store bound to a request scope."""
    return scope[STORE_SCOPE_KEY]


def get_store(request: Request) -> Store:
    """Return the store serving this request (a FastAPI dependency)."""
    return store_of(request.scope)


StoreDep = Annotated[Store, Depends(get_store)]
