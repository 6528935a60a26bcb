"""The telemetry.* built-in checks on CSV and Parquet tables written in the test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from worker.archive.source import open_source
from worker.checks.builtin.telemetry import to_nanoseconds
from worker.checks.context import CheckContext, DatasetInfo
from worker.checks.registry import get_check
from worker.checks.results import CheckResult, Status
from workdirs import work_dir_for


def run_all(name: str, root: Path, **args: Any) -> list[CheckResult]:
    spec = get_check(name)
    assert spec is not None, f"{name} is not registered"
    work_dir = work_dir_for(root)
    with open_source(root, work_dir) as source:
        ctx = CheckContext(
            source=source,
            dataset=DatasetInfo(id="t1", name="t1", data_type="telemetry"),
            work_dir=work_dir,
        )
        return spec.function(ctx, spec.args_model(**args))


def run(name: str, root: Path, **args: Any) -> CheckResult:
    results = run_all(name, root, **args)
    assert len(results) == 1
    return results[0]


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def ten_hz(count: int, start: float = 0.0) -> list[float]:
    return [round(start + i * 0.1, 6) for i in range(count)]


# ---------------------------------------------------------------- time conversion


def test_seconds_to_ns() -> None:
    times, invalid, absolute = to_nanoseconds(pa.chunked_array([[0.0, 0.1, float("nan")]]), "auto")
    assert times.tolist()[:2] == [0, 100_000_000]
    assert invalid.tolist() == [False, False, True]
    assert not absolute


def test_integer_ns() -> None:
    times, invalid, _ = to_nanoseconds(pa.chunked_array([[1_700_000_000_000_000_000, None]], pa.int64()), "auto")
    assert times[0] == 1_700_000_000_000_000_000
    assert invalid.tolist() == [False, True]


def test_integer_ms() -> None:
    times, _, _ = to_nanoseconds(pa.chunked_array([[5]], pa.int64()), "ms")
    assert times.tolist() == [5_000_000]


def test_iso_strings() -> None:
    column = pa.chunked_array([["2025-01-15T10:30:00Z", "2025-01-15T10:30:00.5+00:00", "soon"]])
    times, invalid, absolute = to_nanoseconds(column, "auto")
    assert times[1] - times[0] == 500_000_000
    assert invalid.tolist() == [False, False, True]
    assert absolute


def test_not_a_time() -> None:
    with pytest.raises(ValueError, match="not a time"):
        to_nanoseconds(pa.chunked_array([[True, False]]), "auto")


# ------------------------------------------------------------ telemetry.time_monotonic


def test_monotonic_pass(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "timestamp,x", [f"{t},1" for t in ten_hz(20)])
    result = run("telemetry.time_monotonic", root)
    assert result.status is Status.PASSED
    assert result.total_count == 19
    assert result.failed_count == 0


def test_monotonic_fail(tmp_path: Path) -> None:
    root = tmp_path / "d"
    times = [0.0, 0.1, 0.2, 0.2, 0.4, 0.3, 0.6]
    write_csv(root / "a.csv", "timestamp,x", [f"{t},1" for t in times])
    write_csv(root / "b.csv", "timestamp,x", [f"{t},1" for t in ten_hz(5)])
    result = run("telemetry.time_monotonic", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.total_count == 10
    assert result.message.startswith("2 of 10 time steps are not strictly increasing in 1 of 2 tables")
    assert "a.csv row 3 (timestamp 0.200 s after 0.200 s)" in result.message
    assert [(e.member, e.row) for e in result.examples] == [("a.csv", 3), ("a.csv", 5)]


def test_monotonic_not_strict(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "timestamp", ["0.0", "0.1", "0.1", "0.0"])
    result = run("telemetry.time_monotonic", root, strict=False)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.examples[0].row == 3


def test_monotonic_iso(tmp_path: Path) -> None:
    root = tmp_path / "d"
    rows = ["2025-01-15T10:30:00Z", "2025-01-15T10:30:01Z", "2025-01-15T10:29:59Z"]
    write_csv(root / "log.csv", "time,value", [f"{t},3" for t in rows])
    result = run("telemetry.time_monotonic", root, time_column="time")
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert "log.csv row 2 (time 2025-01-15T10:29:59+00:00 after 2025-01-15T10:30:01+00:00)" in result.message


def test_monotonic_nanoseconds(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    base = 1_736_937_000_000_000_000
    pq.write_table(pa.table({"t": pa.array([base, base + 1, base + 2], pa.int64())}), root / "a.parquet")
    result = run("telemetry.time_monotonic", root, time_column="t")
    assert result.status is Status.PASSED
    assert result.total_count == 2


def test_monotonic_groups(tmp_path: Path) -> None:
    root = tmp_path / "d"
    rows = [f"{t},{episode}" for episode in range(3) for t in ten_hz(4)]
    write_csv(root / "a.csv", "timestamp,episode_index", rows)
    grouped = run("telemetry.time_monotonic", root, group_by="episode_index")
    ungrouped = run("telemetry.time_monotonic", root)
    assert grouped.status is Status.PASSED
    assert grouped.total_count == 9
    assert ungrouped.status is Status.FAILED
    assert ungrouped.failed_count == 2


def test_monotonic_missing_time(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "timestamp,x", ["0.0,1", ",1", "0.2,1"])
    result = run("telemetry.time_monotonic", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.message.startswith("1 row without a valid time in 1 of 1 table: a.csv row 1 (no valid timestamp)")
    assert result.examples[0].row == 1


def test_monotonic_missing_column(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "time,x", ["0.0,1"])
    result = run("telemetry.time_monotonic", root)
    assert result.status is Status.FAILED
    assert result.message.startswith("1 table cannot be read (a.csv: Column 'timestamp'")


def test_monotonic_corrupt_parquet(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    (root / "a.parquet").write_bytes(b"PAR1" + bytes(100))
    result = run("telemetry.time_monotonic", root)
    assert result.status is Status.FAILED
    assert result.message.startswith("1 table cannot be read (a.parquet:")


def test_monotonic_no_tables(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    (root / "a.txt").write_text("x")
    result = run("telemetry.time_monotonic", root)
    assert result.status is Status.SKIPPED


# ------------------------------------------------------------ telemetry.sampling_rate


def test_rate_pass(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "timestamp", [str(t) for t in ten_hz(30)])
    result = run("telemetry.sampling_rate", root, rate_hz=10)
    assert result.status is Status.PASSED
    assert result.total_count == 1
    assert result.details["measured_hz"]["a.csv"] == pytest.approx(10.0)


def test_rate_fail(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "timestamp", [str(t) for t in ten_hz(30)])
    write_csv(root / "b.csv", "timestamp", [str(t / 3) for t in ten_hz(30)])
    result = run("telemetry.sampling_rate", root, rate_hz=30)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.total_count == 2
    assert "1 of 2 tables sample off the nominal 30 Hz, tolerance 5%: a.csv median interval 100.0 ms (10.00 Hz)" in result.message


def test_rate_per_episode(tmp_path: Path) -> None:
    root = tmp_path / "d"
    rows = [f"{t},0" for t in ten_hz(10)] + [f"{t * 2},1" for t in ten_hz(10)]
    write_csv(root / "a.csv", "timestamp,episode_index", rows)
    result = run("telemetry.sampling_rate", root, rate_hz=10, group_by="episode_index")
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.total_count == 2
    assert result.examples[0].episode == 1
    assert "a.csv episode_index 1 median interval 200.0 ms (5.00 Hz)" in result.message


def test_rate_unknown(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "timestamp", ["0.0", "0.1"])
    result = run("telemetry.sampling_rate", root)
    assert result.status is Status.SKIPPED
    assert "set rate_hz" in result.message


# -------------------------------------------------------------------- telemetry.gaps


def test_gaps_pass(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "timestamp", [str(t) for t in ten_hz(30)])
    result = run("telemetry.gaps", root)
    assert result.status is Status.PASSED
    assert result.total_count == 29


def test_gaps_fail(tmp_path: Path) -> None:
    root = tmp_path / "d"
    times = ten_hz(10) + ten_hz(10, start=3.0) + ten_hz(5, start=5.0)
    write_csv(root / "a.csv", "timestamp", [str(t) for t in times])
    result = run("telemetry.gaps", root)
    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.total_count == 24
    assert result.observed == pytest.approx(2.1)
    assert "2 gaps longer than 3x the nominal interval in 1 of 1 table, longest 2.100 s in a.csv before row 10 (after 0.900 s)" in result.message
    assert [e.row for e in result.examples] == [10, 20]


def test_gaps_absolute_limit(tmp_path: Path) -> None:
    root = tmp_path / "d"
    times = ten_hz(10) + ten_hz(10, start=3.0)
    write_csv(root / "a.csv", "timestamp", [str(t) for t in times])
    assert run("telemetry.gaps", root, max_gap_s=2.5).status is Status.PASSED
    result = run("telemetry.gaps", root, max_gap_s=1.0)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert "1 gap longer than 1 s" in result.message


def test_gaps_from_rate(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "timestamp", [str(t) for t in ten_hz(10)])
    result = run("telemetry.gaps", root, rate_hz=50)
    assert result.status is Status.FAILED
    assert result.failed_count == 9


# ------------------------------------------------------------- telemetry.value_ranges


def test_ranges_scalar(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "timestamp,temp_c", ["0.0,20", "0.1,95", "0.2,-30", "0.3,40"])
    result = run("telemetry.value_ranges", root, ranges={"temp_c": {"min": -20, "max": 90}})
    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.total_count == 4
    assert result.column == "temp_c"
    assert result.observed == {"min": -30.0, "max": 95.0}
    assert result.message.startswith("temp_c: 2 of 4 values outside [-20, 90] in 1 of 1 table (min -30, max 95), e.g. a.csv row 1")


def test_ranges_pass(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "timestamp,temp_c", ["0.0,20", "0.1,25"])
    result = run("telemetry.value_ranges", root, ranges={"temp_c": {"min": -20}})
    assert result.status is Status.PASSED
    assert "all 2 values within [-20, inf]" in result.message


def test_ranges_vector(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    state = pa.array([[0.0, 0.5, 0.1], [0.2, 2.0, 0.1], [0.1, 0.1, -3.0]], pa.list_(pa.float32(), 3))
    pq.write_table(pa.table({"observation.state": state}), root / "a.parquet")
    results = run_all(
        "telemetry.value_ranges",
        root,
        ranges={"observation.state": {"min": -1, "max": 1}, "observation.state[1]": {"max": 1}, "observation.state[0]": {"max": 1}},
    )
    assert [r.status for r in results] == [Status.FAILED, Status.FAILED, Status.PASSED]
    assert results[0].failed_count == 2
    assert results[0].total_count == 9
    assert [(e.row, e.column) for e in results[0].examples] == [(1, "observation.state[1]"), (2, "observation.state[2]")]
    assert results[1].failed_count == 1
    assert results[1].total_count == 3


def test_ranges_nan(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    pq.write_table(pa.table({"x": [0.0, float("nan"), None, 0.5]}), root / "a.parquet")
    strict = run("telemetry.value_ranges", root, ranges={"x": {"min": 0, "max": 1}})
    lenient = run("telemetry.value_ranges", root, ranges={"x": {"min": 0, "max": 1}}, allow_nan=True)
    assert strict.failed_count == 2
    assert lenient.status is Status.PASSED


def test_ranges_not_numeric(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_csv(root / "a.csv", "name", ["left", "right"])
    result = run("telemetry.value_ranges", root, ranges={"name": {"max": 1}})
    assert result.status is Status.FAILED
    assert "column name is string, not numeric" in result.message


def test_ranges_bad_args() -> None:
    spec = get_check("telemetry.value_ranges")
    with pytest.raises(ValueError, match="min 5.0 is greater than max 1.0"):
        spec.args_model(ranges={"x": {"min": 5, "max": 1}})
    with pytest.raises(ValueError, match="needs min, max or both"):
        spec.args_model(ranges={"x": {}})


# ---------------------------------------------------------------- real deliveries


def test_real_g1_telemetry(real_datasets_dir: Path) -> None:
    archive = real_datasets_dir / "g1-pick-bottle-v21.zip"
    episodes = {"members": ["data/**/*.parquet"], "group_by": "episode_index"}
    for name in ("telemetry.time_monotonic", "telemetry.sampling_rate", "telemetry.gaps"):
        result = run(name, archive, **episodes)
        assert result.status is Status.PASSED, f"{name}: {result.message}"
    assert run("telemetry.sampling_rate", archive, **episodes).total_count == 8
    assert run("telemetry.time_monotonic", archive, **episodes).total_count == 2860


def test_real_so101_resets(real_datasets_dir: Path) -> None:
    archive = real_datasets_dir / "so101-record-v30.zip"
    whole = run("telemetry.time_monotonic", archive, members=["data/**/*.parquet"])
    grouped = run("telemetry.time_monotonic", archive, members=["data/**/*.parquet"], group_by="episode_index")
    # The v3.0 file contains 4 episodes whose timestamps each restart at 0.
    assert whole.failed_count == 3
    assert grouped.status is Status.PASSED
    assert np.array([e.row for e in whole.examples]).tolist() == [373, 747, 1119]
