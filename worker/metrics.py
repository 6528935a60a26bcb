"""Prometheus metrics of the gate, served by the daemon or written for node_exporter.

All metrics live in one `CollectorRegistry` per process (`REGISTRY`), so a
one-shot run can write exactly the gate's metrics to a textfile collector
file and tests can read them back.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, write_to_textfile
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = structlog.get_logger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

DATASETS = Counter(
    "gerra_gate_datasets", "Datasets handled, by outcome (accepted, rejected, held, ...) and data type.",
    ["outcome", "data_type"], registry=REGISTRY,
)
CHECK_FAILURES = Counter(
    "gerra_gate_check_failures", "Failed checks, by check and severity.", ["check", "severity"], registry=REGISTRY,
)
HOLDS = Counter("gerra_gate_holds", "Holds, by cause (the error class).", ["cause"], registry=REGISTRY)
RETRIES = Counter("gerra_gate_api_retries", "Retried Gerra API requests, by cause.", ["cause"], registry=REGISTRY)
DOWNLOAD_BYTES = Counter("gerra_gate_download_bytes", "Archive bytes downloaded.", registry=REGISTRY)
DOWNLOAD_SECONDS = Histogram(
    "gerra_gate_download_seconds", "Time to download one archive.", registry=REGISTRY,
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
)
CHECK_SECONDS = Histogram(
    "gerra_gate_check_seconds", "Time to run every check of one dataset.", ["data_type"], registry=REGISTRY,
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
)
RUN_SECONDS = Histogram(
    "gerra_gate_run_seconds", "Duration of one gate run.", registry=REGISTRY,
    buckets=(1, 5, 10, 30, 60, 300, 600, 1800, 3600),
)
LAST_SUCCESS = Gauge(
    "gerra_gate_last_success_timestamp_seconds", "Unix time when the last run finished without error.",
    registry=REGISTRY,
)
STUCK = Gauge("gerra_gate_stuck_datasets", "Datasets held more times than max_hold_attempts.", registry=REGISTRY)


def write_textfile(path: Path) -> None:
    """Write the metrics atomically for node_exporter's textfile collector."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), REGISTRY)


def try_write_textfile(path: Path) -> bool:
    """Write the textfile, or log a warning when it cannot be written; return whether it was written.

    A run's decisions are recorded and posted before this, so a bad metrics
    path must not fail the run.
    """
    try:
        write_textfile(path)
    except OSError as error:
        log.warning("metrics_textfile_not_written", path=str(path), error=error.strerror or str(error),
                    hint="set GERRA_METRICS_TEXTFILE to a file in a writable folder")
        return False
    return True


class MetricsServer:
    """HTTP server for `/metrics` and `/healthz` on a background thread."""

    def __init__(self, port: int, host: str = "0.0.0.0", max_run_age_s: float | None = None) -> None:
        self.max_run_age_s = max_run_age_s
        self.started_at = time.time()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                if self.path.split("?")[0] == "/metrics":
                    self._send(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
                elif self.path.split("?")[0] == "/healthz":
                    healthy, body = server.health()
                    self._send(200 if healthy else 503, json.dumps(body).encode(), "application/json")
                else:
                    self._send(404, b'{"detail": "Not Found"}', "application/json")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="metrics", daemon=True)

    def health(self) -> tuple[bool, dict[str, object]]:
        """Healthy unless no run has succeeded for longer than `max_run_age_s`."""
        last = LAST_SUCCESS._value.get()  # noqa: SLF001 - prometheus_client has no public getter
        reference = last or self.started_at
        age = time.time() - reference
        healthy = self.max_run_age_s is None or age <= self.max_run_age_s
        return healthy, {"status": "ok" if healthy else "stale", "last_success": last or None,
                         "seconds_since_last_success": round(age, 1)}

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
