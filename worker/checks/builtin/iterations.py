"""Built-in checks on a dataset's iteration history (`iterations.*`).

`ctx.iterations` is the version history from the Gerra API: an object (or a
dict) with `iterations`, each holding `dataset_id`, `version`, `status`,
`prompt`, `parent_dataset_id`, `regeneration_reason`, `superseded_reason`
and `metadata`. It is None for local checks, and both checks then skip.

Verdicts of earlier versions reach `iterations.regeneration_addresses_parent`
through the check cache. The caller that builds the `CheckContext` may set:

- ``ctx.cache["prior_results"]``: a mapping from dataset id to the results
  recorded for that dataset, each a `CheckResult` or a dict with ``check``,
  ``rule``, ``status`` and ``message`` (the shape of `CheckResult.to_dict`).
- ``ctx.cache["current_results"]``: the results this run has produced so
  far for the dataset under check, in the same shapes.

Without ``prior_results`` for the parent the check is SKIPPED. A listed check
that is absent from ``current_results`` is run again here when it is a
registered built-in check, with the arguments in `check_args` (or its defaults).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field

from worker.checks.context import CheckContext
from worker.checks.registry import get_check, register
from worker.checks.results import CheckResult, Example, Status, failed, passed

log = structlog.get_logger(__name__)

PRIOR_RESULTS_KEY = "prior_results"
CURRENT_RESULTS_KEY = "current_results"
# Iteration fields copied into reports. URLs are left out because download
# and preview URLs carry access tokens.
SUMMARY_FIELDS = (
    "version",
    "dataset_id",
    "status",
    "created_at",
    "prompt",
    "parent_dataset_id",
    "regeneration_reason",
    "superseded_reason",
)


def read_field(record: Any, name: str) -> Any:
    """Read `name` from a dict or an object, None when absent."""
    if isinstance(record, Mapping):
        return record.get(name)
    return getattr(record, name, None)


def iteration_list(history: Any) -> list[Any]:
    """Return the history's iterations sorted by version (a bare list is accepted too)."""
    items = history if isinstance(history, list) else read_field(history, "iterations") or []
    return sorted(items, key=lambda item: (read_field(item, "version") is None, read_field(item, "version") or 0))


def _skipped(check: str, message: str) -> list[CheckResult]:
    return [CheckResult(check=check, status=Status.SKIPPED, message=message)]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# ----------------------------------------------------------- iterations.history_summary


class HistorySummaryArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


@register("iterations.history_summary", args=HistorySummaryArgs)
def check_history_summary(ctx: CheckContext, args: HistorySummaryArgs) -> list[CheckResult]:
    """Record every version and why earlier ones were superseded or regenerated; always passes."""
    check = "iterations.history_summary"
    if ctx.iterations is None:
        return _skipped(check, "no iteration history is known for this dataset (local check or none from the API)")
    versions = [{name: _plain(read_field(item, name)) for name in SUMMARY_FIELDS} for item in iteration_list(ctx.iterations)]
    current = next((v for v in versions if v["dataset_id"] == ctx.dataset.id), None)
    details = {
        "iteration_group_id": _plain(read_field(ctx.iterations, "iteration_group_id")),
        "current_version": current["version"] if current else None,
        "versions": versions,
    }
    where = f"version {current['version']} of {len(versions)}" if current else f"not among the {len(versions)} versions"
    reasons = [_version_reason(v) for v in versions if v["superseded_reason"] or v["regeneration_reason"]]
    message = f"{where}" + (f"; {'; '.join(reasons)}" if reasons else "")
    return [passed(check, message, total_count=len(versions), details=details)]


def _version_reason(version: dict[str, Any]) -> str:
    parts = []
    if version["regeneration_reason"]:
        parts.append(f"regenerated because: {version['regeneration_reason']}")
    if version["superseded_reason"]:
        parts.append(f"superseded because: {version['superseded_reason']}")
    return f"v{version['version']} ({version['status']}) " + ", ".join(parts)


# --------------------------------------------------- iterations.regeneration_addresses_parent


class RegenerationArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: list[str] = Field(
        min_length=1, description="Check names or rule ids that the parent version failed and this version must pass."
    )
    check_args: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Arguments for a listed built-in check that is run again here."
    )


