"""Report every mistake in rule files with file, line and column."""

from __future__ import annotations

from pathlib import Path

from worker.rules.analysis import analyze
from worker.rules.errors import LintError

__all__ = ["LintError", "lint_paths"]


def lint_paths(paths: list[Path]) -> list[LintError]:
    """Check the rule files and folders in `paths` together, as one rule set.

    A suite may extend a suite of another given file, so pass the whole rule
    folder (or all related files) to get the same result as the loader.
    Returns the errors sorted by file, line and column; empty when all is valid.
    """
    return analyze(paths).errors
