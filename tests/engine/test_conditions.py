import numpy as np
import pyarrow as pa

from worker.checks.engine import run_suites
from worker.checks.results import Status

from .builders import episode_table, member_name, rule, suite


def _with_column(table, name, values):
    return table.append_column(name, pa.array(values, type=pa.float64()))


def test_row_condition_per_episode(make_context):
    # Only rows with frame_index >= 2 are checked: episode 0 has 1 failing of 3, episode 1 none of 2.
    first = _with_column(episode_table(0, 5), "effort", [9.0, 9.0, 0.1, 9.0, 0.2])
    second = _with_column(episode_table(1, 4), "effort", [9.0, 9.0, 0.3, 0.4])
    ctx = make_context({member_name(0): first, member_name(1): second})
    rules = suite(
        rule(
            "expect_column_values_to_be_between",
            scope="episode",
            column="effort",
            max_value=1,
            row_condition="frame_index >= 2",
        )
    )
    [result] = run_suites([rules], ctx)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.details["failing_units"] == [{"unit": "episode 0", "unexpected": 1, "checked": 3}]
    assert result.examples[0].row == 3


def test_pair_nulls_per_episode(make_context):
    # Rows where both values are null are skipped, as great-expectations does by default.
    first = _with_column(_with_column(episode_table(0, 4), "a", [2.0, None, 1.0, None]), "b", [1.0, 5.0, 3.0, None])
    second = _with_column(_with_column(episode_table(1, 3), "a", [5.0, 6.0, 7.0]), "b", [1.0, 2.0, 3.0])
    ctx = make_context({member_name(0): first, member_name(1): second})
    rules = suite(
        rule("expect_column_pair_values_a_to_be_greater_than_b", scope="episode", column_A="a", column_B="b"),
        rule("expect_column_pair_values_a_to_be_greater_than_b", column_A="a", column_B="b"),
    )
    per_episode, whole = run_suites([rules], ctx)
    failing = per_episode.details["failing_units"]
    assert [unit["unit"] for unit in failing] == ["episode 0"]
    assert failing[0]["checked"] == whole.total_count - 3
    assert failing[0]["unexpected"] == whole.failed_count
    assert whole.total_count == 6
    assert np.isclose(whole.observed, 100.0 * whole.failed_count / 6)


def test_unknown_condition_column_errors(make_context):
    """A row_condition naming a missing column cannot run, so the rule errors (a hold), never passes on 0 rows."""
    ctx = make_context({member_name(0): episode_table(0, 5), member_name(1): episode_table(1, 4)})
    for scope in ("all", "episode"):
        rules = suite(rule("expect_column_values_to_not_be_null", scope=scope, column="timestamp",
                           row_condition="nosuchcol == 3", condition_parser="pandas"))
        [result] = run_suites([rules], ctx)
        assert result.status is Status.ERROR, scope
        assert "nosuchcol" in result.message
