"""Open a downloaded archive and evaluate it, in a child process with a hard time limit.

Checks decode untrusted video and tables with native libraries (FFmpeg, Arrow).
A hostile file can make one of them hang or crash the process, so the gate
runs the whole inspection in a child process: a timeout kills the child, and a
child that dies (segmentation fault, out of memory) is reported as such. Both
are the gate's problem, so both lead to a hold, never a rejection.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import structlog

from worker.archive.limits import ArchiveLimits
from worker.archive.source import ArchiveError, open_source
from worker.checks.context import DatasetInfo
from worker.checks.results import CheckResult, Status
from worker.evaluate import evaluate, evaluate_unopenable, most_specific
from worker.log import LogSetup, apply_setup, current_setup
from worker.rules.loader import RuleSet
from worker.verdict import Evaluation, decide

log = structlog.get_logger(__name__)

# The fork server imports the heavy modules once; each inspection then starts
# in milliseconds instead of paying great-expectations' import every time.
_PRELOAD = ["worker.inspection", "worker.checks.engine", "worker.checks.registry", "great_expectations"]


@dataclass
class Inspection:
    """The evaluation of one archive and what the report needs from it."""

    evaluation: Evaluation
    archive: dict[str, Any] = field(default_factory=dict)
    report_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InspectionRequest:
    archive: Path
    dataset: DatasetInfo
    rule_set: RuleSet
    work_dir: Path
    iterations: Any = None
    timeout_s: float | None = None
    limits: ArchiveLimits | None = None
    memory_budget_bytes: int | None = None
    # Results the gate recorded for earlier versions of this dataset, by
    # dataset id, for checks that compare a regenerated version with its parent.
    prior_results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def inspect_archive(request: InspectionRequest) -> Inspection:
    """Open the archive safely and evaluate it in this process."""
    try:
        source = open_source(request.archive, request.work_dir / "extract", request.limits)
    except ArchiveError as error:
        log.info("archive_unopenable", dataset_id=request.dataset.id, error=str(error))
        evaluation = evaluate_unopenable(request.dataset, request.rule_set, error)
        return Inspection(evaluation, {"open_error": str(error), "open_error_code": getattr(error, "code", None)})
    with source:
        summary = {"members": len(source.members), "uncompressed_bytes": sum(m.size for m in source.members)}
        cache: dict[str, Any] = {"prior_results": request.prior_results} if request.prior_results else {}
        evaluation = evaluate(
            source, request.dataset, request.rule_set, request.work_dir / "checks",
            iterations=request.iterations, timeout_s=request.timeout_s, cache=cache,
            memory_budget_bytes=request.memory_budget_bytes,
        )
        report_data = _collect_report_data(source, cache, evaluation)
    return Inspection(evaluation, summary, report_data)


def _collect_report_data(source: Any, cache: dict[str, Any], evaluation: Evaluation) -> dict[str, Any]:
    """Gather plot data for the HTML report; a failure here never changes the verdict."""
    try:
        from worker.reports import plots
    except ImportError:
        return {}
    try:
        return plots.collect_report_data(source, cache, evaluation)
    except Exception:  # noqa: BLE001 - the report is secondary to the decision
        log.warning("report_data_failed", exc_info=True)
        return {}


def _child(connection: Connection, request: InspectionRequest, log_setup: LogSetup | None) -> None:
    # The parent decides when to stop; a Ctrl-C or SIGTERM sent to the whole
    # process group must not kill the inspection halfway.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A fork-server child starts with structlog's defaults (every level, to
    # stdout, no redaction), so it repeats the parent's set-up first.
    apply_setup(log_setup)
    try:
        connection.send(("ok", inspect_archive(request)))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which holds
        connection.send(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=8)}"))
    finally:
        connection.close()


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def inspect_in_child(request: InspectionRequest, hard_timeout_s: float) -> Inspection:
    """Run `inspect_archive` in a child process; kill it after `hard_timeout_s` seconds."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, request, current_setup()), name="gate-inspection", daemon=True)
    started = time.monotonic()
    process.start()
    sender.close()
    try:
        if receiver.poll(hard_timeout_s):
            kind, payload = receiver.recv()
        else:
            kind, payload = "timeout", None
    except EOFError:
        kind, payload = "died", None
    finally:
        receiver.close()
    if kind == "timeout":
        process.kill()
    process.join(timeout=30)

    if kind == "ok":
        return payload
    elapsed = time.monotonic() - started
    if kind == "timeout":
        cause = f"checks did not finish within {hard_timeout_s:.0f} s and were stopped"
    elif kind == "died":
        cause = f"the check process died (exit code {process.exitcode}) after {elapsed:.1f} s"
    else:
        cause = f"the check process failed: {payload}"
    log.error("inspection_failed", dataset_id=request.dataset.id, cause=cause.splitlines()[0])
    return Inspection(_hold_evaluation(request, cause))


def _hold_evaluation(request: InspectionRequest, cause: str) -> Evaluation:
    suites = most_specific(request.rule_set.select(request.dataset))
    crashed = CheckResult(check="inspection", rule="inspection", status=Status.ERROR, message=cause.splitlines()[0],
                          details={"detail": cause})
    evaluation = decide(suites, [crashed])
    return evaluation
