"""Fixtures that write small rule files into a temporary folder and lint or load them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from worker.rules.errors import LintError
from worker.rules.lint import lint_paths

WriteRules = Callable[..., Path]
LintText = Callable[..., list[LintError]]


@pytest.fixture
def write_rules(tmp_path: Path) -> WriteRules:
    """Write dedented YAML to ``rules/<name>`` under a temporary folder and return its path."""

    def write(text: str, name: str = "suite.yaml") -> Path:
        path = tmp_path / "rules" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def lint_text(write_rules: WriteRules) -> LintText:
    """Lint one YAML text written as a rule file; return its errors."""

    def lint(text: str, name: str = "suite.yaml") -> list[LintError]:
        return lint_paths([write_rules(text, name)])

    return lint

