"""Evaluation engine: runs every enabled rule of the selected suites on one dataset.

Built-in checks (`check:`) are looked up in the registry and called one by
one. Expectation rules (`expectation:`) that read the same `members` glob are
run together by `worker.checks.expectations`, one great-expectations
validation per batch of members. Every result is stamped with its suite,
suite version, rule name and severity.

Fault attribution: a crash in a check or in the runner becomes a
`Status.ERROR` result (the gate's fault, so the dataset is held), while a
table that cannot be read becomes a `Status.FAILED` result naming the member
(the vendor's fault). Results that finish after `ctx.deadline` become ERROR
results with the message "timed out", and rules not yet started are not run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import structlog

from worker.archive.errors import ArchiveError
from worker.checks.context import CheckContext
from worker.checks.expectations import DeadlineExceeded, RunnerOptions, group_by_members, run_group
from worker.checks.registry import get_check
from worker.checks.results import CheckResult, Status

log = structlog.get_logger(__name__)

TIMED_OUT = "timed out"


def run_suites(suites: Iterable[Any], ctx: CheckContext, options: RunnerOptions | None = None) -> list[CheckResult]:
    """Run every enabled rule of `suites` on the dataset of `ctx` and return all results in rule order.

    A suite is any object with `suite` (name), `version` and `rules`.
    """
    results: list[CheckResult] = []
    for suite in suites:
        results.extend(run_suite(suite, ctx, options))
    return results


def run_suite(suite: Any, ctx: CheckContext, options: RunnerOptions | None = None) -> list[CheckResult]:
    """Run one suite's enabled rules; see `run_suites`."""
    started = time.monotonic()
    rules = [(position, rule) for position, rule in enumerate(suite.rules) if getattr(rule, "enabled", True)]
    by_position: dict[int, list[CheckResult]] = {}

    expectation_rules = [(p, r) for p, r in rules if r.expectation is not None]
    for pattern, group in group_by_members(expectation_rules).items():
        by_position.update(_run_expectation_group(pattern, group, ctx, options))

    for position, rule in rules:
        if rule.check is not None:
            by_position[position] = _run_builtin(rule, ctx)

    results = []
    for position, rule in rules:
        for result in by_position.get(position, []):
            results.append(_stamp(result, suite, rule))

    log.info(
        "suite_evaluated",
        dataset_id=ctx.dataset.id,
        suite=suite.suite,
        suite_version=str(suite.version),
        rules=len(rules),
        results=len(results),
        failed=sum(r.status is Status.FAILED for r in results),
        errors=sum(r.status is Status.ERROR for r in results),
        elapsed_s=round(time.monotonic() - started, 3),
    )
    return results


def _run_builtin(rule: Any, ctx: CheckContext) -> list[CheckResult]:
    started = time.monotonic()
    if _past_deadline(ctx):
        results = [_error(rule.check, f"{TIMED_OUT}: the check deadline (check_timeout_s) passed before {rule.check} started")]
    else:
        results = _call_builtin(rule, ctx)
        if _past_deadline(ctx):
            results = [_error(rule.check, f"{TIMED_OUT}: {rule.check} finished after the check deadline (check_timeout_s)")]
    log.debug("rule_evaluated", dataset_id=ctx.dataset.id, rule=rule.name, check=rule.check, elapsed_s=_since(started))
    return results


def _call_builtin(rule: Any, ctx: CheckContext) -> list[CheckResult]:
    spec = get_check(rule.check)
    if spec is None:
        return [_error(rule.check, f"unknown built-in check {rule.check!r}; fix the rule or register the check")]
    try:
        args = spec.args_model.model_validate(rule.args or {})
        return list(spec.function(ctx, args))
    except ArchiveError as error:
        return [_unreadable(rule.check, error)]
    except Exception as error:  # noqa: BLE001 - a crashing check must hold the dataset, not stop the run
        log.exception("check_crashed", dataset_id=ctx.dataset.id, check=rule.check)
        return [_error(rule.check, f"{type(error).__name__}: {error}")]


def _run_expectation_group(
    pattern: str,
    group: Sequence[tuple[int, Any]],
    ctx: CheckContext,
    options: RunnerOptions | None,
) -> dict[int, list[CheckResult]]:
    started = time.monotonic()
    if _past_deadline(ctx):
        outcome = _same_for_all(group, TIMED_OUT + f": the check deadline (check_timeout_s) passed before rules on {pattern!r} started")
    else:
        try:
            outcome = run_group(pattern, group, ctx, options)
        except DeadlineExceeded as error:
            outcome = _same_for_all(group, f"{TIMED_OUT}: {error}")
        except ArchiveError as error:
            outcome = {position: [_unreadable(rule.expectation, error)] for position, rule in group}
        except Exception as error:  # noqa: BLE001 - a runner bug must hold the dataset, not stop the run
            log.exception("expectation_runner_crashed", dataset_id=ctx.dataset.id, members=pattern)
            outcome = _same_for_all(group, f"{type(error).__name__}: {error}")
        if _past_deadline(ctx):
            outcome = _same_for_all(group, f"{TIMED_OUT}: rules on {pattern!r} finished after the check deadline (check_timeout_s)")
    elapsed = _since(started)
    for _, rule in group:
        log.debug(
            "rule_evaluated",
            dataset_id=ctx.dataset.id,
            rule=rule.name,
            expectation=rule.expectation,
            members=pattern,
            batched_rules=len(group),
            elapsed_s=elapsed,
        )
    return outcome


def _same_for_all(group: Sequence[tuple[int, Any]], message: str) -> dict[int, list[CheckResult]]:
    return {position: [_error(rule.expectation, message)] for position, rule in group}


def _stamp(result: CheckResult, suite: Any, rule: Any) -> CheckResult:
    result.suite = suite.suite
    result.suite_version = str(suite.version)
    result.rule = rule.name
    result.severity = rule.severity
    return result


def _error(check: str, message: str) -> CheckResult:
    return CheckResult(check=check, status=Status.ERROR, message=message)


def _unreadable(check: str, error: ArchiveError) -> CheckResult:
    member = getattr(error, "member", None)
    message = str(error)
    if member and member not in message:
        message = f"{member}: {message}"
    return CheckResult(check=check, status=Status.FAILED, message=message, member=member)


def _past_deadline(ctx: CheckContext) -> bool:
    left = ctx.time_left_s()
    return left is not None and left <= 0


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
