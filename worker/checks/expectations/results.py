"""Turning merged expectation tallies into `CheckResult`s for one rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from worker.checks.expectations import messages
from worker.checks.expectations.batching import UnreadableMember
from worker.checks.expectations.plan import Kind, PlannedExpectation, RulePlan
from worker.checks.expectations.tally import Moments, Tally, UnitCounts
from worker.checks.expectations.units import ALL, describe_unit
from worker.checks.results import CheckResult, Example, Status

MAX_UNIT_DETAILS = 3
MAX_UNITS_IN_DETAILS = 50
_BOUND_ARGS = ("min_value", "max_value", "strict_min", "strict_max", "value", "value_set", "regex", "mostly")


@dataclass
class RuleEvidence:
    """Evidence the runner gathered for one rule: tallies per planned expectation and member faults."""

    plan: RulePlan
    tallies: list[Tally] = field(default_factory=list)
    unreadable: list[UnreadableMember] = field(default_factory=list)
    missing_columns: dict[str, list[str]] = field(default_factory=dict)
    members: int = 0


@dataclass
class Outcome:
    success: bool
    message: str
    observed: Any = None
    failed_count: int | None = None
    total_count: int | None = None
    examples: list[Example] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def rule_results(evidence: RuleEvidence, max_examples: int) -> list[CheckResult]:
    """Return the rule's results: one per planned expectation that fails (one if all pass), plus member faults."""
    plan = evidence.plan
    check = plan.rule.expectation
    if plan.error:
        return [CheckResult(check=check, status=Status.ERROR, message=plan.error)]
    if plan.data_fault:
        column = plan.rule.args.get("column")
        return [CheckResult(check=check, status=Status.FAILED, message=plan.data_fault, column=column)]
    results = _member_faults(evidence, check, max_examples)
    if evidence.members and len(evidence.unreadable) == evidence.members:
        return results
    if evidence.members == 0:
        results.append(
            CheckResult(
                check=check,
                status=Status.FAILED,
                message=f"no member matches {plan.rule.members!r}, so {check} has nothing to check",
                failed_count=0,
                total_count=0,
            )
        )
        return results

    element_results = [_tally_result(plan, tally, max_examples) for tally in evidence.tallies]
    failing = [r for r in element_results if r.status is not Status.PASSED]
    if failing or len(element_results) == 1:
        results.extend(failing or element_results)
    else:
        reference = plan.rule.args.get("column", "table")
        results.append(
            CheckResult(
                check=check,
                status=Status.PASSED,
                message=f"all {len(element_results)} columns of {reference} pass {check}",
                column=str(reference),
                total_count=len(element_results),
                failed_count=0,
            )
        )
    return results


def _member_faults(evidence: RuleEvidence, check: str, max_examples: int) -> list[CheckResult]:
    results = []
    if evidence.unreadable:
        count = len(evidence.unreadable)
        first = evidence.unreadable[0]
        results.append(
            CheckResult(
                check=check,
                status=Status.FAILED,
                message=f"{count:,} of {evidence.members:,} members cannot be read as tables, first {first.member}: {first.cause}",
                member=first.member,
                failed_count=count,
                total_count=evidence.members,
                examples=[Example(member=u.member, value=u.cause) for u in evidence.unreadable[:max_examples]],
            )
        )
    if evidence.missing_columns:
        count = len(evidence.missing_columns)
        first, columns = next(iter(evidence.missing_columns.items()))
        results.append(
            CheckResult(
                check=check,
                status=Status.FAILED,
                message=f"{count:,} of {evidence.members:,} members lack column {', '.join(columns)}, first {first}",
                member=first,
                column=columns[0],
                failed_count=count,
                total_count=evidence.members,
                examples=[
                    Example(member=m, column=", ".join(c)) for m, c in list(evidence.missing_columns.items())[:max_examples]
                ],
            )
        )
    return results


