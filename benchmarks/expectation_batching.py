"""Time and peak memory of the expectation runner, batched against one validation per member.

Each mode runs in its own child process, so peak resident memory (the
child's ``ru_maxrss``) is not inflated by the other mode. The baseline is
the same runner with a memory budget of 1 byte, so every member is
validated alone: the two modes differ only in batching.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.dataset import write_dataset

RULES = [
    {"id": "elbow-range", "expectation": "expect_column_values_to_be_between",
     "args": {"column": "observation.state.joint_3", "min_value": -3, "max_value": 3}},
    {"id": "state-range", "expectation": "expect_column_values_to_be_between", "scope": "episode",
     "args": {"column": "observation.state[0]", "min_value": -1.5, "max_value": 1.5, "mostly": 0.99}},
    {"id": "timestamp-present", "expectation": "expect_column_values_to_not_be_null", "args": {"column": "timestamp"}},
    {"id": "frame-step", "expectation": "expect_column_values_to_be_between", "scope": "episode",
     "args": {"column": "$timestamp_step", "min_value": 0.03, "max_value": 0.037}},
    {"id": "episode-length", "expectation": "expect_table_row_count_to_be_between", "scope": "episode",
     "args": {"min_value": 10}},
]


def run_mode(dataset: Path, budget_bytes: int) -> dict:
    """Run the benchmark suite once in this process and return timing, memory and a result digest."""
    from worker.archive.source import open_source
    from worker.checks.context import CheckContext, DatasetInfo
    from worker.checks.engine import run_suites
    from worker.checks.expectations import RunnerOptions, gx
    from worker.rules.model import Suite

    gx._get_batch_definition()  # context creation is a one-off cost outside the measurement
    suite = Suite.model_validate(
        {"suite": "bench", "rules": [{**r, "members": "data/**/*.parquet"} for r in RULES]}
    )
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as work:
        source = open_source(dataset, Path(work))
        ctx = CheckContext(source, DatasetInfo("bench", "bench", "episode"), Path(work))
        started = time.perf_counter()
        cpu_started = time.process_time()
        results = run_suites([suite], ctx, RunnerOptions(memory_budget_bytes=budget_bytes))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    digest = [(r.rule, r.column, str(r.status), r.failed_count, r.total_count) for r in results]
    batches = max(r.details.get("batches", 0) for r in results)
    return {
        "elapsed_s": elapsed,
        "cpu_s": cpu,
        "peak_rss_mb": peak / 1024,
        "rss_growth_mb": (peak - memory_before) / 1024,
        "validations": batches,
        "results": digest,
    }


def _run_child(dataset: Path, budget_bytes: int) -> dict:
    command = [sys.executable, "-m", "benchmarks.expectation_batching", str(dataset), str(budget_bytes)]
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(episodes: int, rows: int, budget_mb: int, small_budget_mb: int) -> int:
    """Generate the dataset, run each mode and print them side by side with ratios.

    The extra run with `small_budget_mb` shows that peak memory follows the budget.
    """
    with tempfile.TemporaryDirectory() as folder:
        print(f"writing {episodes:,} episodes of {rows} rows ...", flush=True)
        dataset = write_dataset(Path(folder) / "dataset", episodes, rows)
        size_mb = sum(p.stat().st_size for p in dataset.rglob("*.parquet")) / 1e6
        print(f"dataset: {episodes:,} Parquet files, {episodes * rows:,} rows, {size_mb:.1f} MB on disk", flush=True)
        batched = _run_child(dataset, budget_mb * 1024 * 1024)
        small = _run_child(dataset, small_budget_mb * 1024 * 1024)
        per_member = _run_child(dataset, 1)

    print(f"\n{len(RULES)} rules, budget {budget_mb} MB")
    print(f"{'mode':<20}{'validations':>12}{'wall s':>9}{'CPU s':>9}{'peak RSS MB':>13}{'RSS growth MB':>15}")
    modes = (("batched", batched), (f"batched, {small_budget_mb} MB", small), ("one per member", per_member))
    for name, run in modes:
        print(
            f"{name:<20}{run['validations']:>12,}{run['elapsed_s']:>9.2f}{run['cpu_s']:>9.2f}"
            f"{run['peak_rss_mb']:>13.0f}{run['rss_growth_mb']:>15.0f}"
        )
    # Wall time depends on other load on the machine; CPU time of the child does not.
    print(
        f"one per member / batched: wall {per_member['elapsed_s'] / batched['elapsed_s']:.1f}x, "
        f"CPU {per_member['cpu_s'] / batched['cpu_s']:.1f}x, "
        f"peak RSS {per_member['peak_rss_mb'] / batched['peak_rss_mb']:.2f}x, "
        f"RSS growth {per_member['rss_growth_mb'] / max(batched['rss_growth_mb'], 1):.2f}x"
    )
    same = batched["results"] == per_member["results"] == small["results"]
    print(f"results identical: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    print(json.dumps(run_mode(Path(sys.argv[1]), int(sys.argv[2]))))
