"""`gerra-gate run` on an API that is down, failing or at a wrong URL, and with unusable paths."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from worker.cli import app
from worker.daemon import run_daemon
from worker.runner import RunSummary
from worker.settings import SettingsError, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "gerra_acme0000000000000001"
LFS_STUBS = "770e8400-e29b-41d4-a716-446655440002"
ACCEPTED = "770e8400-e29b-41d4-a716-446655440007"


def _catalog(real_catalog: Path, tmp_path: Path, *dataset_ids: str) -> Path:
    """Write a catalog with only `dataset_ids` of the real one, its archives named by absolute path."""
    catalog = json.loads(real_catalog.read_text())
    catalog["datasets"] = [
        dict(dataset, file=str(real_catalog.parent / dataset["file"]))
        for dataset in catalog["datasets"] if dataset["id"] in dataset_ids
    ]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    return path


def _env(tmp_path: Path, api_url: str, **extra: str) -> dict[str, str]:
    return {
        "GERRA_API_KEY": API_KEY, "GERRA_API_URL": api_url, "GERRA_RULES_DIR": str(REPO_ROOT / "rules"),
        "GERRA_STATE_DIR": str(tmp_path / "state"), "GERRA_WORK_DIR": str(tmp_path / "work"),
        "GERRA_MAX_RETRIES": "1", "GERRA_RETRY_MAX_WAIT_S": "0.1", "GERRA_LOG_LEVEL": "WARNING", **extra,
    }


def _run_once(tmp_path: Path, api_url: str, **extra: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["run", "--once"], env=_env(tmp_path, api_url, **extra))


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_api_down_exits_three(tmp_path: Path) -> None:
    result = _run_once(tmp_path, "http://127.0.0.1:1")
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert _error_lines(result.output) == [
        "error: the run stopped because the Gerra API at http://127.0.0.1:1 failed: GET /datasets failed with "
        "connect_error: [Errno 111] Connection refused; the next run retries"
    ]


def test_server_errors_exit_three(real_emulator, tmp_path: Path) -> None:
    real_emulator.store.set_faults(error_rate=1.0, fault_endpoints=["list_datasets"], error_status=[503])
    result = _run_once(tmp_path, real_emulator.base_url)
    lines = _error_lines(result.output)
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert len(lines) == 1
    assert lines[0].startswith(f"error: the run stopped because the Gerra API at {real_emulator.base_url} failed: "
                               "GET /datasets returned HTTP 503")


def test_wrong_base_url_hint(real_emulator, tmp_path: Path) -> None:
    result = _run_once(tmp_path, real_emulator.base_url + "/v9")
    lines = _error_lines(result.output)
    assert result.exit_code == 3, result.output
    assert len(lines) == 1
    assert "GET /datasets returned HTTP 404" in lines[0]
    assert "Check the configured base URL (GERRA_API_URL or --api-url)" in lines[0]
    assert "dataset ID" not in lines[0]


def test_summary_nothing_pending(emulator, real_catalog: Path, tmp_path: Path) -> None:
    server = emulator(_catalog(real_catalog, tmp_path, ACCEPTED))
    result = _run_once(tmp_path, server.base_url)
    last = result.output.splitlines()[-1]
    assert result.exit_code == 0, result.output
    assert last.startswith("0 pending in ")
    assert last.endswith(" s")


def test_summary_stopped_early() -> None:
    from worker.cli import _summary_line

    line = _summary_line(RunSummary(pending=3, elapsed_s=1.25), stopped_early=True)
    assert line == (
        "3 pending in 1.2 s; stopped early on SIGTERM or SIGINT, so the next run gates the datasets not started"
    )


def test_state_dir_under_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = _run_once(tmp_path, "http://127.0.0.1:1", GERRA_STATE_DIR=str(tmp_path / "file" / "state"))
    assert result.exit_code == 2, result.output
    assert _error_lines(result.output) == [
        f"error: cannot create folder {tmp_path}/file/state: Not a directory; pass a usable folder with "
        "--state-dir or GERRA_STATE_DIR"
    ]


def test_key_with_trailing_space(tmp_path: Path) -> None:
    result = _run_once(tmp_path, "http://127.0.0.1:1", GERRA_API_KEY=API_KEY + " ")
    assert result.exit_code == 2, result.output
    assert API_KEY not in result.output
    assert _error_lines(result.output) == [
        "error: invalid setting api_key (GERRA_API_KEY): the API key contains whitespace "
        "(a space, tab or line break); set it to the key alone"
    ]


def test_non_ascii_key(tmp_path: Path) -> None:
    result = _run_once(tmp_path, "http://127.0.0.1:1", GERRA_API_KEY="gerra_clé0000000000")
    assert result.exit_code == 2, result.output
    assert "gerra_cl" not in result.output
    assert _error_lines(result.output) == [
        "error: invalid setting api_key (GERRA_API_KEY): the API key contains non-ASCII characters, "
        "which an HTTP header cannot carry; copy the key again from the Gerra dashboard"
    ]


def test_metrics_textfile_under_file(emulator, real_catalog: Path, tmp_path: Path) -> None:
    server = emulator(_catalog(real_catalog, tmp_path, LFS_STUBS))
    (tmp_path / "file").write_text("")
    textfile = tmp_path / "file" / "gate.prom"
    result = _run_once(tmp_path, server.base_url, GERRA_METRICS_TEXTFILE=str(textfile))
    last = result.output.splitlines()[-1]
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "metrics_textfile_not_written" in result.output
    assert last.startswith("1 pending; rejected 1 in ")
    assert server.store.dataset(LFS_STUBS)["status"] == "rejected"


def test_daemon_logs_api_failure(tmp_path: Path) -> None:
    settings = load_settings(api_url="http://127.0.0.1:1", api_key=API_KEY, rules_dir=REPO_ROOT / "rules",
                             state_dir=tmp_path / "state", work_dir=tmp_path / "work", max_retries=0,
                             poll_interval_s=60, shutdown_grace_s=5)
    stop = threading.Event()
    with structlog.testing.capture_logs() as events:
        daemon = threading.Thread(target=run_daemon, args=(settings, stop))
        daemon.start()
        for _ in range(200):
            if any(event["event"] == "run_failed" for event in events):
                break
            stop.wait(0.05)
        stop.set()
        daemon.join(10)
    failed = [event for event in events if event["event"] == "run_failed"]
    assert [event["event"] for event in events if event["log_level"] == "error"] == ["run_failed"]
    assert failed[0]["cause"] == "GerraTransportError"
    assert failed[0]["api_url"] == "http://127.0.0.1:1"
    assert "exc_info" not in failed[0]


def test_daemon_metrics_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = load_settings(api_url="http://127.0.0.1:1", api_key=API_KEY, state_dir=tmp_path / "state",
                                 metrics_port=port, metrics_host="127.0.0.1")
        with pytest.raises(SettingsError) as raised:
            run_daemon(settings, threading.Event())
    assert str(raised.value) == (
        f"cannot serve metrics on 127.0.0.1:{port}: Address already in use; set GERRA_METRICS_PORT to a free port"
    )
