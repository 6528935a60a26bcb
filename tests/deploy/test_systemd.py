"""systemd units: structure, the commands they run and the settings they pass."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

from worker.settings import Settings

from .cli_check import gate_args_error, gate_command, help_options, unknown_env

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
SECONDS = {"s": 1, "min": 60, "h": 3600}


class _Repeated(dict):
    """Section storage that keeps every value of a key systemd allows to repeat (Environment=)."""

    def __setitem__(self, key, value):
        if isinstance(value, list) and key in self:
            self[key].extend(value)
        else:
            super().__setitem__(key, value)


def load_unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(dict_type=_Repeated, strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in unit files
    parser.read_string((UNITS / name).read_text())
    return parser


def environment(unit: configparser.ConfigParser) -> dict[str, str]:
    pairs = unit["Service"]["Environment"].splitlines()
    return dict(pair.split("=", 1) for pair in pairs)


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)\s*(s|min|h)", value).groups()
    return int(number) * SECONDS[unit]


def test_repeated_keys_kept() -> None:
    unit = load_unit("gerra-gate.service")
    assert len(environment(unit)) == len(re.findall(r"^Environment=", (UNITS / "gerra-gate.service").read_text(), re.M))


@pytest.mark.parametrize(("name", "kind", "args"), [
    ("gerra-gate.service", "oneshot", ["run", "--once"]),
    ("gerra-gate-daemon.service", "simple", ["run"]),
])
def test_service_runs_gate(name: str, kind: str, args: list[str]) -> None:
    service = load_unit(name)["Service"]
    command = gate_command(service["ExecStart"])
    assert service["Type"] == kind
    assert command == args
    assert gate_args_error(command) is None
    assert {word for word in command if word.startswith("--")} <= help_options("run")


@pytest.mark.parametrize("name", ["gerra-gate.service", "gerra-gate-daemon.service"])
def test_service_settings(name: str) -> None:
    unit = load_unit(name)
    service = unit["Service"]
    env = environment(unit)
    credential, source = service["LoadCredential"].split(":", 1)
    assert unknown_env(list(env)) == []
    assert service["User"] not in ("root", "0")
    assert env["GERRA_API_KEY_FILE"] == f"%d/{credential}"
    assert source.startswith("/etc/gerra-gate/")
    assert "GERRA_API_KEY" not in env
    assert env["GERRA_STATE_DIR"].startswith(f"/var/lib/{service['StateDirectory']}/")
    assert seconds(service["TimeoutStopSec"]) > Settings.model_fields["shutdown_grace_s"].default


def test_daemon_serves_metrics() -> None:
    unit = load_unit("gerra-gate-daemon.service")
    assert environment(unit)["GERRA_METRICS_PORT"] == "9108"
    assert unit["Service"]["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_timer_starts_run() -> None:
    timer = load_unit("gerra-gate.timer")
    assert timer["Timer"]["Unit"] == "gerra-gate.service"
    assert (UNITS / timer["Timer"]["Unit"]).is_file()
    assert seconds(timer["Timer"]["OnUnitInactiveSec"]) == 300
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_timer_and_daemon_exclusive() -> None:
    daemon = load_unit("gerra-gate-daemon.service")["Unit"]["Conflicts"].split()
    assert sorted(daemon) == ["gerra-gate.service", "gerra-gate.timer"]
    assert load_unit("gerra-gate.timer")["Unit"]["Conflicts"] == "gerra-gate-daemon.service"
