"""Fixtures for the demo catalog tests: one generated catalog shared by the session, and readers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import structlog

from gerra_emulator.demo.generate import generate_catalog
from worker.archive.source import DatasetSource, open_source


@pytest.fixture(scope="session")
def demo_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the path of a demo catalog generated once with seed 0."""
    return generate_catalog(tmp_path_factory.mktemp("demo"), seed=0)


@pytest.fixture(scope="session")
def catalog_document(demo_catalog: Path) -> dict:
    return json.loads(demo_catalog.read_text())


@pytest.fixture
def open_archive(demo_catalog: Path, tmp_path: Path):
    """Open a demo archive by file name as a `DatasetSource`; all are closed at teardown."""
    sources: list[DatasetSource] = []

    def opener(file_name: str) -> DatasetSource:
        source = open_source(demo_catalog.parent / "archives" / file_name, tmp_path / file_name)
        sources.append(source)
        return source

    yield opener
    for source in sources:
        source.close()


@pytest.fixture(autouse=True)
def _restore_structlog():
    """Undo the log level that the demo command sets, so later tests see every event."""
    config = structlog.get_config()
    yield
    structlog.configure(**config)
