"""The rejection reason sent back to Gerra: every failed check with its numbers.

The reason is stored in the dataset's metadata and read by people on the
vendor's side, so it names the suite and its version, how many checks failed,
and each failure with its member, column and numbers, most severe first. It
stays within `DEFAULT_REASON_LIMIT` characters and says how many failures it
had to leave out.
"""

from __future__ import annotations

from worker.checks.results import CheckResult, Severity
from worker.verdict import Evaluation

DEFAULT_REASON_LIMIT = 1000


def _describe(result: CheckResult) -> str:
    label = result.rule or result.check
    where = []
    if result.member:
        where.append(result.member)
    if result.column:
        where.append(f"column {result.column}")
    location = f" ({', '.join(where)})" if where else ""
    severity = "" if result.severity is Severity.ERROR else " [warning]"
    message = " ".join(result.message.split()) or "failed"
    return f"{label}{severity}{location}: {message}"


def build_reason(evaluation: Evaluation, limit: int = DEFAULT_REASON_LIMIT) -> str:
    """Write the reason for a rejected evaluation, at most `limit` characters."""
    failures = sorted(evaluation.failures, key=lambda r: r.severity is not Severity.ERROR)
    suites = ", ".join(f"{s.name} v{s.version}" for s in evaluation.suites)
    checked = len(evaluation.results)
    header = f"{len(failures)} of {checked} checks failed (suite {suites})."
    items = [_describe(r) for r in failures] + evaluation.policy_failures

    text = header
    for index, item in enumerate(items):
        remaining = len(items) - index - 1
        tail = f" {remaining} more not shown; see the gate's report." if remaining else ""
        candidate = f"{text} {index + 1}) {item}"
        if len(candidate) + len(tail) <= limit:
            text = candidate
            continue
        left_out = len(items) - index
        tail = f" {left_out} more not shown; see the gate's report."
        room = limit - len(text) - len(tail) - len(f" {index + 1}) ") - 1
        if room > 40:
            text = f"{text} {index + 1}) {item[:room]}…"
            left_out -= 1
            tail = f" {left_out} more not shown; see the gate's report." if left_out else ""
        return (text + tail)[:limit]
    return text
