"""Gate one pending dataset: fetch, download, open, check, decide, post, record.

Every step that can fail on the gate's side (network, API, disk, a crashing
check) ends in a hold, which posts nothing and leaves the dataset for a later
run. A decision is recorded as an intent before it is posted and marked
posted after, so a crash between the two is finished by the next run instead
of being posted twice.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from worker import __version__, metrics
from worker.checks.context import DatasetInfo
from worker.inspection import Inspection, InspectionRequest, inspect_in_child
from worker.gerra.client import GerraClient
from worker.gerra.decisions import post_decision
from worker.gerra.errors import AuthenticationError, ForbiddenError, GerraError, NotFoundError
from worker.gerra.models import Dataset, DatasetStatus
from worker.progress import check_progress, download_progress
from worker.reason import build_reason
from worker.reports.html_report import html_path_for, try_write_html_report
from worker.reports.json_report import GateRecord, write_json_report
from worker.rules.loader import RuleSet
from worker.settings import Settings
from worker.lease import LeaseKeeper
from worker.state import Decision, LeaseLostError, StateStore, utc_now
from worker.verdict import Evaluation, Verdict
from worker.webhook import rejection_payload, send_notice, stuck_payload

log = structlog.get_logger(__name__)

# Statuses that no later change moves back to pending.
FINAL_STATUSES = frozenset(
    {DatasetStatus.ACCEPTED, DatasetStatus.REJECTED, DatasetStatus.SUPERSEDED, DatasetStatus.DISCARDED}
)


class HoldError(Exception):
    """A step failed on the gate's side; the dataset is held and retried later."""


@dataclass
class GateOutcome:
    """Outcome of one dataset in one run."""

    dataset_id: str
    action: str  # accepted, rejected, held, skipped, decided_elsewhere, dry_run
    verdict: str | None = None
    reason: str | None = None
    report_path: Path | None = None
    cause: str | None = None
    archive_sha256: str | None = None
    timings_s: dict[str, float] = field(default_factory=dict)


def dataset_info(dataset: Dataset) -> DatasetInfo:
    return DatasetInfo(
        id=dataset.id,
        name=dataset.name or "",
        data_type=dataset.data_type or "",
        metadata=dict(dataset.metadata or {}),
        description=dataset.description,
    )


