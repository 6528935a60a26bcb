"""Structured logging set-up: one call at start, JSON when not on a terminal.

Every event passes through `redact_secrets`, so an API key or a signed-URL
token that reaches a log call by accident (for example inside an exception
message from a library) is masked before it is written.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from typing import Any

import structlog

_TOKEN_PATTERN = re.compile(r"(?i)([?&](?:token|signature|x-amz-signature|sig)=)[^&\s'\"]+")
_KEY_PATTERN = re.compile(r"gerra_[A-Za-z0-9]{8,}")
_secrets: set[str] = set()


@dataclass(frozen=True)
class LogSetup:
    """The logging set-up of a process, which a child process repeats so its events read the same."""

    level: str
    log_format: str
    secrets: frozenset[str]


_setup: LogSetup | None = None


def register_secret(value: str | None) -> None:
    """Mask `value` wherever it would appear in a log event."""
    if value:
        _secrets.add(value)


def scrub(text: str) -> str:
    """Mask signed-URL tokens, Gerra API keys and registered secrets in `text`."""
    for secret in _secrets:
        text = text.replace(secret, "***")
    text = _TOKEN_PATTERN.sub(r"\1***", text)
    return _KEY_PATTERN.sub("gerra_***", text)


def scrub_value(value: Any) -> Any:
    """Apply `scrub` to every string in `value`, through dicts, lists and tuples."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub_value(v) for v in value)
    if isinstance(value, BaseException):
        return scrub(f"{type(value).__name__}: {value}")
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {key: scrub_value(value) for key, value in event_dict.items()}


def configure_logging(level: str = "INFO", log_format: str = "auto") -> None:
    """Configure structlog and route stdlib loggers (httpx, APScheduler) through it.

    `log_format` is ``json``, ``console`` or ``auto`` (console on a terminal,
    JSON otherwise).
    """
    global _setup
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    _setup = LogSetup(level, "json" if use_json else "console", frozenset())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO; signed URLs are scrubbed anyway, but
    # one line per request drowns the gate's own events.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def current_setup() -> LogSetup | None:
    """Return this process's logging set-up and secrets, or None when `configure_logging` was never called."""
    if _setup is None:
        return None
    return LogSetup(_setup.level, _setup.log_format, frozenset(_secrets))


def apply_setup(setup: LogSetup | None) -> None:
    """Apply a parent's logging set-up in a child process. With None, nothing changes."""
    if setup is None:
        return
    for secret in setup.secrets:
        register_secret(secret)
    configure_logging(setup.level, setup.log_format)
