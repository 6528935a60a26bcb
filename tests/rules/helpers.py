"""Helpers shared by the rule tests."""

from __future__ import annotations

from worker.rules.errors import LintError


def located(errors: list[LintError]) -> list[tuple[int, int, str]]:
    """Return (line, column, code) of each error, for exact comparisons."""
    return [(error.line, error.column, error.code) for error in errors]