class Gate:
    """Gates datasets one at a time with a shared client, store and rule set."""

    def __init__(self, settings: Settings, client: GerraClient, store: StateStore, rule_set: RuleSet) -> None:
        self.settings = settings
        self.client = client
        self.store = store
        self.rule_set = rule_set
        # Recorded decisions this run already tried to post: one try per run, so the hold count is a count of runs.
        self.posted_this_run: set[str] = set()

    # Entry point

    def gate(self, summary: Dataset) -> GateOutcome:
        dataset_id = summary.id
        self.store.record_seen(dataset_id, summary.name, summary.data_type)
        # The lease comes first: another process may be deciding or posting
        # this dataset, and its decision is only read once that process is done.
        if not self.store.acquire_lease(dataset_id, self.settings.lease_s):
            log.info("dataset_busy_elsewhere", dataset_id=dataset_id)
            return GateOutcome(dataset_id, "skipped", cause="another gate process is working on it")
        try:
            with LeaseKeeper(self.store, dataset_id, self.settings.lease_s):
                return self._gate_leased(summary)
        finally:
            self.store.release_lease(dataset_id)

    def _gate_leased(self, summary: Dataset) -> GateOutcome:
        dataset_id = summary.id
        existing = self.store.decision(dataset_id)
        if existing is not None and not existing.dry_run:
            if existing.post_state == "decided_elsewhere":
                # Listed as pending again: the reviewer who decided it, or Gerra, moved it back.
                log.info("dataset_pending_again", dataset_id=dataset_id, previous_status=existing.observed_status)
                self.store.reopen(dataset_id)
            elif existing.is_final:
                return GateOutcome(dataset_id, "skipped", existing.verdict, cause="already decided")
            elif self.settings.dry_run:
                return GateOutcome(dataset_id, "skipped", existing.verdict,
                                   cause="a recorded decision waits for a run that is not a dry run to post it")
            else:
                return self._finish_recorded(existing)

        if self._waiting_after_hold(dataset_id):
            return GateOutcome(dataset_id, "skipped", cause="waiting before the next attempt after a hold")
        return self._attempt(summary)

    def _waiting_after_hold(self, dataset_id: str) -> bool:
        return self.store.hold_state(dataset_id).next_attempt_at > time.time()

    def finish_recorded(self, decision: Decision) -> GateOutcome:
        """Post a decision that an earlier process recorded, unless another live process has leased the dataset."""
        dataset_id = decision.dataset_id
        if not self.store.acquire_lease(dataset_id, self.settings.lease_s):
            log.info("dataset_busy_elsewhere", dataset_id=dataset_id)
            return GateOutcome(dataset_id, "skipped", cause="another gate process is working on it")
        try:
            current = self.store.decision(dataset_id)
            if current is None or current.is_final or current.dry_run:
                # The process that held the lease finished the post meanwhile.
                return GateOutcome(dataset_id, "skipped", cause="already decided")
            return self._finish_recorded(current)
        finally:
            self.store.release_lease(dataset_id)

    def _finish_recorded(self, decision: Decision) -> GateOutcome:
        dataset_id = decision.dataset_id
        if dataset_id in self.posted_this_run:
            return GateOutcome(dataset_id, "skipped", cause="its recorded decision was tried earlier in this run")
        if self._waiting_after_hold(dataset_id):
            return GateOutcome(dataset_id, "skipped", cause="waiting before the next attempt after a hold")
        self.posted_this_run.add(dataset_id)
        try:
            return self.finish_post(decision, may_have_been_sent=True)
        except AuthenticationError:
            raise
        except GerraError as error:
            # The decision stays recorded as an intent; a later run posts it.
            log.warning("in_flight_post_failed", dataset_id=dataset_id, error=str(error))
            metrics.HOLDS.labels(type(error).__name__).inc()
            cause = f"posting the recorded {decision.verdict} failed: {type(error).__name__}: {error}"
            return self._record_hold(dataset_id, decision.name, cause)

    def close_if_decided_elsewhere(self, dataset_id: str) -> None:
        """Record an undecided dataset that someone else moved to a final status, so it stops counting as held."""
        if not self.store.acquire_lease(dataset_id, self.settings.lease_s):
            return
        try:
            existing = self.store.decision(dataset_id)
            if existing is not None and not existing.dry_run:
                return
            try:
                details = self.client.get_dataset(dataset_id)
            except (NotFoundError, ForbiddenError) as error:
                # Deleted, or moved to another organisation: no run can decide it.
                status = "not_found" if isinstance(error, NotFoundError) else "forbidden"
                self.store.record_decided_elsewhere(dataset_id, None, None, status)
                self.store.clear_holds(dataset_id)
                log.info("dataset_not_pending", dataset_id=dataset_id, status=status)
                return
            if details.status not in FINAL_STATUSES:
                return
            self.store.record_decided_elsewhere(dataset_id, details.name, details.data_type, str(details.status))
            self.store.clear_holds(dataset_id)
            log.info("dataset_not_pending", dataset_id=dataset_id, status=details.status)
        finally:
            self.store.release_lease(dataset_id)

    def _attempt(self, summary: Dataset) -> GateOutcome:
        """Gate the dataset once under its lease, turning every failure of ours into a hold."""
        dataset_id = summary.id
        attempt = self.store.start_attempt(dataset_id)
        work_dir = self.settings.work_dir / dataset_id
        started = time.monotonic()
        try:
            outcome = self._gate(summary, work_dir)
            self.store.finish_attempt(attempt, outcome.action, outcome.cause, outcome.archive_sha256)
            if outcome.action != "held":
                self.store.clear_holds(dataset_id)
        except AuthenticationError:
            self.store.finish_attempt(attempt, "aborted", "API key rejected (401)", None)
            raise
        except LeaseLostError as error:
            # The process that took the lease gates the dataset; nothing of ours was posted.
            log.warning("dataset_lease_lost", dataset_id=dataset_id, error=str(error))
            self.store.finish_attempt(attempt, "skipped", str(error), None)
            outcome = GateOutcome(dataset_id, "skipped", cause=str(error))
        except (HoldError, GerraError, OSError) as error:
            metrics.HOLDS.labels(type(error).__name__).inc()
            outcome = self._hold(dataset_id, attempt, f"{type(error).__name__}: {error}")
        except Exception as error:  # noqa: BLE001 - a bug of ours must hold the dataset, not stop the run
            log.exception("gate_crashed", dataset_id=dataset_id)
            metrics.HOLDS.labels(type(error).__name__).inc()
            outcome = self._hold(dataset_id, attempt, f"internal error {type(error).__name__}: {error}")
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
            log.debug("dataset_finished", dataset_id=dataset_id, elapsed_s=round(time.monotonic() - started, 3))
        metrics.DATASETS.labels(outcome.action, summary.data_type or "unknown").inc()
        return outcome

    # Steps

    def _gate(self, summary: Dataset, work_dir: Path) -> GateOutcome:
        timings: dict[str, float] = {}
        dataset_id = summary.id

        details = self.client.get_dataset(dataset_id)
        if details.status != "pending":
            self.store.record_decided_elsewhere(dataset_id, details.name, details.data_type, str(details.status))
            log.info("dataset_not_pending", dataset_id=dataset_id, status=details.status)
            return GateOutcome(dataset_id, "decided_elsewhere", cause=f"status is {details.status}")

        size = int(details.data_byte_size or 0)
        if size > self.settings.max_archive_bytes:
            raise HoldError(
                f"archive is {size:,} bytes, above max_archive_bytes ({self.settings.max_archive_bytes:,}); "
                "raise the limit to gate this dataset"
            )
        info = dataset_info(details)
        if not self.rule_set.select(info):
            raise HoldError(f"no rule suite applies to data_type {info.data_type!r}; add a suite in the rules folder")
        iterations = self._iterations(dataset_id)

        tick = time.monotonic()
        work_dir.mkdir(parents=True, exist_ok=True)
        download = self.client.download(
            dataset_id, work_dir / "archive.zip", expected_size=int(details.data_byte_size or 0),
            progress=download_progress(details.name or dataset_id),
        )
        timings["download"] = time.monotonic() - tick
        metrics.DOWNLOAD_BYTES.inc(download.size)
        metrics.DOWNLOAD_SECONDS.observe(timings["download"])
        log.info("archive_downloaded", dataset_id=dataset_id, bytes=download.size, sha256=download.sha256,
                 elapsed_s=round(timings["download"], 3))

        if not self.store.acquire_lease(dataset_id, self.settings.lease_s):
            raise LeaseLostError(f"another process took the lease on dataset {dataset_id} during the download")
        tick = time.monotonic()
        inspection = self._check(download.path, info, work_dir, iterations)
        evaluation = inspection.evaluation
        timings["checks"] = time.monotonic() - tick
        metrics.CHECK_SECONDS.labels(info.data_type or "unknown").observe(timings["checks"])
        for failure in evaluation.failures:
            metrics.CHECK_FAILURES.labels(failure.rule or failure.check, failure.severity.value).inc()
        log.info("dataset_checked", dataset_id=dataset_id, verdict=evaluation.verdict.value,
                 failed=len(evaluation.failures), elapsed_s=round(timings["checks"], 3))

        if evaluation.verdict is Verdict.HOLD:
            raise HoldError(evaluation.hold_cause or "a check could not run")
        if evaluation.verdict is Verdict.REJECT:
            self._confirm_bytes(dataset_id, details, work_dir, download.sha256)

        reason = build_reason(evaluation) if evaluation.verdict is Verdict.REJECT else None
        record = GateRecord(
            dataset=details.model_dump(mode="json", exclude={"signed_url"}),
            evaluation=evaluation,
            reason=reason,
            archive={"sha256": download.sha256, "bytes": download.size, **inspection.archive},
            report_data=inspection.report_data,
            rules_digest=self.rule_set.digest,
            iterations=iterations,
            timings_s=timings,
            dry_run=self.settings.dry_run,
        )
        report_path = write_json_report(record, self.settings.reports_path)
        html_path = try_write_html_report(record, report_path, self.rule_set)
        outcome = self._decide(details, evaluation, reason, download.sha256, report_path)
        if outcome.verdict == "reject" and outcome.action == "dry_run":
            notice = rejection_payload(details.id, details.name, details.data_type, reason,
                                       str(html_path or report_path), dry_run=True)
            send_notice(self.settings.webhook_url, notice)
        outcome.timings_s = timings
        outcome.archive_sha256 = download.sha256
        return outcome

    def _iterations(self, dataset_id: str) -> Any:
        try:
            return self.client.iterations(dataset_id)
        except (NotFoundError, ForbiddenError) as error:
            log.info("iterations_unavailable", dataset_id=dataset_id, error=str(error))
            return None

    def _check(self, archive: Path, info: DatasetInfo, work_dir: Path, iterations: Any) -> Inspection:
        request = InspectionRequest(
            archive=archive, dataset=info, rule_set=self.rule_set, work_dir=work_dir,
            iterations=iterations, timeout_s=self.settings.check_timeout_s, limits=self.settings.archive_limits(),
            prior_results=self._prior_results(iterations, info.id),
            memory_budget_bytes=self.settings.memory_budget_mb * 1024 * 1024,
        )
        with check_progress(info.name or info.id):
            return inspect_in_child(request, self.settings.hard_check_timeout_s)

    def _prior_results(self, iterations: Any, dataset_id: str) -> dict[str, list[dict[str, Any]]]:
        """Load the check results the gate recorded for the other versions of this dataset."""
        prior: dict[str, list[dict[str, Any]]] = {}
        for item in getattr(iterations, "iterations", None) or []:
            other = str(getattr(item, "dataset_id", "") or "")
            decision = self.store.decision(other) if other and other != dataset_id else None
            if decision is None or not decision.report_path:
                continue
            try:
                prior[other] = json.loads(Path(decision.report_path).read_text())["results"]
            except (OSError, ValueError, KeyError) as error:
                log.info("prior_report_unreadable", dataset_id=dataset_id, version_id=other, error=str(error))
        return prior

    def _confirm_bytes(self, dataset_id: str, details: Dataset, work_dir: Path, sha256: str) -> None:
        """Download again before a rejection, so corruption in transit never rejects."""
        second = self.client.download(
            dataset_id, work_dir / "archive-confirm.zip", expected_size=int(details.data_byte_size or 0)
        )
        second.path.unlink(missing_ok=True)
        if second.sha256 != sha256:
            raise HoldError(
                f"archive bytes differ between two downloads (sha256 {sha256[:12]} then {second.sha256[:12]}); "
                "not rejecting on bytes that may have been corrupted in transit"
            )

    def _decide(
        self, details: Dataset, evaluation: Evaluation, reason: str | None, sha256: str, report_path: Path
    ) -> GateOutcome:
        verdict = evaluation.verdict.value
        decision = Decision(
            dataset_id=details.id, name=details.name, data_type=details.data_type, verdict=verdict,
            reason=reason, failed_checks=len(evaluation.failures), archive_sha256=sha256,
            rules_digest=self.rule_set.digest, gate_version=__version__, report_path=str(report_path),
            decided_at=utc_now(), post_state="intent", posted_at=None, observed_status=None,
            dry_run=self.settings.dry_run,
        )
        self.store.record_intent(decision, under_lease=True)
        if self.settings.dry_run:
            log.info("dry_run_decision", dataset_id=details.id, verdict=verdict, reason=reason)
            return GateOutcome(details.id, "dry_run", verdict, reason, report_path)
        return self.finish_post(decision)

    def finish_post(self, decision: Decision, *, may_have_been_sent: bool = False) -> GateOutcome:
        """Post a recorded decision, or reconcile it with the dataset's current status.

        `may_have_been_sent` is true when an earlier process recorded the
        decision and may have posted it before it stopped.
        """
        try:
            outcome = post_decision(
                self.client, decision.dataset_id, decision.verdict, decision.reason,
                may_have_been_sent=may_have_been_sent,
            )
        except (NotFoundError, ForbiddenError) as error:
            # The dataset is gone or no longer ours: nothing can be posted, ever.
            status = "not_found" if isinstance(error, NotFoundError) else "forbidden"
            self.store.record_post(decision.dataset_id, "decided_elsewhere", status)
            log.warning("decision_not_postable", dataset_id=decision.dataset_id, error=str(error))
            return GateOutcome(decision.dataset_id, "decided_elsewhere", decision.verdict, decision.reason,
                               cause=f"dataset is {status.replace('_', ' ')}")
        self.store.record_post(decision.dataset_id, outcome.kind, outcome.observed_status)
        # Holds from failed posts of this decision no longer apply.
        self.store.clear_holds(decision.dataset_id)
        report = Path(decision.report_path) if decision.report_path else None
        if outcome.kind == "decided_elsewhere":
            log.warning("decided_elsewhere", dataset_id=decision.dataset_id, status=outcome.observed_status)
            return GateOutcome(decision.dataset_id, "decided_elsewhere", decision.verdict, decision.reason, report,
                               cause=f"status is {outcome.observed_status}")
        action = "accepted" if decision.verdict == "accept" else "rejected"
        log.info("dataset_decided", dataset_id=decision.dataset_id, verdict=decision.verdict, post=outcome.kind)
        if action == "rejected":
            # Sent here rather than after the checks, so a rejection that a later
            # run posts for a killed process is announced too.
            self._notify_rejection(decision, report)
        return GateOutcome(decision.dataset_id, action, decision.verdict, decision.reason, report)

    def _notify_rejection(self, decision: Decision, report: Path | None) -> None:
        html = html_path_for(report) if report is not None else None
        link = html if html is not None and html.is_file() else report
        notice = rejection_payload(decision.dataset_id, decision.name, decision.data_type, decision.reason,
                                   str(link) if link else None, dry_run=False)
        send_notice(self.settings.webhook_url, notice)

    def _hold(self, dataset_id: str, attempt: int, cause: str) -> GateOutcome:
        self.store.finish_attempt(attempt, "held", cause, None)
        return self._record_hold(dataset_id, None, cause)

    def _record_hold(self, dataset_id: str, name: str | None, cause: str) -> GateOutcome:
        """Record a hold with exponential backoff, and send the stuck notice when it is the last allowed."""
        previous = self.store.hold_state(dataset_id).holds
        backoff = min(self.settings.hold_backoff_s * (2**previous), self.settings.hold_backoff_max_s)
        state = self.store.record_hold(dataset_id, cause, backoff, self.settings.max_hold_attempts)
        if state.stuck and state.holds == self.settings.max_hold_attempts:
            send_notice(self.settings.webhook_url, stuck_payload(dataset_id, name, state.holds, cause))
        event = log.error if state.stuck else log.warning
        event("dataset_held", dataset_id=dataset_id, cause=cause, holds=state.holds, stuck=state.stuck,
              retry_in_s=round(backoff, 1))
        return GateOutcome(dataset_id, "held", "hold", cause=cause)