def _tally_result(plan: RulePlan, tally: Tally, max_examples: int) -> CheckResult:
    planned = tally.planned
    expected = {k: planned.kwargs[k] for k in _BOUND_ARGS if k in planned.kwargs}
    if tally.ge_errors:
        return CheckResult(
            check=planned.expectation_type,
            status=Status.ERROR,
            message=f"great-expectations could not evaluate {planned.expectation_type} on {planned.label}: {tally.ge_errors[0]}",
            column=planned.label,
        )
    if planned.kind is Kind.SCHEMA:
        outcome = _schema_outcome(plan, tally, max_examples)
    elif plan.scope == ALL:
        outcome = _whole_outcome(tally)
    else:
        outcome = _unit_outcome(plan, tally, max_examples)
        expected = {**expected, **_allowance(plan.rule)}
    if outcome is None:
        return CheckResult(
            check=planned.expectation_type,
            status=Status.ERROR,
            message=(
                f"{planned.expectation_type} ran on {tally.batches} batches and its results cannot be merged; "
                "raise the batch memory budget so that all members fit in one batch, or narrow `members`"
            ),
            column=planned.label,
        )
    return CheckResult(
        check=planned.expectation_type,
        status=Status.PASSED if outcome.success else Status.FAILED,
        message=outcome.message,
        column=planned.label,
        observed=outcome.observed,
        expected=expected,
        failed_count=outcome.failed_count,
        total_count=outcome.total_count,
        examples=outcome.examples,
        details={"batches": tally.batches, **outcome.details},
    )


def map_success(unexpected: int, checked: int, mostly: float) -> bool:
    """Apply `mostly` as great-expectations does: the passing share of checked rows must reach it."""
    if checked == 0:
        return True
    return (checked - unexpected) / checked >= mostly


def bounds_success(planned: PlannedExpectation, value: Any) -> bool:
    kwargs = planned.kwargs
    if value is None:
        return False
    if "value" in kwargs:
        return value == kwargs["value"]
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and (value <= low if kwargs.get("strict_min") else value < low):
        return False
    if high is not None and (value >= high if kwargs.get("strict_max") else value > high):
        return False
    return True


def _whole_outcome(tally: Tally) -> Outcome | None:
    planned = tally.planned
    if planned.kind is Kind.MAP and not (planned.relational and tally.batches > 1):
        checked = tally.element_count - tally.missing_count if tally.counts_missing else tally.element_count
        unexpected = tally.unexpected_count
        first = tally.examples[0] if tally.examples else None
        share = 100.0 * unexpected / checked if checked else 0.0
        return Outcome(
            success=map_success(unexpected, checked, planned.mostly),
            message=messages.map_sentence(planned.expectation_type, planned.kwargs, planned.label, unexpected, checked, first),
            observed=round(share, 4),
            failed_count=unexpected,
            total_count=checked,
            examples=list(tally.examples),
            details={"element_count": tally.element_count, "missing_count": tally.missing_count},
        )
    if len(tally.batch_outcomes) == 1:
        success, value = tally.batch_outcomes[0]
    elif planned.kind is Kind.AGGREGATE and planned.statistic is not None:
        moments = tally.units.get(ALL, Moments())
        value = moments.statistic(planned.statistic)
        success = bounds_success(planned, value)
    elif planned.kind is Kind.BATCH:
        success = all(ok for ok, _ in tally.batch_outcomes)
        value = next((v for ok, v in tally.batch_outcomes if not ok), tally.batch_outcomes[0][1] if tally.batch_outcomes else None)
    else:
        return None
    value = _plain(value)
    return Outcome(
        success=success,
        message=messages.aggregate_sentence(planned.statistic, planned.expectation_type, planned.kwargs, planned.label, value),
        observed=value,
    )


