"""Errors found in rule files, each located by file, line and column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class LintError:
    """One mistake in a rule file.

    `line` and `column` count from 1. `code` is a stable short name of the
    kind of mistake (such as ``unknown-key`` or ``unknown-expectation``) for
    tests and tools. `message` states what is wrong and what to write instead.
    """

    file: Path
    line: int
    column: int
    message: str
    code: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message} [{self.code}]"


class RuleSetError(Exception):
    """The rule set is invalid, so none of it may be applied."""

    def __init__(self, errors: list[LintError]) -> None:
        self.errors = errors
        first = f": {errors[0]}" if errors else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"invalid rule set, {len(errors)} error(s){first}{more}")


@dataclass(frozen=True)
class Issue:
    """A mistake found inside one rule, before it is located in a file.

    `path` leads from the rule's mapping to the offending node, for example
    ``("args", "mostly")``. `at_key` points the error at the key instead of
    its value, as for unknown and misplaced keys.
    """

    path: tuple[str | int, ...]
    message: str
    code: str
    at_key: bool = False
