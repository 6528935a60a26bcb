"""Load a folder of rule files into a `RuleSet`, or refuse it whole."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import structlog

from worker.checks.context import DatasetInfo
from worker.rules.analysis import analyze
from worker.rules.errors import LintError, RuleSetError
from worker.rules.model import ResolvedSuite
from worker.rules.selection import select_suites

__all__ = ["LintError", "RuleSet", "RuleSetError", "load_rule_set"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RuleSet:
    """Every suite of a rule folder, resolved and validated.

    `suites` contains the selectable suites by name, and abstract base suites are
    merged into them and not listed. `files` lists every file read, included
    files outside the folder too, sorted by resolved path. `digest` is the
    SHA-256 over those files' bytes in that order, so a decision can name the
    exact rules it was made with.
    """

    suites: dict[str, ResolvedSuite]
    files: list[Path]
    digest: str

    def select(self, dataset: DatasetInfo) -> list[ResolvedSuite]:
        """Return every suite that applies to `dataset`; an empty list when none does."""
        return select_suites(self.suites.values(), dataset)


def load_rule_set(path: Path) -> RuleSet:
    """Load every rule file under `path` (a folder or one file).

    Raises `RuleSetError` with every mistake found when any file is invalid,
    so a rule set is never applied in part.
    """
    analysis = analyze([path])
    if analysis.errors:
        log.error("rule_set_invalid", path=str(path), errors=len(analysis.errors), first=str(analysis.errors[0]))
        raise RuleSetError(analysis.errors)
    files = sorted(analysis.content)
    digest = hashlib.sha256()
    for file in files:
        digest.update(analysis.content[file])
    rule_set = RuleSet(analysis.suites, files, digest.hexdigest())
    log.info("rule_set_loaded", path=str(path), suites=len(rule_set.suites), files=len(files), digest=rule_set.digest[:12])
    return rule_set
