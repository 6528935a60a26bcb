"""compose.yaml: the emulator and the gate for a local trial, checked against the real CLIs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from ruamel.yaml import YAML

from gerra_emulator.cli import build_parser
from gerra_emulator.demo.generate import DEMO_API_KEY
from worker.settings import Settings

from .cli_check import gate_args_error, unknown_env

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE = REPO_ROOT / "deploy" / "compose.yaml"
DEFAULT = re.compile(r"^\$\{(?P<name>\w+):-(?P<default>[^}]*)\}$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return YAML(typ="safe").load(COMPOSE.read_text())


def _default(value: str) -> str:
    """Resolve a ``${NAME:-default}`` value to its default, as Compose does when NAME is unset."""
    match = DEFAULT.match(value)
    return match.group("default") if match else value


def _mounts(service: dict) -> dict[str, str]:
    """Map each mount target of a service to its source, with variables at their defaults."""
    mounts = {}
    for entry in service.get("volumes", []):
        # A ${NAME:-default} source contains a colon of its own.
        split_at = entry.index("}") + 1 if entry.startswith("${") else entry.index(":")
        source, target = entry[:split_at], entry[split_at + 1:].split(":")[0]
        mounts[target] = _default(source)
    return mounts


def test_services(compose) -> None:
    assert sorted(compose["services"]) == ["demo-data", "emulator", "gate"]
    for name, service in compose["services"].items():
        build = service["build"]
        assert (COMPOSE.parent / build["context"]).resolve() == REPO_ROOT, name
        assert (REPO_ROOT / build["dockerfile"]).is_file(), name


def test_demo_data_command(compose) -> None:
    service = compose["services"]["demo-data"]
    command = [*service["entrypoint"], *service["command"]]
    assert command[:3] == ["python", "-m", "gerra_emulator.demo.generate"]
    done = subprocess.run([sys.executable, *command[1:], "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_emulator_serves_generated_catalog(compose) -> None:
    demo, emulator = compose["services"]["demo-data"], compose["services"]["emulator"]
    arguments = build_parser().parse_args(emulator["command"])
    catalog_folder = str(Path(arguments.catalog).parent)
    assert emulator["entrypoint"] == ["gerra-emulator"]
    assert arguments.command == "serve"
    assert _mounts(emulator)[catalog_folder] == _mounts(demo)[demo["command"][0]]
    assert _mounts(emulator)[catalog_folder] in compose["volumes"]
    assert emulator["depends_on"]["demo-data"]["condition"] == "service_completed_successfully"


def test_emulator_health_port(compose) -> None:
    emulator = compose["services"]["emulator"]
    arguments = build_parser().parse_args(emulator["command"])
    assert f"127.0.0.1:{arguments.port}/health" in emulator["healthcheck"]["test"][-1]


def test_gate_command_and_env(compose) -> None:
    gate = compose["services"]["gate"]
    environment = gate["environment"]
    api = urlsplit(environment["GERRA_API_URL"])
    emulator_port = build_parser().parse_args(compose["services"]["emulator"]["command"]).port
    assert gate_args_error(gate["command"]) is None
    assert unknown_env(list(environment)) == []
    assert (api.hostname, api.port) == ("emulator", emulator_port)
    assert _default(environment["GERRA_API_KEY"]) == DEMO_API_KEY
    assert gate["depends_on"]["emulator"]["condition"] == "service_healthy"


def test_gate_stop_grace(compose) -> None:
    minutes = int(compose["services"]["gate"]["stop_grace_period"].rstrip("m"))
    assert minutes * 60 > Settings.model_fields["shutdown_grace_s"].default


def test_real_catalog_instructions(real_datasets_dir: Path) -> None:
    key = re.search(r"GERRA_TRIAL_API_KEY=(\S+)", COMPOSE.read_text()).group(1)
    catalog = json.loads((real_datasets_dir / "catalog.json").read_text())
    emulator = Path(sys.executable).parent / "gerra-emulator"
    done = subprocess.run([str(emulator), "validate", "--catalog", str(real_datasets_dir / "catalog.json")],
                          capture_output=True, text=True, timeout=60)
    assert key in [k for organization in catalog["organizations"] for k in organization["api_keys"]]
    assert done.returncode == 0, done.stdout + done.stderr
