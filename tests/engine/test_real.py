import zipfile

import numpy as np
import pyarrow.parquet as pq

from worker.archive.source import open_source
from worker.checks.context import CheckContext, DatasetInfo
from worker.checks.engine import run_suites
from worker.checks.results import Status

from .builders import rule, suite


def _context(path, tmp_path):
    source = open_source(path, tmp_path / "work")
    return CheckContext(source, DatasetInfo("real", path.stem, "episode"), tmp_path / "work")


def _elbow_values(path):
    # Read the same column straight from the ZIP, independent of the runner.
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".parquet"))
        tables = [pq.read_table(archive.open(n), columns=["observation.state"]) for n in names]
    return np.concatenate([np.stack(t.column(0).to_numpy(zero_copy_only=False))[:, 3] for t in tables])


def test_g1_vector_by_name(real_datasets_dir, tmp_path):
    path = real_datasets_dir / "g1-pick-bottle-v21.zip"
    elbow = _elbow_values(path)
    ctx = _context(path, tmp_path)
    rules = suite(
        rule("expect_column_values_to_be_between", column="observation.state.kLeftElbow", max_value=1.2),
        rule("expect_column_values_to_be_between", scope="episode", column="$timestamp_step", min_value=0.03, max_value=0.037),
        rule("expect_table_row_count_to_be_between", scope="episode", min_value=1),
    )
    elbow_result, step_result, rows_result = run_suites([rules], ctx)
    assert elbow_result.total_count == 2868
    assert elbow_result.failed_count == int((elbow > 1.2).sum())
    assert step_result.status is Status.PASSED
    assert step_result.total_count == 8
    assert rows_result.total_count == 8
    assert rows_result.failed_count == 0


def test_lfs_stubs_fail(real_datasets_dir, tmp_path):
    ctx = _context(real_datasets_dir / "new-test-lfs-stubs.zip", tmp_path)
    [result] = run_suites([suite(rule("expect_column_values_to_not_be_null", column="timestamp"))], ctx)
    parquet_members = len(ctx.source.glob("data/**/*.parquet"))
    assert result.status is Status.FAILED
    assert result.failed_count == parquet_members
    assert result.total_count == parquet_members
    assert "cannot be read as tables" in result.message
    assert "Parquet magic bytes not found" in result.message


def test_so101_episodes_in_one_file(real_datasets_dir, tmp_path):
    path = real_datasets_dir / "so101-record-v30.zip"
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith("data/chunk-000/file-000.parquet"))
        table = pq.read_table(archive.open(name), columns=["episode_index"])
    lengths = np.bincount(table.column(0).to_numpy())
    ctx = _context(path, tmp_path)
    rules = suite(
        rule("expect_table_row_count_to_be_between", scope="episode", min_value=int(lengths.max())),
        rule("expect_column_values_to_be_between", scope="episode", column="observation.state.gripper.pos", min_value=-1000),
    )
    rows, gripper = run_suites([rules], ctx)
    assert rows.total_count == len(lengths)
    assert rows.failed_count == int((lengths < lengths.max()).sum())
    assert gripper.status is Status.PASSED
    assert gripper.total_count == len(lengths)
