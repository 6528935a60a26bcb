"""Benchmark: the default episode suite on LeRobot v2.1 datasets of growing size.

The same suite runs on a baseline dataset and on one ten times larger, in
one process, and the report gives the time and memory ratios. Batched
validation should keep the time per episode roughly flat and the peak memory
well below ten times the baseline's.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from gerra_emulator.demo.archive import write_zip
from gerra_emulator.demo.lerobot import v21_members
from gerra_emulator.demo.recording import SO100, simulate_recording
from worker.archive.source import open_source
from worker.checks.context import DatasetInfo
from worker.evaluate import evaluate
from worker.rules.loader import load_rule_set

REPO_ROOT = Path(__file__).resolve().parents[1]


def _write(folder: Path, episodes: int, rows: int) -> Path:
    recording = simulate_recording(np.random.default_rng(0), SO100, ["fold the towel"], (), [rows] * episodes)
    return write_zip(folder / f"episodes-{episodes}.zip", v21_members(recording))


def _measure(archive: Path, work: Path) -> tuple[float, float, str, int]:
    rule_set = load_rule_set(REPO_ROOT / "rules")
    info = DatasetInfo(id=archive.name, name=archive.name, data_type="episode")
    started_cpu = time.process_time()
    started = time.perf_counter()
    with open_source(archive, work) as source:
        evaluation = evaluate(source, info, rule_set, work / "checks")
    return time.perf_counter() - started, time.process_time() - started_cpu, evaluation.verdict.value, len(evaluation.results)


def main(episodes: int, rows: int) -> int:
    baseline_episodes = max(1, episodes // 10)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows_out = []
        for count in (baseline_episodes, episodes):
            archive = _write(folder, count, rows)
            wall, cpu, verdict, results = _measure(archive, folder / f"work-{count}")
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rows_out.append((count, wall, cpu, peak_mb, verdict, results, archive.stat().st_size))
    print(f"default episode suite, {rows} rows per episode, no videos")
    print(f"{'episodes':>9} {'archive MB':>11} {'wall s':>8} {'cpu s':>8} {'peak RSS MB':>12} {'verdict':>8} {'results':>8}")
    for count, wall, cpu, peak, verdict, results, size in rows_out:
        print(f"{count:>9} {size / 1e6:>11.1f} {wall:>8.2f} {cpu:>8.2f} {peak:>12.0f} {verdict:>8} {results:>8}")
    (base, large) = rows_out
    print(f"ratio {large[0] // base[0]}x episodes: wall {large[1] / base[1]:.2f}x, cpu {large[2] / base[2]:.2f}x "
          f"(peak RSS is the process maximum so far: {large[3] / base[3]:.2f}x)")
    return 0
