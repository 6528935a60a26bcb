"""Helpers for tests: an in-process emulator, an emulator subprocess and a control client.

`EmulatorServer` runs uvicorn in a background thread and exposes the `Store`
for direct control. `EmulatorProcess` runs ``gerra-emulator serve`` as a
child process, for tests that kill or signal processes; it is controlled over
HTTP through `ControlClient`.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from gerra_emulator.catalog import load_catalog
from gerra_emulator.faults import FaultOptions
from gerra_emulator.server import DEFAULT_HOST, BackgroundServer
from gerra_emulator.store import Store

READY_RE = re.compile(r"listening on (?P<url>http://\S+)")
PROCESS_START_TIMEOUT_S = 20.0
PROCESS_STOP_TIMEOUT_S = 10.0


class EmulatorServer:
    """Run an emulator for `catalog_path` in this process, on a free loopback port by default.

    Use as a context manager, or call `start` and `stop`. Keyword arguments
    are `FaultOptions` fields (for example ``error_rate=1.0, fault_limit=2``).
    """

    def __init__(
        self,
        catalog_path: Path | str,
        port: int = 0,
        *,
        host: str = DEFAULT_HOST,
        start_time: datetime | None = None,
        **fault_options: Any,
    ) -> None:
        self.store = Store(load_catalog(catalog_path), FaultOptions(**fault_options), start_time=start_time)
        self._server = BackgroundServer(self.store, host, port)

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        """The port the server listens on (known once started)."""
        if self._server.port is None:
            raise RuntimeError("the emulator is not started; call start() or use it as a context manager")
        return self._server.port

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        """Start serving; return self."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        self._server.stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class ControlClient:
    """Call the ``/_emulator`` control routes of a running emulator over HTTP."""

    def __init__(self, base_url: str, timeout_s: float = 10.0) -> None:
        self._http = httpx.Client(base_url=f"{base_url}/_emulator", timeout=timeout_s)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(method, path, json=body)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        """Return the full state: datasets, clock, counters and faults."""
        return self._call("GET", "/state")

    def dataset(self, dataset_id: str) -> dict[str, Any]:
        """Return one dataset's full state."""
        return self._call("GET", f"/datasets/{dataset_id}")

    def set_status(self, dataset_id: str, status: str) -> dict[str, Any]:
        """Set a dataset's status directly."""
        return self._call("PUT", f"/datasets/{dataset_id}/status", {"status": status})

    def release(self, dataset_id: str) -> dict[str, Any]:
        """Move a dataset from for_admin_review to pending."""
        return self._call("POST", f"/datasets/{dataset_id}/release")

    def discard(self, dataset_id: str) -> dict[str, Any]:
        """Discard a dataset."""
        return self._call("POST", f"/datasets/{dataset_id}/discard")

    def supersede(self, dataset_id: str, reason: str | None = None, next_status: str = "pending") -> dict[str, Any]:
        """Supersede a pending dataset and return its new version."""
        body: dict[str, Any] = {"next_status": next_status}
        if reason is not None:
            body["reason"] = reason
        return self._call("POST", f"/datasets/{dataset_id}/supersede", body)

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the emulator clock by `seconds`."""
        return self._call("POST", "/clock", {"advance_s": seconds})

    def calls(self) -> dict[str, Any]:
        """Return the call counters."""
        return self._call("GET", "/calls")

    def reset_calls(self) -> dict[str, Any]:
        """Reset the call counters."""
        return self._call("DELETE", "/calls")

    def set_faults(self, **fault_options: Any) -> dict[str, Any]:
        """Replace the fault options (fields of `FaultOptions`)."""
        options = FaultOptions(**fault_options)
        return self._call("PUT", "/faults", options.model_dump(mode="json"))

    def clear_faults(self) -> dict[str, Any]:
        """Remove every fault."""
        return self._call("DELETE", "/faults")


class EmulatorProcess:
    """Run ``gerra-emulator serve`` as a child process until stopped or killed.

    Keyword arguments are `FaultOptions` fields, passed as command-line
    options. Logs go to a temporary file readable with `log_text`.
    """

    def __init__(self, catalog_path: Path | str, port: int = 0, **fault_options: Any) -> None:
        from gerra_emulator.cli import fault_arguments

        self.catalog_path = Path(catalog_path)
        self.port = port
        self.arguments = fault_arguments(FaultOptions(**fault_options))
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.control: ControlClient | None = None
        self._log_file = tempfile.NamedTemporaryFile("w+", prefix="gerra-emulator-", suffix=".log", delete=False)
        self._lines: queue.Queue[str | None] = queue.Queue()

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the emulator process is not started")
        return self.process.pid

    def command(self) -> list[str]:
        """Return the command line that starts the emulator."""
        return [
            sys.executable, "-m", "gerra_emulator.cli", "serve",
            "--catalog", str(self.catalog_path), "--port", str(self.port), *self.arguments,
        ]  # fmt: skip

    def start(self) -> EmulatorProcess:
        """Start the process and wait for its ready line; return self."""
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        try:
            while True:
                line = self._lines.get(timeout=PROCESS_START_TIMEOUT_S)
                if line is None:
                    raise RuntimeError(f"the emulator exited before it was ready:\n{self.log_text()}")
                match = READY_RE.search(line)
                if match:
                    break
        except queue.Empty:
            self.kill()
            raise RuntimeError(
                f"the emulator printed no ready line within {PROCESS_START_TIMEOUT_S} s:\n{self.log_text()}"
            ) from None
        self.base_url = match.group("url")
        self.control = ControlClient(self.base_url)
        return self

    def _read_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send_signal(self, signum: int) -> None:
        """Send a signal to the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)

    def kill(self) -> None:
        """Kill the process at once (SIGKILL) and reap it."""
        self.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(PROCESS_STOP_TIMEOUT_S)

    def stop(self) -> int | None:
        """Ask the process to stop with SIGTERM, kill it if it hangs; return its exit code."""
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is None:
            return None
        self.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(PROCESS_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.process.returncode

    def log_text(self) -> str:
        """Return everything the process has logged so far."""
        self._log_file.flush()
        return Path(self._log_file.name).read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
        self._log_file.close()
        Path(self._log_file.name).unlink(missing_ok=True)
