"""Gate settings: defaults, then a TOML settings file, then environment, then flags.

Each later source overrides the earlier ones. Environment variables are the
field names upper-cased with the prefix ``GERRA_`` (``GERRA_API_URL``,
``GERRA_POLL_INTERVAL_S``). The API key comes from ``GERRA_API_KEY`` or from
the file named by ``api_key_file`` (a mounted secret), never from the
settings file, which is often committed.
"""

from __future__ import annotations

import tomllib
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
            raise ValueError(f"api_url {value!r} must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _key_from_file(self) -> Settings:
        if self.api_key is None and self.api_key_file is not None:
            try:
                key = self.api_key_file.read_text().strip()
            except OSError as error:
                raise ValueError(f"cannot read api_key_file {self.api_key_file}: {error.strerror}") from error
            self.api_key = SecretStr(key)
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
        if self.api_key is None or not self.api_key.get_secret_value():
            raise SettingsError("no Gerra API key: set GERRA_API_KEY or api_key_file (a file that contains the key)")
        return self.api_key.get_secret_value()

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


def _read_settings_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError as error:
        raise SettingsError(f"settings file {path} not found; pass an existing file with --config") from error
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"settings file {path} is not valid TOML: {error}") from error
    section = data.get("gate", data)
    if "api_key" in section:
        raise SettingsError(
            f"settings file {path} contains api_key; keep the key out of settings files and set "
            "GERRA_API_KEY or api_key_file instead"
        )
    return dict(section)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from a TOML file, the environment and flag `overrides`.

    Flags left unset (None) do not override anything.
    """
    file_values = _read_settings_file(config_file) if config_file else {}
    flags = {key: value for key, value in overrides.items() if value is not None}
    unknown = sorted(set(file_values) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(f"settings file {config_file} has unknown keys: {', '.join(unknown)}")
    try:
        # Environment beats the file, so the file's values go in as defaults.
        file_settings = Settings.model_validate(file_values) if file_values else None
        env_and_flags = Settings(**flags)
    except ValidationError as error:
        raise SettingsError(_format_validation_error(error)) from None
    if file_settings is None:
        return env_and_flags
    explicit = env_and_flags.model_fields_set
    merged = {**file_values, **{k: getattr(env_and_flags, k) for k in explicit}}
    try:
        return Settings(**merged)
    except ValidationError as error:
        raise SettingsError(_format_validation_error(error)) from None


def _format_validation_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "settings"
        lines.append(f"{key}: {item['msg']}")
    return "invalid settings: " + "; ".join(lines)
