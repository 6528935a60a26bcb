"""Pick the suites that apply to a dataset."""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from worker.checks.context import DatasetInfo
from worker.rules.model import ResolvedSuite

log = structlog.get_logger(__name__)


def select_suites(suites: Iterable[ResolvedSuite], dataset: DatasetInfo) -> list[ResolvedSuite]:
    """Return the suites whose `applies_to` matches `dataset`, ordered by suite name."""
    selected = sorted((suite for suite in suites if suite.applies_to.matches(dataset)), key=lambda s: s.suite)
    log.debug(
        "suites_selected",
        dataset_id=dataset.id,
        data_type=dataset.data_type,
        suites=[suite.suite for suite in selected],
    )
    return selected
