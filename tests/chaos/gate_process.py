"""Run `python -m worker run --once` as a child process, kill it, and read what it logged.

Each gate process starts in its own session, so a test can end its whole
process tree (the gate, its fork server and any inspection child) by the
group id when it is done with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def gate_env(api_url: str, api_key: str, root: Path, **settings: Any) -> dict[str, str]:
    """Return the environment of a gate process with its folders under `root`.

    Keyword arguments are settings without the ``GERRA_`` prefix, for example
    ``hold_backoff_s=0``.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("GERRA_")}
    env.update(
        {
            "GX_ANALYTICS_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
            "GERRA_API_URL": api_url,
            "GERRA_API_KEY": api_key,
            "GERRA_RULES_DIR": str(REPO_ROOT / "rules"),
            "GERRA_WORK_DIR": str(root / "work"),
            "GERRA_STATE_DIR": str(root / "state"),
            "GERRA_LOG_FORMAT": "json",
        }
    )
    for name, value in settings.items():
        env[f"GERRA_{name.upper()}"] = str(value)
    return env


@dataclass
class GateProcess:
    """One gate process and the files its stdout and stderr go to."""

    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """Kill the gate process alone (SIGKILL), as a crash would, and reap it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def kill_tree(self) -> None:
        """Kill every process left in the gate's session: its fork server and inspection children."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.process.poll() is None:
            self.process.wait(30)

    def wait(self, timeout_s: float) -> int:
        """Wait for the process to exit and return its exit code; kill it after `timeout_s`."""
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill_tree()
            raise AssertionError(f"the gate did not finish within {timeout_s} s; log:\n{self.log_tail()}") from None

    def log_text(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_text()[-chars:]

    def events(self) -> list[dict[str, Any]]:
        """Return the JSON log events written so far."""
        found = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    # A SIGKILL can cut the last line short.
                    continue
        return found


def start_gate(
    env: dict[str, str], log_dir: Path, label: str, *extra_args: str, wrapper: tuple[str, ...] = ()
) -> GateProcess:
    """Start ``python -m worker run --once``; its output goes to `log_dir`/`label`.{out,log}.

    `wrapper` is a command that runs the gate command given as its last
    arguments, for example ``("unshare", "-m", ...)``.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    stdout_path = log_dir / f"{label}.out"
    stderr_path = log_dir / f"{label}.log"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [*wrapper, sys.executable, "-m", "worker", "run", "--once", *extra_args],
            env=env,
            cwd=REPO_ROOT,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    return GateProcess(process, stdout_path, stderr_path)


def wait_until(condition: Any, timeout_s: float, description: str, gate: GateProcess | None = None) -> None:
    """Poll `condition()` every 20 ms until it is true; fail naming `description` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if gate is not None and gate.process.poll() is not None:
            raise AssertionError(f"the gate exited ({gate.process.returncode}) before {description}; log:\n{gate.log_tail()}")
        if time.monotonic() > deadline:
            log = gate.log_tail() if gate is not None else ""
            raise AssertionError(f"timed out after {timeout_s} s waiting until {description}\n{log}")
        time.sleep(0.02)


def session_processes(session_id: int) -> dict[int, int]:
    """Map the pid of every live process in session `session_id` to its parent pid (Linux /proc)."""
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name in brackets: state, ppid, pgrp, session, ...
        fields = stat.rpartition(")")[2].split()
        if int(fields[3]) == session_id and fields[0] not in ("Z", "X"):
            found[int(entry.name)] = int(fields[1])
    return found


def inspection_pids(gate: GateProcess) -> list[int]:
    """Return the gate's inspection processes: its grandchildren, forked by its fork server."""
    processes = session_processes(gate.pid)
    return sorted(pid for pid, parent in processes.items() if pid != gate.pid and parent != gate.pid)
