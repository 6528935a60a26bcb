"""The gerra-emulator command: help listing, catalog validation, serving as a subprocess."""

from __future__ import annotations

import re
import signal
import socket
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest
import structlog
from emulator_helpers import G1, http_client

from gerra_emulator.cli import _fault_options, build_parser, fault_arguments, main
from gerra_emulator.faults import FaultKind, FaultOptions, FaultRule
from gerra_emulator.server import BackgroundServer, is_loopback
from gerra_emulator.store import Store
from gerra_emulator.testing import EmulatorProcess


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    """Undo the logging configuration that ``main`` installs."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


UNIT_WORDS = {"_s": "seconds", "_rate": "(0-1)", "_fraction": "(0-1)", "_bytes": "bytes"}


def serve_help(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def option_helps(help_text: str) -> dict[str, str]:
    """Map each option in the options sections of ``--help`` to its help paragraph."""
    helps: dict[str, str] = {}
    current = None
    for line in help_text.split("options:", 1)[1].splitlines():
        match = re.match(r"^  (--[\w-]+)(.*)$", line)
        if match:
            current = match.group(1)
            # Drop the metavar (SECONDS, {a,b}) so that only the help text remains.
            helps[current] = re.sub(r"^ ([A-Z_]+|\{[^}]*\})(?=\s|$)", "", match.group(2))
        elif current and line.startswith("    "):
            helps[current] += " " + line.strip()
    return helps


def test_help_lists_every_fault_option(capsys: pytest.CaptureFixture[str]) -> None:
    helps = option_helps(serve_help(capsys))

    for name in FaultOptions.model_fields:
        option = "--fault-rule" if name == "rules" else "--" + name.replace("_", "-")
        assert option in helps, option
        for suffix, unit in UNIT_WORDS.items():
            if name.endswith(suffix):
                assert unit in helps[option].lower(), f"{option} help names no unit ({unit})"


def test_help_lists_serve_options(capsys: pytest.CaptureFixture[str]) -> None:
    helps = option_helps(serve_help(capsys))

    assert set(helps) >= {"--catalog", "--host", "--port", "--now", "--log-level", "--seed"}
    assert "Default: 127.0.0.1" in helps["--host"]
    assert "Default: 8765" in helps["--port"]


def test_console_script_declared() -> None:
    scripts = {entry.name: entry.value for entry in entry_points(group="console_scripts")}

    assert scripts["gerra-emulator"] == "gerra_emulator.cli:main"


def test_validate_real_catalog(real_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--catalog", str(real_catalog)]) == 0

    output = capsys.readouterr().out
    assert "is valid: 2 organisations, 8 datasets, 4 archives" in output


def test_validate_invalid_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "catalog.json"

    assert main(["validate", "--catalog", str(missing)]) == 1
    assert f"catalog file not found: {missing}" in capsys.readouterr().err


def test_serve_invalid_option(real_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["serve", "--catalog", str(real_catalog), "--error-rate", "3"])

    assert code == 2
    assert "--error-rate: Input should be less than or equal to 1 (got 3.0)" in capsys.readouterr().err


def test_serve_invalid_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--catalog", str(tmp_path / "none.json"), "--port", "0"]) == 1
    assert "catalog file not found" in capsys.readouterr().err


def test_serve_port_in_use(real_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        code = main(["serve", "--catalog", str(real_catalog), "--port", str(port)])

    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_fault_arguments_round_trip() -> None:
    options = FaultOptions(
        seed=7,
        error_rate=0.25,
        error_status=[503, 504],
        hide_admin_review=True,
        fault_endpoints=["accept", "reject"],
        lost_response_mode="504",
        supersede_after_get=[G1],
        rules=[FaultRule(kind=FaultKind.DELAY, delay_s=2.0, limit=1)],
    )

    arguments = fault_arguments(options)
    namespace_options = _parse_serve(["--catalog", "x", *arguments])

    assert namespace_options == options


def _parse_serve(arguments: list[str]) -> FaultOptions:
    return _fault_options(build_parser().parse_args(["serve", *arguments]))


def test_loopback_only_in_process(real_catalog: Path) -> None:
    with pytest.raises(ValueError, match="refusing to serve on non-loopback address '0.0.0.0'"):
        BackgroundServer(Store.from_path(real_catalog), host="0.0.0.0")
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("192.168.1.4")


def test_process_serves_and_stops(real_catalog: Path) -> None:
    with EmulatorProcess(real_catalog, error_rate=1.0, error_status=[503], fault_limit=1, seed=1) as process:
        assert process.control is not None
        with http_client(process.base_url) as client:
            first = client.get("/datasets").status_code
            second = client.get("/datasets/dataset", params={"id": G1})
            downloaded = client.get(second.json()["signed_url"]).status_code
        state = process.control.state()
        exit_code = process.stop()
        log = process.log_text()

    assert (first, second.status_code, downloaded) == (503, 200, 200)
    assert state["calls"]["requests"] == {"list_datasets": 1, "get_dataset": 1, "download": 1}
    assert exit_code == 0
    assert "emulator_stopped" in log
    assert "token=" not in log
    assert "gerra_acme" not in log


def test_process_killed(real_catalog: Path) -> None:
    process = EmulatorProcess(real_catalog).start()
    base_url = process.base_url

    process.kill()

    assert process.process is not None
    assert process.process.returncode == -signal.SIGKILL
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/health", timeout=2)
    process.stop()
