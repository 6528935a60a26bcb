"""Stale work folders are removed at the start of a run, except those of datasets another process works on."""

from __future__ import annotations

from worker.runner import run_once
from worker.state import StateStore


def test_leased_folder_kept(emulator, small_catalog, settings_for, gate_root) -> None:
    catalog = small_catalog(["telemetry"])
    server = emulator(catalog.path)
    settings = settings_for(server)
    work = gate_root / "work"
    (work / "busy-dataset").mkdir(parents=True)
    (work / "busy-dataset" / "archive.part").write_bytes(b"in use")
    (work / "dead-dataset").mkdir()
    (work / "dead-dataset" / "archive.part").write_bytes(b"left by a killed process")
    (work / "stray.tmp").write_bytes(b"x")
    other = StateStore(settings.state_db)
    assert other.acquire_lease("busy-dataset", 600)

    summary = run_once(settings)

    assert summary.counts() == {"accepted": 1}
    assert sorted(path.name for path in work.iterdir()) == ["busy-dataset"]
    assert (work / "busy-dataset" / "archive.part").read_bytes() == b"in use"
    other.close()
