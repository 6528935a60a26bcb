"""Settings precedence: defaults < settings file < environment < flags."""

from pathlib import Path

import pytest

from worker.settings import SettingsError, load_settings


def test_file_env_and_flags_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('[gate]\npoll_interval_s = 30\nconcurrency = 2\napi_url = "http://127.0.0.1:9"\n')
    monkeypatch.setenv("GERRA_CONCURRENCY", "3")
    settings = load_settings(config, api_url="http://127.0.0.1:10")
    assert settings.poll_interval_s == 30
    assert settings.concurrency == 3
    assert settings.api_url == "http://127.0.0.1:10"


def test_unknown_key_in_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text("poll_intervall_s = 30\n")
    with pytest.raises(SettingsError, match="poll_intervall_s"):
        load_settings(config)


def test_api_key_in_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('api_key = "gerra_secret000000000"\n')
    with pytest.raises(SettingsError, match="GERRA_API_KEY") as raised:
        load_settings(config)
    assert "gerra_secret000000000" not in str(raised.value)


def test_api_key_from_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("gerra_fromfile0000000\n")
    settings = load_settings(api_key_file=key_file)
    assert settings.require_api_key() == "gerra_fromfile0000000"
    assert "gerra_fromfile" not in repr(settings)


def test_invalid_value_names_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GERRA_POLL_INTERVAL_S", "-5")
    with pytest.raises(SettingsError, match="poll_interval_s"):
        load_settings()


def test_missing_key_message_says_what_to_set() -> None:
    with pytest.raises(SettingsError, match="GERRA_API_KEY"):
        load_settings().require_api_key()
