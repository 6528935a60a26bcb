"""The daemon: runs on an interval, serves /metrics and /healthz, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "gerra_acme0000000000000001"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_daemon_serves_metrics_of_its_run(real_emulator, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "GERRA_API_URL": real_emulator.base_url,
        "GERRA_API_KEY": API_KEY,
        "GERRA_RULES_DIR": str(REPO_ROOT / "rules"),
        "GERRA_WORK_DIR": str(tmp_path / "work"),
        "GERRA_STATE_DIR": str(tmp_path / "state"),
        "GERRA_METRICS_PORT": str(port),
        "GERRA_METRICS_HOST": "127.0.0.1",
        "GERRA_POLL_INTERVAL_S": "3600",
        "GERRA_LOG_FORMAT": "json",
    }
    process = subprocess.Popen([sys.executable, "-m", "worker", "run"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        text = ""
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.HTTPError:
                text = ""
            if _metric(text, "gerra_gate_last_success_timestamp_seconds") > 0:
                break
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.5)
        assert _metric(text, "gerra_gate_datasets_total", outcome="accepted") == 2
        assert _metric(text, "gerra_gate_datasets_total", outcome="rejected") == 3
        assert _metric(text, "gerra_gate_check_failures_total", check="lfs-pointers") == 1
        assert _metric(text, "gerra_gate_download_bytes_total") > 0
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        stderr = process.stderr.read() if process.stderr else ""
    assert code == 0, stderr[-2000:]
    assert '"event": "daemon_stopped"' in stderr
    assert API_KEY not in stderr
