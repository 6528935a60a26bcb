import numpy as np
import pyarrow as pa

from worker.checks.engine import run_suites
from worker.checks.expectations.batching import build_batch
from worker.checks.expectations.columns import resolve, TableShape
from worker.checks.results import Status

from .builders import episode_table, member_name, rule, suite

DERIVED = ["$timestamp_step", "$frame_index_step", "$index_step", "$row_in_episode", "$episode_length"]


def _batch(tables):
    columns = [resolve(name, TableShape({}, {}, {}))[0] for name in DERIVED]
    return build_batch(list(tables.items()), columns)


def _interleaved():
    # Two episodes in one member with rows interleaved, then a second member.
    first = pa.concat_tables([episode_table(0, 3), episode_table(1, 2)])
    order = pa.array([0, 3, 1, 4, 2])
    return {"a.parquet": first.take(order), "b.parquet": episode_table(0, 2)}


def test_steps_within_episode():
    frame = _batch(_interleaved()).frame
    np.testing.assert_allclose(frame["$timestamp_step"], [np.nan, np.nan, 1 / 30, 1 / 30, 1 / 30, np.nan, 1 / 30], rtol=1e-6)
    np.testing.assert_array_equal(frame["$frame_index_step"], [np.nan, np.nan, 1, 1, 1, np.nan, 1])
    np.testing.assert_array_equal(frame["$index_step"], [np.nan, np.nan, 1, 1, 1, np.nan, 1])


def test_positions_within_episode():
    frame = _batch(_interleaved()).frame
    np.testing.assert_array_equal(frame["$row_in_episode"], [0, 0, 1, 1, 2, 0, 1])
    np.testing.assert_array_equal(frame["$episode_length"], [3, 2, 3, 2, 3, 2, 2])


def test_step_rule_finds_gap(make_context):
    table = episode_table(2, 6)
    timestamps = pa.array(np.array([0, 1, 2, 4, 5, 6], dtype=np.float32) / 30)
    table = table.set_column(table.column_names.index("timestamp"), "timestamp", timestamps)
    ctx = make_context({member_name(1): episode_table(1, 5), member_name(2): table})
    rules = suite(rule("expect_column_values_to_be_between", column="$timestamp_step", min_value=0.03, max_value=0.037))
    [result] = run_suites([rules], ctx)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.total_count == 9
    assert (result.examples[0].member, result.examples[0].episode, result.examples[0].row) == (member_name(2), 2, 3)


def test_episode_length_rule(make_context):
    ctx = make_context({member_name(0): episode_table(0, 4), member_name(1): episode_table(1, 7)})
    rules = suite(rule("expect_column_values_to_be_between", scope="episode", column="$episode_length", min_value=5))
    [result] = run_suites([rules], ctx)
    assert result.failed_count == 1
    assert result.examples[0].episode == 0
    assert result.details["failing_units"] == [{"unit": "episode 0", "unexpected": 4, "checked": 4}]
