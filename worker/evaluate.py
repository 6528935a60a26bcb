"""Evaluate one opened dataset against the rule set: select suites, run checks, decide.

Both the pipeline (datasets from the Gerra API) and `gerra-gate check` (local
archives) call `evaluate`, so a local check reaches the same verdict the gate
would post.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import Any

import structlog

from worker.archive.source import DatasetSource
from worker.checks.context import CheckContext, DatasetInfo
from worker.checks.engine import run_suites
from worker.checks.expectations.runner import RunnerOptions
from worker.checks.results import CheckResult, Status
from worker.rules.loader import RuleSet
from worker.verdict import Evaluation, decide

log = structlog.get_logger(__name__)


def evaluate(
    source: DatasetSource,
    dataset: DatasetInfo,
    rule_set: RuleSet,
    work_dir: Path,
    *,
    iterations: Any = None,
    timeout_s: float | None = None,
    cache: dict[str, Any] | None = None,
    memory_budget_bytes: int | None = None,
) -> Evaluation:
    """Run every suite that applies to `dataset` on `source` and reach a verdict."""
    suites = most_specific(rule_set.select(dataset))
    if not suites:
        log.warning("no_suite_applies", dataset_id=dataset.id, data_type=dataset.data_type)
        return decide([], [])

    deadline = time.monotonic() + timeout_s if timeout_s else None
    context = CheckContext(
        source=source,
        dataset=dataset,
        work_dir=work_dir,
        iterations=iterations,
        deadline=deadline,
        cache=cache if cache is not None else {},
    )
    try:
        options = RunnerOptions(memory_budget_bytes=memory_budget_bytes) if memory_budget_bytes else None
        results = run_suites(suites, context, options)
    except Exception as error:  # noqa: BLE001 - a crash in the engine is ours: hold, never reject
        log.exception("engine_crashed", dataset_id=dataset.id)
        results = [
            CheckResult(
                check="engine",
                status=Status.ERROR,
                message=f"{type(error).__name__}: {error}",
                details={"traceback": traceback.format_exc(limit=8)},
            )
        ]
    return decide(suites, results)


def most_specific(suites: list[Any]) -> list[Any]:
    """Drop every selected suite that another selected suite extends.

    An extending suite already carries its base's rules, so running the base
    as well would run each of them twice.
    """
    extended = {base for suite in suites for base in getattr(suite, "bases", [])}
    return [suite for suite in suites if suite.suite not in extended]


def evaluate_unopenable(dataset: DatasetInfo, rule_set: RuleSet, error: Exception) -> Evaluation:
    """Reject a dataset whose archive cannot be opened safely, naming the cause."""
    suites = most_specific(rule_set.select(dataset))
    result = CheckResult(
        check="archive.open",
        status=Status.FAILED,
        message=f"archive cannot be opened: {error}",
        rule="archive.open",
        details={"code": getattr(error, "code", None)},
    )
    if suites:
        result.suite = suites[0].suite
        result.suite_version = str(suites[0].version)
    return decide(suites, [result])
