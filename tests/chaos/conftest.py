"""Fixtures for crash, signal and concurrency tests: small catalogs, gate settings, process trees."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from worker.settings import Settings, load_settings
from worker.state import StateStore

from .deliveries import API_KEY, ChaosCatalog, build_catalog
from .gate_process import REPO_ROOT, GateProcess, gate_env


@pytest.fixture
def small_catalog(tmp_path: Path) -> Callable[..., ChaosCatalog]:
    """Build a catalog of `pending` datasets from the named recipes: ``small_catalog(["telemetry"])``."""

    def build(recipes: Sequence[str], pending: int | None = None, seed: int = 11) -> ChaosCatalog:
        count = len(recipes) if pending is None else pending
        return build_catalog(tmp_path / "catalog", count, seed=seed, variants=1, others=0, recipes=recipes)

    return build


@pytest.fixture
def gate_root(tmp_path: Path) -> Path:
    """Return the folder under which gate processes keep their work, state and logs."""
    return tmp_path / "gate"


@pytest.fixture
def env_for(gate_root: Path) -> Callable[..., dict[str, str]]:
    """Return the environment of a gate process for an emulator: ``env_for(server, hold_backoff_s=0)``."""

    def make(server: Any, **settings: Any) -> dict[str, str]:
        defaults = {"max_retries": 2, "retry_max_wait_s": 0.3, "hold_backoff_s": 0}
        return gate_env(server.base_url, API_KEY, gate_root, **{**defaults, **settings})

    return make


@pytest.fixture
def settings_for(gate_root: Path) -> Callable[..., Settings]:
    """Return settings for an in-process run on the same folders as the gate processes."""

    def make(server: Any, **overrides: Any) -> Settings:
        values = {
            "api_url": server.base_url, "api_key": API_KEY, "rules_dir": REPO_ROOT / "rules",
            "work_dir": gate_root / "work", "state_dir": gate_root / "state",
            "max_retries": 2, "retry_max_wait_s": 0.3, "hold_backoff_s": 0, **overrides,
        }
        return load_settings(**values)

    return make


@pytest.fixture
def state_of(gate_root: Path) -> Callable[[], dict[str, list[dict[str, Any]]]]:
    """Return a function that exports the gate's state store."""

    def export() -> dict[str, list[dict[str, Any]]]:
        store = StateStore(gate_root / "state" / "gate.sqlite3")
        try:
            return store.export()
        finally:
            store.close()

    return export


@pytest.fixture
def work_files(gate_root: Path) -> Callable[[], list[Path]]:
    """Return a function that lists every file and folder left in the work folder."""

    def listing() -> list[Path]:
        work = gate_root / "work"
        return sorted(work.rglob("*")) if work.exists() else []

    return listing


@pytest.fixture
def gates() -> Iterator[list[GateProcess]]:
    """Collect started gate processes; every process tree left is killed at teardown."""
    started: list[GateProcess] = []
    yield started
    for gate in started:
        gate.kill_tree()
