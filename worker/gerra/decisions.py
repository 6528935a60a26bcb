"""Post an accept or reject decision exactly once, even when responses get lost.

accept and reject are not idempotent: a second call on a dataset that the
first call already moved gets 422. So after any failure that may have reached
the server (read timeout, 5xx, dropped connection) the dataset is read back:

* still ``pending``: the change did not happen, so the decision is posted again
  (bounded attempts, backoff).
* our status (and, for reject, our reason in the metadata): a previous
  attempt succeeded but its response was lost, so the outcome is ``already_ours``.
  A previous attempt includes one sent by an earlier process that stopped
  before it recorded the outcome (``may_have_been_sent``).
* anything else: someone else decided or Gerra changed the dataset, so the
  outcome is ``decided_elsewhere`` with the status observed.

Failures that persist are raised (`GerraTransportError`, `ServerError`) so
the caller can hold the dataset and try again later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import structlog

from worker.gerra.errors import (
    DecisionNotApplied,
    ForbiddenError,
    GerraTransportError,
    NotFoundError,
    NotPendingError,
    ServerError,
    redact,
)
from worker.gerra.models import Dataset, DatasetStatus, StatusChange

if TYPE_CHECKING:
    from worker.gerra.client import GerraClient

log = structlog.get_logger(__name__)

Decision = Literal["accept", "reject"]
OutcomeKind = Literal["posted", "already_ours", "decided_elsewhere"]

_TARGET_STATUS: dict[str, str] = {
    "accept": DatasetStatus.ACCEPTED,
    "reject": DatasetStatus.REJECTED,
}


@dataclass(frozen=True)
class PostOutcome:
    """Result of one decision. `observed_status` is the dataset's status afterwards."""

    kind: OutcomeKind
    dataset_id: str
    decision: Decision
    observed_status: str
    attempts: int


class _StillPending(Exception):
    """Internal signal: an ambiguous failure left the dataset pending, so post again."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def post_decision(
    client: GerraClient,
    dataset_id: str,
    decision: Decision,
    reason: str | None = None,
    *,
    may_have_been_sent: bool = False,
) -> PostOutcome:
    """Post ``decision`` for ``dataset_id`` and classify the result.

    ``reason`` is required for reject and ignored for accept. Pass
    ``may_have_been_sent=True`` when an earlier process recorded this
    decision and may have posted it before it stopped: a status that matches
    the decision then counts as ``already_ours`` for accept too. Raises
    `GerraTransportError` or `ServerError` when the outcome stays unknown
    after the client's retry budget, and `DecisionNotApplied` when the post
    returned 403 or 404 but the dataset is still pending. Passes 401 through,
    and 403 or 404 when reading the dataset back returns the same.
    """
    if decision not in _TARGET_STATUS:
        raise ValueError(f"decision must be 'accept' or 'reject', got {decision!r}")
    if decision == "reject" and (reason is None or not reason.strip()):
        raise ValueError(
            f"rejecting dataset {dataset_id} needs a non-blank reason naming the failed checks"
        )
    poster = _Poster(client, dataset_id, decision, reason, maybe_applied=may_have_been_sent)
    retrying = client.retry_policy.retrying(
        retry_on=lambda error: isinstance(error, _StillPending),
        operation=f"post {decision}",
        dataset_id=dataset_id,
    )
    try:
        outcome = retrying(poster.attempt)
    except _StillPending as still_pending:
        raise still_pending.cause from None
    log.info(
        # Nothing was posted when another party decided first.
        "decision_not_posted" if outcome.kind == "decided_elsewhere" else "decision_posted",
        dataset_id=dataset_id,
        decision=decision,
        outcome=outcome.kind,
        status=outcome.observed_status,
        attempts=outcome.attempts,
    )
    return outcome


class _Poster:
    """One decision's attempts and whether any of them may have reached Gerra."""

    def __init__(
        self,
        client: GerraClient,
        dataset_id: str,
        decision: Decision,
        reason: str | None,
        *,
        maybe_applied: bool = False,
    ) -> None:
        self.client = client
        self.dataset_id = dataset_id
        self.decision = decision
        self.reason = reason
        self.attempts = 0
        self.maybe_applied = maybe_applied

    def attempt(self) -> PostOutcome:
        self.attempts += 1
        try:
            change = self._post()
        except NotPendingError as error:
            current = self.client.get_dataset(self.dataset_id)
            if current.is_pending:
                # Gerra moved it back to pending between our call and the read.
                raise _StillPending(error) from error
            return self._classify(current)
        except (NotFoundError, ForbiddenError) as error:
            # The response may come from a proxy rather than Gerra, so the
            # dataset is read back. A 403 or 404 there too propagates: it is gone.
            current = self.client.get_dataset(self.dataset_id)
            if current.is_pending:
                raise DecisionNotApplied(
                    f"{self.decision} of dataset {self.dataset_id} returned HTTP {error.status_code}, "
                    "but the dataset is still pending; the decision stays recorded and is posted on a later run"
                ) from error
            return self._classify(current)
        except (ServerError, GerraTransportError) as error:
            if isinstance(error, GerraTransportError) and not error.may_have_reached_server:
                raise
            self.maybe_applied = True
            log.warning(
                "decision_outcome_unknown",
                dataset_id=self.dataset_id,
                decision=self.decision,
                attempt=self.attempts,
                cause=type(error).__name__,
                error=redact(str(error)),
            )
            current = self.client.get_dataset(self.dataset_id)
            if current.is_pending:
                raise _StillPending(error) from error
            return self._classify(current)
        return self._outcome("posted", change.status)

    def _post(self) -> StatusChange:
        if self.decision == "accept":
            return self.client.accept(self.dataset_id)
        return self.client.reject(self.dataset_id, self.reason or "")

    def _classify(self, current: Dataset) -> PostOutcome:
        """Tell our own lost success apart from a decision made by someone else."""
        if self._matches(current) and (self.maybe_applied or self.decision == "reject"):
            # A reject carrying our exact reason can only be ours, even from an
            # earlier run. An accept looks the same whoever sent it, so it is
            # ours only if one of our attempts, or an earlier process's, may
            # have reached Gerra.
            return self._outcome("already_ours", current.status)
        log.info(
            "decision_made_elsewhere",
            dataset_id=self.dataset_id,
            decision=self.decision,
            status=current.status,
        )
        return self._outcome("decided_elsewhere", current.status)

    def _matches(self, current: Dataset) -> bool:
        if current.status != _TARGET_STATUS[self.decision]:
            return False
        return self.decision == "accept" or current.rejection_reason == self.reason

    def _outcome(self, kind: OutcomeKind, status: str) -> PostOutcome:
        return PostOutcome(
            kind=kind,
            dataset_id=self.dataset_id,
            decision=self.decision,
            observed_status=str(status),
            attempts=self.attempts,
        )
