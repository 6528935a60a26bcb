"""Log redaction: keys and signed-URL tokens never reach the output."""

import json
import logging

import pytest
import structlog

from worker.log import configure_logging, register_secret, scrub


def test_scrub_masks_token_and_key() -> None:
    text = "GET http://127.0.0.1:1/storage/datasets/a.zip?token=abc.def-123&x=1 with gerra_acme0000000000000001"
    cleaned = scrub(text)
    assert "abc.def-123" not in cleaned
    assert "gerra_acme0000000000000001" not in cleaned
    assert "token=***&x=1" in cleaned


def test_registered_secret_masked_in_json_logs(capsys: pytest.CaptureFixture[str]) -> None:
    register_secret("s3cr3t-value-xyz")
    configure_logging("INFO", "json")
    try:
        structlog.get_logger("t").warning("event", url="https://h/x?token=tok123", note="key s3cr3t-value-xyz",
                                          error=RuntimeError("failed for ?token=tok456"))
        logging.getLogger("foreign").warning("foreign line ?token=tok789 gerra_abcdefgh12345678")
    finally:
        logging.getLogger().handlers.clear()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    text = json.dumps(lines)
    for secret in ("tok123", "tok456", "tok789", "s3cr3t-value-xyz", "gerra_abcdefgh12345678"):
        assert secret not in text
    assert lines[0]["event"] == "event"
