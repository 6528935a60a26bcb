"""Turn per-video findings into one check result with counts, examples and a message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worker.checks.results import CheckResult, Example, failed, passed

MAX_LISTED = 3
MAX_EXAMPLES = 20


@dataclass(frozen=True)
class Finding:
    """One fault in one video; `text` is the phrase after the member name, with its numbers."""

    member: str
    text: str
    episode: int | None = None
    column: str | None = None
    value: Any = None


def summarize(
    check: str,
    findings: list[Finding],
    checked: int,
    *,
    fault: str,
    ok_message: str,
    details: dict[str, Any] | None = None,
    noun: str = "videos",
) -> CheckResult:
    """Build a FAILED result listing the first findings, or a PASSED one with `ok_message`.

    `failed_count` counts distinct members with a finding, `total_count` the
    members checked, so the reason reads "2 of 8 videos ...".
    """
    details = details or {}
    if not findings:
        return passed(check, ok_message, failed_count=0, total_count=checked, details=details)
    faulty = list(dict.fromkeys(f.member for f in findings))
    listed = "; ".join(f"{f.member} {f.text}" for f in findings[:MAX_LISTED])
    more = len(findings) - MAX_LISTED
    suffix = f"; and {more} more" if more > 0 else ""
    examples = [Example(member=f.member, episode=f.episode, column=f.column, value=f.value) for f in findings[:MAX_EXAMPLES]]
    return failed(
        check,
        f"{len(faulty)} of {checked} {noun} {fault}: {listed}{suffix}",
        failed_count=len(faulty),
        total_count=checked,
        member=faulty[0] if len(faulty) == 1 else None,
        examples=examples,
        details=details,
    )
