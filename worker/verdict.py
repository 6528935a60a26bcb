"""From check results to a verdict: accept, reject, or hold.

Only faults in the data reject. A check that could not run (status `error`),
a dataset that no suite covers, or anything else on the gate's side holds the
dataset: nothing is posted and a later run tries again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from worker.checks.results import CheckResult, Severity, Status


class Verdict(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    HOLD = "hold"


@dataclass(frozen=True)
class SuiteRef:
    name: str
    version: str


@dataclass
class Evaluation:
    """The verdict on one dataset with everything that led to it."""

    verdict: Verdict
    results: list[CheckResult]
    suites: list[SuiteRef]
    hold_cause: str | None = None
    policy_failures: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.status is Status.FAILED]

    @property
    def blocking_failures(self) -> list[CheckResult]:
        return [r for r in self.failures if r.severity is Severity.ERROR]

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.results:
            counts[result.status.value] += 1
        return counts


def _policy_value(suite: Any, name: str, default: Any) -> Any:
    policy = getattr(suite, "policy", None)
    return getattr(policy, name, default) if policy is not None else default


def decide(suites: Sequence[Any], results: list[CheckResult]) -> Evaluation:
    """Reach the verdict for `results` produced by `suites`."""
    refs = [SuiteRef(s.suite, str(s.version)) for s in suites]
    if not suites:
        return Evaluation(Verdict.HOLD, results, refs, hold_cause="no rule suite applies to this dataset")

    crashed = [r for r in results if r.status is Status.ERROR]
    if crashed:
        first = crashed[0]
        cause = f"{len(crashed)} check(s) could not run; first: {first.rule or first.check}: {first.message}"
        return Evaluation(Verdict.HOLD, results, refs, hold_cause=cause)

    policy_failures = []
    for suite in suites:
        max_warnings = _policy_value(suite, "max_warnings", None)
        if _policy_value(suite, "reject_on", "error") == "warning":
            max_warnings = 0
        warnings = [
            r for r in results
            if r.suite == suite.suite and r.status is Status.FAILED and r.severity is Severity.WARNING
        ]
        if max_warnings is not None and len(warnings) > max_warnings:
            policy_failures.append(
                f"suite {suite.suite} has {len(warnings)} failed warnings, allowed at most {max_warnings}"
            )

    idle_cause = None
    for suite in suites:
        ran = [r for r in results if r.suite == suite.suite and r.status in (Status.PASSED, Status.FAILED)]
        if ran:
            continue
        action = _policy_value(suite, "on_no_checks", "hold")
        if action == "hold" and idle_cause is None:
            idle_cause = f"suite {suite.suite} ran no check on this dataset (every rule was skipped or disabled)"
        if action == "reject":
            policy_failures.append(f"suite {suite.suite} ran no check on this dataset")

    evaluation = Evaluation(Verdict.ACCEPT, results, refs, policy_failures=policy_failures)
    if evaluation.blocking_failures:
        # A failed error-severity check rejects whatever a suite that ran nothing would have found.
        evaluation.verdict = Verdict.REJECT
    elif idle_cause is not None:
        return Evaluation(Verdict.HOLD, results, refs, hold_cause=idle_cause)
    elif policy_failures:
        evaluation.verdict = Verdict.REJECT
    return evaluation
