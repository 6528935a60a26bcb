"""Webhook notices when a dataset is rejected or gets stuck in holds.

The payload is Slack-compatible (a `text` line) and also carries the facts as
fields for other receivers. Each notice is sent from a daemon thread with a
short timeout, so a slow or broken receiver never delays or changes a
decision. A failed notice is logged and dropped. An incoming-webhook URL
usually embeds its credential in the path, so the URL is treated as a
secret: logs name only its host.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog

from worker import __version__
from worker.log import register_secret

log = structlog.get_logger(__name__)

TIMEOUT_S = 5.0
MAX_REASON_CHARS = 1500


def rejection_payload(dataset_id: str, name: str | None, data_type: str | None, reason: str | None,
                      report_path: str | None, dry_run: bool) -> dict[str, Any]:
    """Build the notice for a rejection (or, in a dry run, a rejection that was not posted)."""
    label = f"{name or dataset_id} ({dataset_id})"
    verb = "would reject (dry run, nothing posted)" if dry_run else "rejected"
    text = f"gerra-gate {verb} dataset {label}: {_shorten(reason or 'no reason recorded')}"
    if report_path:
        text += f"\nReport: {report_path}"
    return {
        "text": text,
        "event": "dataset_rejected",
        "dataset_id": dataset_id,
        "name": name,
        "data_type": data_type,
        "verdict": "reject",
        "reason": reason,
        "report_path": report_path,
        "dry_run": dry_run,
        "gate_version": __version__,
    }


def stuck_payload(dataset_id: str, name: str | None, holds: int, cause: str | None) -> dict[str, Any]:
    """Build the notice for a dataset held `holds` times: it needs a person to look at it."""
    label = f"{name or dataset_id} ({dataset_id})"
    text = (f"gerra-gate cannot decide dataset {label}: held {holds} times, last cause: "
            f"{_shorten(cause or 'unknown')}. It is retried on every run; see `gerra-gate show {dataset_id}`.")
    return {
        "text": text,
        "event": "dataset_stuck",
        "dataset_id": dataset_id,
        "name": name,
        "verdict": "hold",
        "reason": cause,
        "holds": holds,
        "report_path": None,
        "gate_version": __version__,
    }


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


# Notices still being sent. A one-shot run waits for them before it exits,
# because the process ends daemon threads without letting them finish.
_sending: set[threading.Thread] = set()
_sending_lock = threading.Lock()


def send_notice(url: str | None, payload: dict[str, Any], timeout_s: float = TIMEOUT_S) -> threading.Thread | None:
    """POST `payload` to `url` from a daemon thread; return the thread, or None when no URL is set."""
    if not url:
        return None
    register_secret(url)
    thread = threading.Thread(target=_send, args=(url, payload, timeout_s), name="webhook", daemon=True)
    with _sending_lock:
        _sending.add(thread)
    thread.start()
    return thread


def wait_for_notices(timeout_s: float = TIMEOUT_S + 1) -> int:
    """Wait up to `timeout_s` in all for notices still being sent; return how many did not finish."""
    deadline = time.monotonic() + timeout_s
    with _sending_lock:
        threads = list(_sending)
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
    unfinished = sum(thread.is_alive() for thread in threads)
    if unfinished:
        log.warning("webhook_unsent", notices=unfinished, waited_s=timeout_s)
    return unfinished


def _send(url: str, payload: dict[str, Any], timeout_s: float) -> None:
    try:
        _post(url, payload, timeout_s)
    finally:
        with _sending_lock:
            _sending.discard(threading.current_thread())


def _post(url: str, payload: dict[str, Any], timeout_s: float) -> None:
    host = urlsplit(url).hostname or "?"
    try:
        response = httpx.post(url, json=payload, timeout=timeout_s)
    except httpx.HTTPError as error:
        log.warning("webhook_failed", host=host, event_type=payload.get("event"), dataset_id=payload.get("dataset_id"),
                    error=f"{type(error).__name__}: {error}")
        return
    if response.status_code >= 300:
        log.warning("webhook_failed", host=host, event_type=payload.get("event"), dataset_id=payload.get("dataset_id"),
                    status=response.status_code)
        return
    log.info("webhook_sent", host=host, event_type=payload.get("event"), dataset_id=payload.get("dataset_id"))
