"""Every option's help text reaches `--help` whole: rich markup must not eat bracketed words."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from worker.cli import app


def _commands() -> list[Any]:
    """List (path, command) for every leaf command. Typer ships its own copy of click, so groups are found by duck typing."""
    found: list[Any] = []

    def walk(path: list[str], command: Any) -> None:
        if hasattr(command, "commands"):
            for name, child in command.commands.items():
                walk([*path, name], child)
        else:
            found.append((path, command))

    walk([], typer.main.get_command(app))
    return [pytest.param(path, command, id=" ".join(path)) for path, command in found]


@pytest.mark.parametrize(("path", "command"), _commands())
def test_help_shows_every_text(path: list[str], command: Any) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "400"}, terminal_width=400)
    assert result.exit_code == 0, result.output
    rendered = " ".join(result.output.split())
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            assert " ".join(text.split()) in rendered, f"{param.name}: {text!r} is not shown whole"


def test_run_help_names_env() -> None:
    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "400"}, terminal_width=400)
    assert "GERRA_API_URL" in result.output
