"""One run of the gate: finish decisions in flight, list pending datasets, gate each."""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import structlog

from worker import metrics
from worker.gerra.client import GerraClient
from worker.gerra.errors import AuthenticationError, GerraError
from worker.pipeline import Gate, GateOutcome
from worker.rules.loader import RuleSet, load_rule_set
from worker.settings import Settings
from worker.state import StateStore
from worker.webhook import wait_for_notices

log = structlog.get_logger(__name__)

# Long enough to delete one dataset's work folder.
CLEAN_LEASE_S = 600.0


@dataclass
class RunSummary:
    outcomes: list[GateOutcome] = field(default_factory=list)
    pending: int = 0
    elapsed_s: float = 0.0

    def counts(self) -> dict[str, int]:
        return dict(Counter(outcome.action for outcome in self.outcomes))


def make_client(settings: Settings) -> GerraClient:
    from worker.gerra.client import RetryPolicy

    return GerraClient(
        settings.api_url,
        settings.require_api_key(),
        connect_timeout_s=settings.connect_timeout_s,
        read_timeout_s=settings.read_timeout_s,
        retry=RetryPolicy(max_attempts=settings.max_retries + 1, max_wait_s=settings.retry_max_wait_s),
        verify=settings.verify_tls,
    )


def run_once(settings: Settings, stop: threading.Event | None = None, rule_set: RuleSet | None = None) -> RunSummary:
    """Gate every pending dataset once; stop taking new datasets when `stop` is set.

    Raises `RuleSetError` for an invalid rule set before anything is touched, and
    `AuthenticationError` when the API key is rejected.
    """
    stop = stop or threading.Event()
    started = time.monotonic()
    rule_set = rule_set or load_rule_set(settings.rules_dir)
    store = StateStore(settings.state_db)
    summary = RunSummary()
    try:
        _clean_work_dir(settings, store)
        with make_client(settings) as client:
            gate = Gate(settings, client, store, rule_set)
            summary.outcomes.extend(_finish_in_flight(gate, store, settings))
            pending = client.list_pending(page_size=settings.page_size)
            summary.pending = len(pending)
            _close_vanished(gate, store, {dataset.id for dataset in pending})
            log.info("run_started", pending=len(pending), rules_digest=rule_set.digest[:12], dry_run=settings.dry_run)

            def gate_one(dataset):  # type: ignore[no-untyped-def]
                if stop.is_set() or dataset.id in gate.posted_this_run:
                    # A dataset whose recorded decision was just posted or held is counted once.
                    return None
                return _guarded(dataset.id, lambda: gate.gate(dataset))

            with ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="gate") as pool:
                for outcome in pool.map(gate_one, pending):
                    if outcome is not None:
                        summary.outcomes.append(outcome)
        stuck = store.stuck_datasets()
        metrics.STUCK.set(len(stuck))
        for row in stuck:
            log.error("dataset_stuck", dataset_id=row["id"], holds=row["holds"], cause=row["last_hold_cause"])
    finally:
        store.close()
        wait_for_notices()
    summary.elapsed_s = time.monotonic() - started
    metrics.RUN_SECONDS.observe(summary.elapsed_s)
    metrics.LAST_SUCCESS.set_to_current_time()
    log.info("run_finished", elapsed_s=round(summary.elapsed_s, 3), stopped_early=stop.is_set(), **summary.counts())
    return summary


def _clean_work_dir(settings: Settings, store: StateStore) -> None:
    """Remove work files left by a killed process; never trust a partial download."""
    if not settings.work_dir.is_dir():
        return
    for entry in settings.work_dir.iterdir():
        # A process creates a dataset's folder only under the dataset's lease, so
        # holding that lease while deleting keeps every live process's folder safe.
        if not store.acquire_lease(entry.name, CLEAN_LEASE_S):
            continue
        try:
            log.info("stale_work_removed", path=str(entry))
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        finally:
            store.release_lease(entry.name)


def _finish_in_flight(gate: Gate, store: StateStore, settings: Settings) -> list[GateOutcome]:
    """Post or reconcile decisions that a previous process recorded but did not post; return what happened."""
    if settings.dry_run:
        return []
    outcomes = []
    for decision in store.pending_intents():
        outcome = _guarded(decision.dataset_id, lambda decision=decision: gate.finish_recorded(decision))
        if outcome.action == "skipped":
            continue
        metrics.DATASETS.labels(outcome.action, decision.data_type or "unknown").inc()
        outcomes.append(outcome)
    return outcomes


def _guarded(dataset_id: str, step: Callable[[], GateOutcome]) -> GateOutcome:
    """Run one dataset's step so that a failure outside its attempt (the state store, say) spares the others."""
    try:
        return step()
    except AuthenticationError:
        raise
    except Exception as error:  # noqa: BLE001 - one dataset must not end the run for all the others
        log.exception("dataset_step_failed", dataset_id=dataset_id)
        return GateOutcome(dataset_id, "held", "hold", cause=f"internal error {type(error).__name__}: {error}")


def _close_vanished(gate: Gate, store: StateStore, pending_ids: set[str]) -> None:
    """Close undecided datasets that left `pending` while held or interrupted.

    They are no longer listed, so without this they would stay held, and
    after enough holds stuck, for ever.
    """
    for dataset_id in store.undecided_datasets():
        if dataset_id in pending_ids:
            continue
        try:
            gate.close_if_decided_elsewhere(dataset_id)
        except AuthenticationError:
            raise
        except GerraError as error:
            log.warning("undecided_status_unknown", dataset_id=dataset_id, error=str(error))
