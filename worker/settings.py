"""Gate settings: defaults, then a TOML settings file, then environment, then flags.

Each later source overrides the earlier ones. Environment variables are the
field names upper-cased with the prefix ``GERRA_`` (``GERRA_API_URL``,
``GERRA_POLL_INTERVAL_S``). The API key comes from ``GERRA_API_KEY`` or from
the file named by ``api_key_file`` (a mounted secret), never from the
settings file, which is often committed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from worker.archive.limits import (
    DEFAULT_MAX_MEMBER_RATIO,
    DEFAULT_MAX_MEMBER_SIZE,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_TOTAL_RATIO,
    DEFAULT_MAX_TOTAL_SIZE,
    ArchiveLimits,
)

DEFAULT_API_URL = "https://api.gerra.com"

# Fields whose values never appear in an error message: the key itself, and
# webhook URLs, whose path often is the credential (Slack, Teams).
SECRET_FIELDS = frozenset({"api_key", "webhook_url"})


class SettingsError(Exception):
    """The settings are invalid; the message names the key and the fix."""


class Settings(BaseSettings):
    """Every option of the gate, with its unit in the name where it has one."""

    model_config = SettingsConfigDict(env_prefix="GERRA_", extra="forbid", validate_default=True)

    # Gerra API
    api_url: str = DEFAULT_API_URL
    api_key: SecretStr | None = Field(default=None, repr=False)
    api_key_file: Path | None = None
    verify_tls: bool = True
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=5, ge=0)
    retry_max_wait_s: float = Field(default=60.0, gt=0)
    page_size: int = Field(default=100, ge=1, le=1000)

    # Folders
    rules_dir: Path = Path("rules")
    work_dir: Path = Path("var/work")
    state_dir: Path = Path("var/state")
    reports_dir: Path | None = None

    # Running
    poll_interval_s: float = Field(default=300.0, gt=0)
    dry_run: bool = False
    concurrency: int = Field(default=1, ge=1, le=64)
    check_timeout_s: float = Field(default=1800.0, gt=0)
    shutdown_grace_s: float = Field(default=600.0, ge=0)
    max_hold_attempts: int = Field(default=5, ge=1)
    hold_backoff_s: float = Field(default=300.0, ge=0)
    hold_backoff_max_s: float = Field(default=6 * 3600.0, ge=0)
    lease_s: float = Field(default=3600.0, gt=0)

    # Archive limits, checked from the ZIP central directory before any member is read
    max_archive_bytes: int = Field(default=50 * 1024**3, gt=0)
    max_uncompressed_bytes: int = Field(default=DEFAULT_MAX_TOTAL_SIZE, gt=0)
    max_member_bytes: int = Field(default=DEFAULT_MAX_MEMBER_SIZE, gt=0)
    max_members: int = Field(default=DEFAULT_MAX_MEMBERS, gt=0)
    max_member_ratio: float = Field(default=DEFAULT_MAX_MEMBER_RATIO, gt=1)
    max_total_ratio: float = Field(default=DEFAULT_MAX_TOTAL_RATIO, gt=1)
    memory_budget_mb: int = Field(default=256, gt=0)

    # Observability
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_host: str = "0.0.0.0"
    metrics_textfile: Path | None = None
    webhook_url: str | None = None

    @field_validator("api_url")
    @classmethod
    def _api_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("api_key")
    @classmethod
    def _api_key_fits_header(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_api_key_text(value.get_secret_value(), "the API key")
        return value

    @model_validator(mode="after")
    def _key_from_file(self) -> Settings:
        if self.api_key is None and self.api_key_file is not None:
            key = read_api_key_file(self.api_key_file)
            # An empty file leaves the key unset, so `require_api_key` can name the file.
            self.api_key = SecretStr(key) if key else None
        return self

    @property
    def reports_path(self) -> Path:
        return self.reports_dir or self.state_dir / "reports"

    def archive_limits(self) -> ArchiveLimits:
        return ArchiveLimits(
            max_total_size=self.max_uncompressed_bytes,
            max_member_size=self.max_member_bytes,
            max_members=self.max_members,
            max_member_ratio=self.max_member_ratio,
            max_total_ratio=self.max_total_ratio,
        )

    @property
    def hard_check_timeout_s(self) -> float:
        """When the check process is killed: the soft deadline plus time to report it."""
        return self.check_timeout_s * 1.1 + 30

    @property
    def state_db(self) -> Path:
        return self.state_dir / "gate.sqlite3"

    def require_api_key(self) -> str:
        """Return the API key, or raise `SettingsError` naming where it was expected."""
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key.get_secret_value()
        if self.api_key_file is not None:
            raise SettingsError(f"api_key_file {self.api_key_file} is empty; write the Gerra API key into it")
        raise SettingsError("no Gerra API key: set GERRA_API_KEY or api_key_file (a file that contains the key)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings


def check_api_key_text(key: str, source: str) -> None:
    """Raise ValueError when `key` cannot travel in an HTTP header; the message names `source`, never the key."""
    if any(character.isspace() for character in key):
        raise ValueError(
            f"{source} contains whitespace (a space, tab or line break); set it to the key alone"
        )
    if not key.isascii():
        raise ValueError(
            f"{source} contains non-ASCII characters, which an HTTP header cannot carry; "
            "copy the key again from the Gerra dashboard"
        )


def read_api_key_file(path: Path) -> str:
    """Return the key stored in `path` without surrounding whitespace; raise ValueError when it is unreadable."""
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ValueError(f"cannot read api_key_file {path}: {error.strerror}; point it at a readable file") from None
    except UnicodeDecodeError:
        raise ValueError(f"api_key_file {path} is not UTF-8 text; write only the Gerra API key into it") from None
    check_api_key_text(key, f"api_key_file {path}")
    return key


def _read_settings_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"settings file {path} not found; pass an existing file with --config") from None
    except IsADirectoryError:
        raise SettingsError(f"settings file {path} is a folder; pass the TOML file itself with --config") from None
    except OSError as error:
        raise SettingsError(f"cannot read settings file {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise SettingsError(
            f"settings file {path} is not valid UTF-8 (invalid byte at offset {error.start}); save it as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"settings file {path} is not valid TOML: {error}") from None
    if "api_key" in data or "api_key" in data.get("gate", {}):
        raise SettingsError(
            f"settings file {path} contains api_key; keep the key out of settings files and set "
            "GERRA_API_KEY or api_key_file instead"
        )
    if "gate" not in data:
        return data
    section = data["gate"]
    if not isinstance(section, dict):
        raise SettingsError(f"settings file {path}: gate must be a table; write the options under a [gate] line")
    # With a [gate] table, a key above it is a mistake that would otherwise be ignored.
    outside = sorted(set(data) - {"gate"})
    if outside:
        raise SettingsError(
            f"settings file {path} has keys outside the [gate] table: {', '.join(outside)}; move them under [gate]"
        )
    return dict(section)


def load_settings(config_file: Path | None = None, *, flag_names: Mapping[str, str] | None = None,
                  **overrides: Any) -> Settings:
    """Build the settings from a TOML file, the environment and flag `overrides`.

    Flags left unset (None) do not override anything. `flag_names` maps a
    field to the command-line flag that set it, for error messages.
    """
    file_values = _read_settings_file(config_file) if config_file else {}
    flags = {key: value for key, value in overrides.items() if value is not None}
    unknown = sorted(set(file_values) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(f"settings file {config_file} has unknown keys: {', '.join(unknown)}")
    try:
        # Environment beats the file, so the file's values go in as defaults.
        file_settings = Settings.model_validate(file_values) if file_values else None
    except ValidationError as error:
        raise SettingsError(_format_validation_error(error, lambda _key: f"settings file {config_file}")) from None

    def env_or_flag(key: str) -> str | None:
        if key in flags:
            return (flag_names or {}).get(key, "the command line")
        return _env_variable(key)

    try:
        env_and_flags = Settings(**flags)
    except ValidationError as error:
        raise SettingsError(_format_validation_error(error, env_or_flag)) from None
    if file_settings is None:
        return env_and_flags
    explicit = env_and_flags.model_fields_set
    merged = {**file_values, **{k: getattr(env_and_flags, k) for k in explicit}}
    try:
        return Settings(**merged)
    except ValidationError as error:
        raise SettingsError(_format_validation_error(error, env_or_flag)) from None


def _env_variable(key: str) -> str | None:
    """Return the name of the environment variable that sets `key`, if one is set."""
    variable = f"GERRA_{key}".upper()
    # pydantic-settings matches variable names case-insensitively by default.
    return next((name for name in os.environ if name.upper() == variable), None)


def _format_validation_error(error: ValidationError, source_of: Any) -> str:
    """Describe each invalid value with its key, its value (unless secret) and where it came from."""
    lines = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        key = ".".join(str(part) for part in item["loc"])
        if not key:
            # A check across fields, whose message names the field itself.
            lines.append(message)
            continue
        text = key if key in SECRET_FIELDS or "input" not in item else f"{key} = {item['input']!r}"
        source = source_of(key)
        where = f" ({source})" if source else ""
        lines.append(f"invalid setting {text}{where}: {message}")
    return "; ".join(lines)
