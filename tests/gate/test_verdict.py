"""Verdicts: only data faults reject; a check that could not run holds."""

from dataclasses import dataclass, field

from worker.checks.results import CheckResult, Severity, Status
from worker.verdict import Verdict, decide


@dataclass
class _Policy:
    max_warnings: int | None = None
    reject_on: str = "error"
    on_no_checks: str = "hold"


@dataclass
class _Suite:
    suite: str = "s"
    version: str = "1"
    policy: _Policy = field(default_factory=_Policy)


def _result(status: Status, severity: Severity = Severity.ERROR) -> CheckResult:
    return CheckResult(check="c", status=status, severity=severity, suite="s")


def test_no_suite_holds() -> None:
    evaluation = decide([], [])
    assert evaluation.verdict is Verdict.HOLD
    assert "no rule suite" in (evaluation.hold_cause or "")


def test_all_passed_accepts() -> None:
    assert decide([_Suite()], [_result(Status.PASSED)]).verdict is Verdict.ACCEPT


def test_error_failure_rejects() -> None:
    assert decide([_Suite()], [_result(Status.FAILED)]).verdict is Verdict.REJECT


def test_warning_failure_accepts() -> None:
    assert decide([_Suite()], [_result(Status.FAILED, Severity.WARNING)]).verdict is Verdict.ACCEPT


def test_crashed_check_holds_even_with_failures() -> None:
    evaluation = decide([_Suite()], [_result(Status.FAILED), _result(Status.ERROR)])
    assert evaluation.verdict is Verdict.HOLD


def test_too_many_warnings_reject_by_policy() -> None:
    suite = _Suite(policy=_Policy(max_warnings=1))
    results = [_result(Status.FAILED, Severity.WARNING), _result(Status.FAILED, Severity.WARNING)]
    evaluation = decide([suite], results)
    assert evaluation.verdict is Verdict.REJECT
    assert evaluation.policy_failures == ["suite s has 2 failed warnings, allowed at most 1"]


def test_reject_on_warning_policy() -> None:
    suite = _Suite(policy=_Policy(reject_on="warning"))
    evaluation = decide([suite], [_result(Status.FAILED, Severity.WARNING)])
    assert evaluation.verdict is Verdict.REJECT


def test_suite_with_only_skipped_checks_holds() -> None:
    evaluation = decide([_Suite()], [_result(Status.SKIPPED)])
    assert evaluation.verdict is Verdict.HOLD
    assert "ran no check" in (evaluation.hold_cause or "")


def test_on_no_checks_accept_policy() -> None:
    evaluation = decide([_Suite(policy=_Policy(on_no_checks="accept"))], [_result(Status.SKIPPED)])
    assert evaluation.verdict is Verdict.ACCEPT


def test_failure_beats_idle_suite() -> None:
    """One suite's failed check rejects even when another suite ran nothing."""
    evaluation = decide([_Suite(), _Suite(suite="other")], [_result(Status.FAILED)])
    assert evaluation.verdict is Verdict.REJECT


def test_idle_suite_holds_passing() -> None:
    evaluation = decide([_Suite(), _Suite(suite="other")], [_result(Status.PASSED)])
    assert evaluation.verdict is Verdict.HOLD
    assert "suite other ran no check" in (evaluation.hold_cause or "")


def test_unopenable_rejects_two_suites() -> None:
    from worker.evaluate import evaluate_unopenable

    class _RuleSet:
        def select(self, dataset):
            return [_Suite(), _Suite(suite="other")]

    evaluation = evaluate_unopenable(None, _RuleSet(), ValueError("truncated central directory"))
    assert evaluation.verdict is Verdict.REJECT
    assert evaluation.failures[0].message == "archive cannot be opened: truncated central directory"
