"""The command-line checker itself: it accepts real commands and rejects wrong ones."""

from __future__ import annotations

from .cli_check import gate_args_error, gate_command, help_options, unknown_env


def test_accepts_run_once() -> None:
    assert gate_args_error(["run", "--once"]) is None
    assert gate_args_error(["run"]) is None


def test_rejects_unknown_option() -> None:
    assert gate_args_error(["run", "--forever"]) == "No such option: --forever"


def test_rejects_unknown_command() -> None:
    assert gate_args_error(["serve"]) == "No such command 'serve'."


def test_help_lists_run_options() -> None:
    options = help_options("run")
    assert {"--once", "--dry-run", "--config", "--state-dir"} <= options


def test_command_from_shell_line() -> None:
    line = "cd /x && flock -n /x/l /opt/v/bin/gerra-gate run --once >>/var/log/g.log 2>&1"
    assert gate_command(line) == ["run", "--once"]


def test_unknown_env_names() -> None:
    assert unknown_env(["GERRA_API_URL", "GERRA_CONFIG", "GERRA_API_KEY_FILE"]) == []
    assert unknown_env(["GERRA_POLL_INTERVAL", "GERRA_KEY"]) == ["GERRA_KEY", "GERRA_POLL_INTERVAL"]
