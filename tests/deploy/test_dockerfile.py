"""The Dockerfile and its ignore file, read by a small parser (no Docker engine here)."""

from __future__ import annotations

import fnmatch
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from worker import metrics
from worker.metrics import MetricsServer

from .cli_check import gate_args_error, unknown_env

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """Return (INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, arguments = line.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


@pytest.fixture(scope="module")
def instructions() -> list[tuple[str, str]]:
    return parse_dockerfile((DEPLOY / "Dockerfile").read_text())


def _all(instructions: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for name, arguments in instructions if name == keyword]


def _env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    values = {}
    for arguments in _all(instructions, "ENV"):
        for pair in shlex.split(arguments):
            name, _, value = pair.partition("=")
            values[name] = value
    return values


def test_parser_joins_lines() -> None:
    parsed = parse_dockerfile("# c\nFROM a\nRUN x \\\n    && y\n\nUSER 1\n")
    assert parsed == [("FROM", "a"), ("RUN", "x  && y"), ("USER", "1")]


def test_slim_python_base(instructions) -> None:
    assert _all(instructions, "FROM") == ["python:3.11-slim"]


def test_runs_as_non_root(instructions) -> None:
    user = _all(instructions, "USER")[-1]
    assert user.split(":")[0] not in ("root", "0")
    assert [name for name, _ in instructions].index("USER") > [name for name, _ in instructions].index("RUN")


def test_installs_project(instructions) -> None:
    assert any(run.startswith("pip install .") for run in _all(instructions, "RUN"))


def test_entrypoint_and_command(instructions) -> None:
    entrypoint = json.loads(_all(instructions, "ENTRYPOINT")[-1])
    command = json.loads(_all(instructions, "CMD")[-1])
    assert entrypoint == ["gerra-gate"]
    assert command == ["run"]
    assert gate_args_error(command) is None


def test_env_names_are_settings(instructions) -> None:
    env = _env(instructions)
    assert unknown_env([name for name in env if name.startswith("GERRA_")]) == []
    assert env["GX_ANALYTICS_ENABLED"] == "false"
    assert env["GERRA_METRICS_PORT"] in _all(instructions, "EXPOSE")


def test_copied_paths_exist(instructions) -> None:
    for arguments in _all(instructions, "COPY"):
        for source in arguments.split()[:-1]:
            assert (REPO_ROOT / source).exists(), source


def test_ignore_keeps_copied_paths(instructions) -> None:
    patterns = [line for line in (DEPLOY / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    for arguments in _all(instructions, "COPY"):
        for source in arguments.split()[:-1]:
            assert not any(fnmatch.fnmatch(source.rstrip("/"), p) for p in patterns), source
    assert {".git", ".venv", "var", "tests"} <= set(patterns)


def test_ignore_file_beside_dockerfile() -> None:
    # BuildKit reads deploy/Dockerfile.dockerignore when the context is the repository root.
    assert (DEPLOY / "Dockerfile.dockerignore").read_text() == (DEPLOY / ".dockerignore").read_text()


def _healthcheck_command(instructions) -> list[str]:
    healthcheck = _all(instructions, "HEALTHCHECK")[-1]
    return json.loads(healthcheck[healthcheck.index("CMD") + 3:].strip())


def test_healthcheck_hits_healthz(instructions) -> None:
    command = _healthcheck_command(instructions)
    assert command[0] == "python"
    assert "/healthz" in command[-1]


@pytest.mark.parametrize(("max_run_age_s", "code"), [(3600.0, 0), (0.0, 1)])
def test_healthcheck_against_daemon(instructions, max_run_age_s: float, code: int) -> None:
    """Run the image's health check command against a real metrics server on 127.0.0.1."""
    metrics.LAST_SUCCESS.set(0)
    server = MetricsServer(0, "127.0.0.1", max_run_age_s=max_run_age_s).start()
    try:
        command = [sys.executable, *_healthcheck_command(instructions)[1:]]
        done = subprocess.run(command, env={"GERRA_METRICS_PORT": str(server.port)}, capture_output=True,
                              text=True, timeout=30)
    finally:
        server.stop()
    assert done.returncode == code, done.stderr[-500:]
