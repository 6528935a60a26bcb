"""Turn per-video findings into one check result with counts, examples and a message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worker.checks.results import CheckResult, Example, failed, passed

MAX_LISTED = 3
MAX_EXAMPLES = 20


@dataclass(frozen=True)
class Finding:
    """One fault in one video; `text` is the phrase after the member name, with its numbers.

    `cannot_check` marks a video the check could not judge, such as an
    unreadable one. It still fails the check, but the message lists it under
    "cannot check" instead of under the fault the check looks for.
    """

    member: str
    text: str
    episode: int | None = None
    column: str | None = None
    value: Any = None
    cannot_check: bool = False


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
    members checked, so the reason reads "2 of 8 videos ...". Findings marked
    `cannot_check` are listed after the faults as "cannot check 1 of 8 videos".
    """
    details = details or {}
    if not findings:
        return passed(check, ok_message, failed_count=0, total_count=checked, details=details)
    faulty = list(dict.fromkeys(f.member for f in findings))
    faults = [f for f in findings if not f.cannot_check]
    unchecked = [f for f in findings if f.cannot_check]
    parts = []
    if faults:
        parts.append(f"{_member_count(faults)} of {checked} {noun} {fault}: {_listed(faults)}")
    if unchecked:
        parts.append(f"cannot check {_member_count(unchecked)} of {checked} {noun}: {_listed(unchecked)}")
    examples = [Example(member=f.member, episode=f.episode, column=f.column, value=f.value) for f in findings[:MAX_EXAMPLES]]
    return failed(
        check,
        "; ".join(parts),
        failed_count=len(faulty),
        total_count=checked,
        member=faulty[0] if len(faulty) == 1 else None,
        examples=examples,
        details=details,
    )


def _member_count(findings: list[Finding]) -> int:
    return len({f.member for f in findings})


def _listed(findings: list[Finding]) -> str:
    listed = "; ".join(f"{f.member} {f.text}" for f in findings[:MAX_LISTED])
    more = len(findings) - MAX_LISTED
    return listed + (f"; and {more} more" if more > 0 else "")
