"""A download that does not fit the work folder's free space is refused before it starts, and the dataset held.

The gate runs in a private mount namespace (``unshare -m``) with a 16 KiB
tmpfs mounted on its work folder, so the free space is real and small, and
nothing outside the gate process sees the mount. The test is skipped where
the system does not allow that (no root, no unshare).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from worker.runner import run_once

from .gate_process import start_gate

TMPFS_BYTES = 16 * 1024
MOUNT_THEN_RUN = 'mount -t tmpfs -o size={size} tmpfs "$0" && exec "$@"'


def _private_tmpfs_works(folder: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", MOUNT_THEN_RUN.format(size=TMPFS_BYTES),
         str(folder), "true"],
        capture_output=True, timeout=30,
    )
    return probe.returncode == 0


def test_download_larger_than_free_space_held(emulator, small_catalog, env_for, settings_for, state_of, work_files,
                                             gates, gate_root: Path) -> None:
    work = gate_root / "work"
    work.mkdir(parents=True)
    if not _private_tmpfs_works(work):
        pytest.skip("cannot mount a tmpfs in a private mount namespace here (needs root and unshare)")
    catalog = small_catalog(["telemetry"])
    [dataset_id] = catalog.pending_ids()
    server = emulator(catalog.path)
    size = server.store.dataset(dataset_id).data_byte_size
    assert size > TMPFS_BYTES

    wrapper = ("unshare", "-m", "--propagation", "private", "sh", "-c",
               MOUNT_THEN_RUN.format(size=TMPFS_BYTES), str(work))
    gate = start_gate(env_for(server), gate_root / "logs", "disk", wrapper=wrapper)
    gates.append(gate)
    assert gate.wait(120) == 0, gate.log_tail()

    assert server.store.calls.for_dataset(dataset_id)["download"] == 0
    assert server.store.dataset(dataset_id).status == "pending"
    held = [event for event in gate.events() if event["event"] == "dataset_held"]
    assert len(held) == 1
    assert held[0]["cause"].startswith("InsufficientDiskSpace: need ")
    assert f"need {size} bytes" in held[0]["cause"]
    state = state_of()
    assert state["decisions"] == []
    assert [(row["holds"], row["stuck"]) for row in state["datasets"]] == [(1, 0)]
    assert "Free disk space" in state["datasets"][0]["last_hold_cause"]

    # On the real disk the next run decides the dataset.
    summary = run_once(settings_for(server))
    assert summary.counts() == {"accepted": 1}
    assert server.store.calls.status_changes(dataset_id) == 1
    assert work_files() == []
