"""Settings errors name the value, where it came from and the fix, and never the API key."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from worker.cli import app
from worker.settings import SettingsError, load_settings


def _error(function, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(SettingsError) as raised:
        function(*args, **kwargs)
    return str(raised.value)


def test_file_value_names_source(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('[gate]\npoll_interval_s = "five"\n')
    assert _error(load_settings, config) == (
        f"invalid setting poll_interval_s = 'five' (settings file {config}): "
        "Input should be a valid number, unable to parse string as a number"
    )


def test_env_value_names_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GERRA_POLL_INTERVAL_S", "five")
    assert _error(load_settings) == (
        "invalid setting poll_interval_s = 'five' (GERRA_POLL_INTERVAL_S): "
        "Input should be a valid number, unable to parse string as a number"
    )


def test_flag_value_names_flag() -> None:
    message = _error(load_settings, flag_names={"poll_interval_s": "--interval"}, poll_interval_s=-1.0)
    assert message == "invalid setting poll_interval_s = -1.0 (--interval): Input should be greater than 0"


def test_secret_value_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GERRA_WEBHOOK_URL", "https://hooks.example/T000/B000/secretpath")
    monkeypatch.setenv("GERRA_API_KEY", "gerra_secret 0000000")
    message = _error(load_settings, webhook_url=["not", "a", "url"])
    assert "secret" not in message
    assert "gerra_" not in message


def test_missing_key_file_message(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert _error(load_settings, api_key_file=missing) == (
        f"cannot read api_key_file {missing}: No such file or directory; point it at a readable file"
    )


def test_empty_key_file_named(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("\n")
    settings = load_settings(api_key_file=key_file)
    assert _error(settings.require_api_key) == f"api_key_file {key_file} is empty; write the Gerra API key into it"


def test_key_file_with_space(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("gerra_abc def0000000\n")
    message = _error(load_settings, api_key_file=key_file)
    assert message == (
        f"api_key_file {key_file} contains whitespace (a space, tab or line break); set it to the key alone"
    )


def test_config_folder_rejected(tmp_path: Path) -> None:
    assert _error(load_settings, tmp_path) == (
        f"settings file {tmp_path} is a folder; pass the TOML file itself with --config"
    )


def test_config_not_utf8(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_bytes(b'[gate]\nrules_dir = "r\xe9gles"\n')
    assert _error(load_settings, config) == (
        f"settings file {config} is not valid UTF-8 (invalid byte at offset 21); save it as UTF-8"
    )


def test_top_level_key_beside_gate(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('api_key = "gerra_secret000000000"\n[gate]\npoll_interval_s = 30\n')
    message = _error(load_settings, config)
    assert message.startswith(f"settings file {config} contains api_key;")
    assert "gerra_secret" not in message


def test_unknown_key_beside_gate(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('poll_interval_s = 30\n[gate]\nconcurrency = 2\n')
    assert _error(load_settings, config) == (
        f"settings file {config} has keys outside the [gate] table: poll_interval_s; move them under [gate]"
    )


def test_cli_config_folder_exit(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["history", "--config", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output == f"error: settings file {tmp_path} is a folder; pass the TOML file itself with --config\n"