@register("iterations.regeneration_addresses_parent", args=RegenerationArgs)
def check_regeneration_addresses_parent(ctx: CheckContext, args: RegenerationArgs) -> list[CheckResult]:
    """Fail a regenerated version that still fails a listed check its parent version failed."""
    check = "iterations.regeneration_addresses_parent"
    if ctx.iterations is None:
        return _skipped(check, "no iteration history is known for this dataset (local check or none from the API)")
    current = next((i for i in iteration_list(ctx.iterations) if read_field(i, "dataset_id") == ctx.dataset.id), None)
    if current is None:
        return _skipped(check, f"dataset {ctx.dataset.id} is not in its own iteration history")

    parent_id = read_field(current, "parent_dataset_id")
    if not parent_id:
        return _skipped(check, f"version {read_field(current, 'version')} has no parent version")
    prior = (ctx.cache.get(PRIOR_RESULTS_KEY) or {}).get(parent_id)
    if prior is None:
        return _skipped(check, f"no recorded verdict of the parent version {parent_id}")

    parent_failed = [name for name in args.checks if any(_is_failure(r) for r in _matching(prior, name))]
    label = f"v{read_field(current, 'version')} (regenerated because: {read_field(current, 'regeneration_reason') or 'not stated'})"
    details: dict[str, Any] = {"parent_dataset_id": parent_id, "parent_failed": parent_failed, "now": {}}
    if not parent_failed:
        return [passed(check, f"the parent version failed none of {', '.join(args.checks)}", total_count=0, details=details)]

    still_failing, unknown, errors = [], [], []
    for name in parent_failed:
        results = _current_results(ctx, name, args.check_args.get(name))
        statuses = {str(read_field(r, "status")) for r in results}
        details["now"][name] = sorted(statuses) or ["not run"]
        if Status.FAILED.value in statuses:
            still_failing.append((name, next(r for r in results if _is_failure(r))))
        elif Status.ERROR.value in statuses:
            errors.append(name)
        elif Status.PASSED.value not in statuses:
            unknown.append(name)
    return [_regeneration_verdict(check, label, parent_failed, still_failing, unknown, errors, details)]


def _regeneration_verdict(
    check: str,
    label: str,
    parent_failed: list[str],
    still_failing: list[tuple[str, Any]],
    unknown: list[str],
    errors: list[str],
    details: dict[str, Any],
) -> CheckResult:
    total = len(parent_failed)
    if still_failing:
        shown = "; ".join(f"{name} ({read_field(result, 'message')})" for name, result in still_failing)
        return failed(
            check,
            f"{label} still fails {len(still_failing)} of the {_checks(total)} its parent failed: {shown}",
            failed_count=len(still_failing),
            total_count=total,
            examples=[Example(column=name, value=read_field(result, "message")) for name, result in still_failing],
            details=details,
        )
    if errors:
        message = f"could not evaluate {', '.join(errors)} on {label}, so it is unknown whether the parent's failures are fixed"
        return CheckResult(check=check, status=Status.ERROR, message=message, details=details)
    if unknown:
        message = f"{', '.join(unknown)} did not run on {label}; add them to the suite or name built-in checks"
        return CheckResult(check=check, status=Status.SKIPPED, message=message, details=details)
    return passed(check, f"{label} passes the {_checks(total)} its parent failed: {', '.join(parent_failed)}",
                  failed_count=0, total_count=total, details=details)


def _checks(count: int) -> str:
    return "1 check" if count == 1 else f"{count} checks"


def _matching(results: Iterable[Any], name: str) -> list[Any]:
    return [r for r in results if name in (read_field(r, "rule"), read_field(r, "check"))]


def _is_failure(result: Any) -> bool:
    return str(read_field(result, "status")) == Status.FAILED.value


def _current_results(ctx: CheckContext, name: str, check_args: dict[str, Any] | None) -> list[Any]:
    """Return this run's results for `name`, running the built-in check again when needed."""
    recorded = _matching(ctx.cache.get(CURRENT_RESULTS_KEY) or [], name)
    if recorded:
        return recorded
    spec = get_check(name)
    if spec is None or name.startswith("iterations."):
        return []
    log.debug("check_rerun_for_regeneration", dataset_id=ctx.dataset.id, check=name)
    return spec.function(ctx, spec.args_model(**(check_args or {})))
