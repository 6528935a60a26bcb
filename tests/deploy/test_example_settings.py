"""deploy/gate.example.toml: every settings field, with the real defaults, and no API key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from worker.settings import Settings, SettingsError, load_settings

from .cli_check import gate_args_error, gate_command

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "gate.example.toml"
COMMENTED_KEY = re.compile(r"^#\s*(?P<key>[a-z_]+)\s*=", re.M)
QUOTED_COMMAND = re.compile(r"`(gerra-gate [^`]+)`")


def test_loads_with_defaults() -> None:
    loaded = load_settings(EXAMPLE)
    defaults = Settings()
    for name in Settings.model_fields:
        assert getattr(loaded, name) == getattr(defaults, name), name


def test_lists_every_option() -> None:
    text = EXAMPLE.read_text()
    active = set(tomllib.loads(text)["gate"])
    commented = set(COMMENTED_KEY.findall(text))
    assert active | commented == set(Settings.model_fields) - {"api_key"}
    assert active & commented == set()


def test_commented_options_are_unset_defaults() -> None:
    commented = set(COMMENTED_KEY.findall(EXAMPLE.read_text()))
    assert {name for name in commented if Settings.model_fields[name].default is not None} == set()


def test_no_api_key() -> None:
    assert "api_key" not in tomllib.loads(EXAMPLE.read_text())["gate"]


def test_key_in_file_rejected(tmp_path: Path) -> None:
    copy = tmp_path / "gate.toml"
    copy.write_text(EXAMPLE.read_text().replace("[gate]\n", '[gate]\napi_key = "gerra_x"\n'))
    with pytest.raises(SettingsError, match="contains api_key"):
        load_settings(copy)


def test_quoted_commands_parse() -> None:
    commands = QUOTED_COMMAND.findall(EXAMPLE.read_text())
    assert commands != []
    assert {command: gate_args_error(gate_command(command)) for command in commands} == dict.fromkeys(commands)
