"""Expectations that compare rows: each member or episode alone, never across units."""

import numpy as np
import pyarrow as pa

from worker.checks.engine import run_suites
from worker.checks.expectations.runner import RunnerOptions
from worker.checks.results import Status

from .builders import episode_table, member_name, rule, suite


def _episodes(count: int = 3, rows: int = 10) -> dict[str, pa.Table]:
    return {member_name(episode): episode_table(episode, rows) for episode in range(count)}


def _one_file(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Concatenate the episodes into one member, as LeRobot v3.0 files do."""
    return {"data/chunk-000/file-000.parquet": pa.concat_tables(list(tables.values()))}


def _with_frame_index(table: pa.Table, frames: list[int]) -> pa.Table:
    position = table.schema.get_field_index("frame_index")
    return table.set_column(position, "frame_index", pa.array(np.asarray(frames, dtype=np.int64)))


def test_unique_per_episode_passes(make_context):
    ctx = make_context(_episodes())
    [result] = run_suites([suite(rule("expect_column_values_to_be_unique", scope="episode", column="frame_index"))], ctx)
    assert result.status is Status.PASSED
    assert result.total_count == 3


def test_unique_per_episode_one_file(make_context):
    ctx = make_context(_one_file(_episodes()))
    [result] = run_suites([suite(rule("expect_column_values_to_be_unique", scope="episode", column="frame_index"))], ctx)
    assert result.status is Status.PASSED
    assert result.total_count == 3


def test_unique_per_episode_finds_repeat(make_context):
    tables = _episodes()
    tables[member_name(1)] = _with_frame_index(tables[member_name(1)], [0, 1, 2, 3, 4, 4, 6, 7, 8, 9])
    ctx = make_context(tables)
    [result] = run_suites([suite(rule("expect_column_values_to_be_unique", scope="episode", column="frame_index"))], ctx)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.total_count == 3
    assert "episode 1: 2 values duplicated in frame_index" in result.message


def test_increasing_per_member_passes(make_context):
    ctx = make_context(_episodes())
    [result] = run_suites([suite(rule("expect_column_values_to_be_increasing", scope="member", column="timestamp"))], ctx)
    assert result.status is Status.PASSED
    assert result.total_count == 3


def test_increasing_per_member_finds_step_back(make_context):
    tables = _episodes()
    tables[member_name(2)] = _with_frame_index(tables[member_name(2)], [0, 1, 2, 3, 2, 5, 6, 7, 8, 9])
    ctx = make_context(tables)
    rules = suite(rule("expect_column_values_to_be_increasing", scope="member", column="frame_index"))
    [result] = run_suites([rules], ctx)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.examples[0].member == member_name(2)
    assert result.examples[0].row == 4


def test_unique_all_scope_across_members(make_context):
    ctx = make_context(_episodes())
    [result] = run_suites([suite(rule("expect_column_values_to_be_unique", column="index"))], ctx)
    assert result.status is Status.PASSED
    [duplicated] = run_suites([suite(rule("expect_column_values_to_be_unique", column="frame_index"))], ctx)
    assert duplicated.status is Status.FAILED
    assert duplicated.failed_count == 30


def test_unique_all_scope_split_errors(make_context):
    ctx = make_context(_episodes())
    rules = suite(rule("expect_column_values_to_be_unique", column="index"))
    [result] = run_suites([rules], ctx, RunnerOptions(memory_budget_bytes=1))
    assert result.status is Status.ERROR
    assert "ran on 3 batches" in result.message


def test_unit_condition_error_holds(make_context):
    """A per-episode unique rule whose row_condition names a missing column errors instead of passing."""
    ctx = make_context(_episodes())
    rules = suite(rule("expect_column_values_to_be_unique", scope="episode", column="frame_index",
                       row_condition="nosuchcol == 3", condition_parser="pandas"))
    [result] = run_suites([rules], ctx)
    assert result.status is Status.ERROR
    assert "nosuchcol" in result.message
