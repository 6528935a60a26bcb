"""The rejection reason: suite, counts, each failure with numbers, within the limit."""

from worker.checks.results import CheckResult, Severity, Status
from worker.reason import build_reason
from worker.verdict import Evaluation, SuiteRef, Verdict


def _failure(rule: str, message: str, severity: Severity = Severity.ERROR, member: str | None = None) -> CheckResult:
    return CheckResult(check=rule, rule=rule, status=Status.FAILED, message=message, severity=severity,
                       member=member, suite="episode", suite_version="3")


def _evaluation(results: list[CheckResult]) -> Evaluation:
    return Evaluation(Verdict.REJECT, results, [SuiteRef("episode", "3")])


def test_reason_names_suite_counts_and_numbers() -> None:
    results = [
        CheckResult(check="ok", status=Status.PASSED, suite="episode"),
        _failure("nulls", "observed 45.2% null, allowed at most 5%", member="data/a.parquet"),
    ]
    reason = build_reason(_evaluation(results))
    assert reason.startswith("1 of 2 checks failed (suite episode v3).")
    assert "nulls (data/a.parquet): observed 45.2% null, allowed at most 5%" in reason


def test_reason_lists_errors_before_warnings() -> None:
    results = [_failure("soft", "warned", Severity.WARNING), _failure("hard", "broke")]
    reason = build_reason(_evaluation(results))
    assert reason.index("hard") < reason.index("soft")
    assert "[warning]" in reason


def test_reason_stays_within_limit_and_counts_left_out() -> None:
    results = [_failure(f"rule{i}", "x" * 120) for i in range(30)]
    reason = build_reason(_evaluation(results))
    assert len(reason) <= 1000
    assert "more not shown" in reason
    shown = sum(1 for i in range(30) if f"rule{i}:" in reason or f"rule{i} " in reason)
    left = int(reason.rsplit(" more not shown", 1)[0].rsplit(" ", 1)[1])
    assert shown + left == 30


def test_reason_fits_short_limit() -> None:
    results = [_failure("a", "y" * 500), _failure("b", "z" * 500)]
    reason = build_reason(_evaluation(results), limit=300)
    assert len(reason) <= 300
    assert "more not shown" in reason