def _schema_outcome(plan: RulePlan, tally: Tally, max_examples: int) -> Outcome:
    planned = tally.planned
    failing = [(member, outcome.observed) for member, outcome in tally.units.items() if not outcome.success]
    total = len(tally.units)
    if plan.scope == ALL:
        success = not failing
        allowance = "0"
    else:
        success = units_within_allowance(plan.rule, len(failing), total)
        allowance = _allowance_text(_allowance(plan.rule))
    details = [
        f"member {member}: {planned.expectation_type} observed {messages.number(observed)}"
        for member, observed in failing[:MAX_UNIT_DETAILS]
    ]
    return Outcome(
        success=success,
        message=messages.unit_sentence(len(failing), total, "member", allowance, details),
        observed=len(failing),
        failed_count=len(failing),
        total_count=total,
        examples=[Example(member=member, value=observed) for member, observed in failing[:max_examples]],
        details={"failing_units": [{"unit": f"member {m}", "observed": o} for m, o in failing[:MAX_UNITS_IN_DETAILS]]},
    )


def _unit_outcome(plan: RulePlan, tally: Tally, max_examples: int) -> Outcome:
    planned = tally.planned
    failing: list[tuple[Any, str, Example, dict[str, Any]]] = []
    for key, unit in tally.units.items():
        name = describe_unit(plan.scope, key)
        if isinstance(unit, UnitCounts):
            if map_success(unit.unexpected, unit.checked, planned.mostly):
                continue
            sentence = messages.map_sentence(
                planned.expectation_type, planned.kwargs, planned.label, unit.unexpected, unit.checked, unit.first
            )
            example = unit.first or _unit_example(plan.scope, key, planned.label, unit.unexpected)
            record = {"unit": name, "unexpected": unit.unexpected, "checked": unit.checked}
        else:
            value = _plain(unit.statistic(planned.statistic or ""))
            if bounds_success(planned, value):
                continue
            sentence = messages.aggregate_sentence(planned.statistic, planned.expectation_type, planned.kwargs, planned.label, value)
            example = _unit_example(plan.scope, key, planned.label, value)
            record = {"unit": name, "observed": value}
        failing.append((key, f"{name}: {sentence}", example, record))

    total = len(tally.units)
    failed = len(failing)
    allowance = _allowance(plan.rule)
    success = units_within_allowance(plan.rule, failed, total)
    details = [text for _, text, _, _ in failing[:MAX_UNIT_DETAILS]]
    message = messages.unit_sentence(failed, total, plan.scope, _allowance_text(allowance), details)
    return Outcome(
        success=success,
        message=message,
        observed=failed,
        failed_count=failed,
        total_count=total,
        examples=[example for _, _, example, _ in failing[:max_examples]],
        details={"failing_units": [record for _, _, _, record in failing[:MAX_UNITS_IN_DETAILS]]},
    )


def units_within_allowance(rule: Any, failed: int, total: int) -> bool:
    """Tell whether `failed` of `total` units is tolerated by the rule's thresholds.

    Uses the rule's own `fails_with` when it has one. Otherwise, as there,
    the rule fails when the failures exceed any threshold that is set, and
    on any failure when neither is set.
    """
    if hasattr(rule, "fails_with"):
        return not rule.fails_with(failed, total)
    if failed <= 0:
        return True
    allowance = _allowance(rule)
    count, share = allowance["max_failed_count"], allowance["max_failed_percent"]
    if count is None and share is None:
        return False
    if count is not None and failed > count:
        return False
    return share is None or 100.0 * failed / (total or 1) <= share


def _allowance(rule: Any) -> dict[str, Any]:
    return {
        "max_failed_percent": getattr(rule, "max_failed_percent", None),
        "max_failed_count": getattr(rule, "max_failed_count", None),
    }


def _allowance_text(allowance: dict[str, Any]) -> str:
    count, share = allowance["max_failed_count"], allowance["max_failed_percent"]
    if count is None and share is None:
        return "0"
    if share is None:
        return f"{count:,}"
    if count is None:
        return f"{share:g}%"
    return f"{count:,} and {share:g}%"


def _unit_example(scope: str, key: Any, label: str, value: Any) -> Example:
    if scope == "episode" and isinstance(key, int):
        return Example(episode=key, column=label, value=value)
    return Example(member=str(key), column=label, value=value)


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value
