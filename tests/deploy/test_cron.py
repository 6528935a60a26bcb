"""The cron.d file: schedule syntax, user, command and environment."""

from __future__ import annotations

import re
from pathlib import Path

from .cli_check import gate_args_error, gate_command, help_options, unknown_env

CRON_FILE = Path(__file__).resolve().parents[2] / "deploy" / "cron" / "gerra-gate.cron"
FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
ASSIGNMENT = re.compile(r"^(?P<name>[A-Z_][A-Z0-9_]*)=(?P<value>.*)$")


def _lines() -> list[str]:
    return [line for line in CRON_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")]


def _jobs() -> list[list[str]]:
    return [line.split(None, 6) for line in _lines() if not ASSIGNMENT.match(line)]


def _env() -> dict[str, str]:
    return {m.group("name"): m.group("value") for m in map(ASSIGNMENT.match, _lines()) if m}


def test_one_job() -> None:
    assert len(_jobs()) == 1


def test_schedule_fields() -> None:
    minute, hour, day, month, weekday, user, _command = _jobs()[0]
    for field in (minute, hour, day, month, weekday):
        assert FIELD.match(field), field
    assert minute == "*/5"
    assert user == "gerra-gate"


def test_runs_gate_once() -> None:
    command = gate_command(_jobs()[0][6])
    assert command == ["run", "--once"]
    assert gate_args_error(command) is None
    assert set(command[1:]) <= help_options("run")


def test_env_names_are_settings() -> None:
    env = _env()
    assert unknown_env([name for name in env if name not in ("SHELL", "PATH")]) == []
    assert "GERRA_API_KEY" not in env
    assert env["GERRA_API_KEY_FILE"].startswith("/etc/gerra-gate/")


def test_overlapping_runs_skipped() -> None:
    assert "flock -n" in _jobs()[0][6]
