"""Result records that every check returns.

A check never returns a bare boolean: each result carries counts and a few
examples (member, episode, row, value) so the reason and the report can name
the fault with its numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How a failed check weighs in the verdict."""

    ERROR = "error"
    WARNING = "warning"


class Status(StrEnum):
    """Outcome of one check.

    `ERROR` means the check itself could not run (a bug, a timeout, an
    exhausted resource). That is the gate's fault, never the vendor's, so it
    leads to a hold and not to a rejection.
    """

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Example:
    """One offending value, located as precisely as the check can."""

    member: str | None = None
    episode: int | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None


@dataclass
class CheckResult:
    """Outcome of one rule on one dataset (or on one member or episode of it).

    `message` is the human sentence with the numbers, for example
    ``"observed 45.2% null, allowed at most 5%"``. `failed_count` and
    `total_count` say how many elements (rows, members, episodes, frames)
    failed out of how many were checked.
    """

    check: str
    status: Status
    message: str = ""
    suite: str = ""
    suite_version: str = ""
    rule: str = ""
    severity: Severity = Severity.ERROR
    member: str | None = None
    column: str | None = None
    observed: Any = None
    expected: Any = None
    failed_count: int | None = None
    total_count: int | None = None
    examples: list[Example] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        data["severity"] = str(self.severity)
        return data


def passed(check: str, message: str = "", **fields: Any) -> CheckResult:
    return CheckResult(check=check, status=Status.PASSED, message=message, **fields)


def failed(check: str, message: str, **fields: Any) -> CheckResult:
    return CheckResult(check=check, status=Status.FAILED, message=message, **fields)
