"""Webhook notices: payloads, delivery to a local receiver, failures that never block."""

from __future__ import annotations

import socket
import time

from structlog.testing import capture_logs

from worker.webhook import rejection_payload, send_notice, stuck_payload

from .receiver import Receiver


def _rejection(dry_run: bool = False) -> dict:
    return rejection_payload("ds-1", "Pick cube", "episode", "1 of 5 checks failed: timestamp-step",
                             "/var/state/reports/ds-1/r.html", dry_run)


def test_rejection_payload_fields() -> None:
    payload = _rejection()
    assert payload["event"] == "dataset_rejected"
    assert payload["verdict"] == "reject"
    assert payload["dataset_id"] == "ds-1"
    assert payload["report_path"] == "/var/state/reports/ds-1/r.html"
    assert payload["text"] == ("gerra-gate rejected dataset Pick cube (ds-1): 1 of 5 checks failed: timestamp-step\n"
                               "Report: /var/state/reports/ds-1/r.html")


def test_dry_run_payload_text() -> None:
    assert _rejection(dry_run=True)["text"].startswith("gerra-gate would reject (dry run, nothing posted) dataset")


def test_stuck_payload_fields() -> None:
    payload = stuck_payload("ds-2", None, 5, "ConnectError: refused")
    assert payload["event"] == "dataset_stuck"
    assert payload["holds"] == 5
    assert payload["text"] == ("gerra-gate cannot decide dataset ds-2 (ds-2): held 5 times, last cause: "
                               "ConnectError: refused. It is retried on every run; see `gerra-gate show ds-2`.")


def test_long_reason_shortened() -> None:
    payload = rejection_payload("ds-1", "n", "episode", "x" * 5000, None, False)
    assert len(payload["text"]) < 1600
    assert len(payload["reason"]) == 5000


def test_no_url_sends_nothing() -> None:
    assert send_notice(None, _rejection()) is None
    assert send_notice("", _rejection()) is None


def test_notice_delivered() -> None:
    with Receiver() as receiver:
        thread = send_notice(receiver.url, _rejection())
        thread.join(10)
        assert receiver.bodies == [_rejection() | {"gate_version": receiver.bodies[0]["gate_version"]}]
        assert receiver.content_types == ["application/json"]


def test_receiver_error_logged() -> None:
    with Receiver(status=500) as receiver, capture_logs() as logs:
        send_notice(receiver.url, _rejection()).join(10)
    failures = [entry for entry in logs if entry["event"] == "webhook_failed"]
    assert len(failures) == 1
    assert failures[0]["status"] == 500
    assert failures[0]["host"] == "127.0.0.1"
    assert "SECRETPATH" not in repr(logs)


def test_unreachable_receiver_logged() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with capture_logs() as logs:
        send_notice(f"http://127.0.0.1:{port}/hook/SECRETPATH", _rejection()).join(10)
    failures = [entry for entry in logs if entry["event"] == "webhook_failed"]
    assert len(failures) == 1
    assert failures[0]["error"].startswith("ConnectError")
    assert "SECRETPATH" not in repr(logs)


def test_slow_receiver_never_blocks() -> None:
    with Receiver(delay_s=2.0) as receiver, capture_logs() as logs:
        started = time.monotonic()
        thread = send_notice(receiver.url, _rejection(), timeout_s=0.5)
        returned_after = time.monotonic() - started
        thread.join(10)
        finished_after = time.monotonic() - started
    assert returned_after < 0.2
    assert finished_after < 1.9
    assert [entry["error"].split(":")[0] for entry in logs if entry["event"] == "webhook_failed"] == ["ReadTimeout"]
