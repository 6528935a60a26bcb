"""Configure retries of Gerra calls: which failures, how often, how long to wait.

Backoff is capped exponential with random jitter. A 429 waits at least the
server's ``Retry-After`` (capped by `RetryPolicy.max_retry_after_s`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
import tenacity

from worker import metrics
from worker.gerra.errors import (
    GerraTransportError,
    RateLimitedError,
    ServerError,
    redact,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Limits for retrying one call.

    `max_attempts` counts the first try. The n-th retry waits
    ``min(initial_wait_s * 2**(n-1), max_wait_s)`` plus up to
    `jitter_s` of random delay.
    """

    max_attempts: int = 5
    initial_wait_s: float = 0.5
    max_wait_s: float = 30.0
    jitter_s: float = 0.5
    max_retry_after_s: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        for name in ("initial_wait_s", "max_wait_s", "jitter_s", "max_retry_after_s"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} must be zero or positive seconds, got {value}")

    def backoff_s(self, retry_number: int) -> float:
        """Return the wait before retry number ``retry_number`` (1-based), jitter included."""
        exponential = self.initial_wait_s * 2 ** max(0, retry_number - 1)
        return min(exponential, self.max_wait_s) + random.uniform(0, self.jitter_s)

    def next_wait_s(self, retry_state: tenacity.RetryCallState) -> float:
        """Return the wait before the next attempt, honouring a 429's ``Retry-After``."""
        backoff = self.backoff_s(retry_state.attempt_number)
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RateLimitedError) and error.retry_after_s is not None:
            return max(backoff, min(error.retry_after_s, self.max_retry_after_s))
        return backoff

    def retrying(
        self,
        *,
        retry_on: Callable[[BaseException], bool],
        operation: str,
        **log_fields: Any,
    ) -> tenacity.Retrying:
        """Build a tenacity controller that re-raises the last error when attempts run out."""
        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self.next_wait_s,
            retry=tenacity.retry_if_exception(retry_on),
            before_sleep=_log_retry(operation, log_fields),
            reraise=True,
        )


def _log_retry(
    operation: str, log_fields: dict[str, Any]
) -> Callable[[tenacity.RetryCallState], None]:
    def before_sleep(retry_state: tenacity.RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        metrics.RETRIES.labels(type(error).__name__).inc()
        log.warning(
            "gerra_call_retry",
            operation=operation,
            attempt=retry_state.attempt_number,
            cause=type(error).__name__,
            error=redact(str(error)),
            wait_s=round(wait, 3),
            **log_fields,
        )

    return before_sleep


def is_transient(error: BaseException) -> bool:
    """Tell whether a retry may succeed: 429, 5xx, timeouts and connection failures."""
    if isinstance(error, (RateLimitedError, ServerError)):
        return True
    return isinstance(error, GerraTransportError) and error.transient


def is_safe_to_resend(error: BaseException) -> bool:
    """Tell whether a non-idempotent request may be sent again without a read-back.

    Only a 429 and failures that happened before the request reached the
    server qualify. After a read timeout, a 5xx or a dropped connection the
    change may already have happened.
    """
    if isinstance(error, RateLimitedError):
        return True
    return (
        isinstance(error, GerraTransportError)
        and error.transient
        and not error.may_have_reached_server
    )
