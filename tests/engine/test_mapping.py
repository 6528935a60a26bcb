import numpy as np

from worker.checks.engine import run_suites
from worker.checks.results import Example

from .builders import episode_table, member_name, rule, suite


def _state(rows, bad_rows):
    state = np.zeros((rows, 3), dtype=np.float32)
    for row in bad_rows:
        state[row, 1] = 3.0 + row
    return state


def test_rows_map_to_members(make_context):
    tables = {
        member_name(0): episode_table(0, 5, _state(5, [])),
        member_name(4): episode_table(4, 6, _state(6, [1, 5])),
        member_name(9): episode_table(9, 4, _state(4, [0])),
    }
    ctx = make_context(tables)
    rules = suite(rule("expect_column_values_to_be_between", column="observation.state.kRightElbow", max_value=1))
    [result] = run_suites([rules], ctx)
    column = "observation.state.kRightElbow"
    assert result.examples == [
        Example(member=member_name(4), episode=4, row=1, column=column, value=4.0),
        Example(member=member_name(4), episode=4, row=5, column=column, value=8.0),
        Example(member=member_name(9), episode=9, row=0, column=column, value=3.0),
    ]
    assert result.message == (
        "3 values outside at most 1 in observation.state.kRightElbow (20.0% of 15), "
        f"first at {member_name(4)} episode 4 row 1 (value 4)"
    )


def test_examples_capped(make_context):
    tables = {member_name(e): episode_table(e, 4, _state(4, [0, 1, 2, 3])) for e in range(3)}
    ctx = make_context(tables)
    rules = suite(rule("expect_column_values_to_be_between", column="observation.state[1]", max_value=1))
    [result] = run_suites([rules], ctx)
    assert result.failed_count == 12
    assert len(result.examples) == 5
    assert [(e.episode, e.row) for e in result.examples] == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0)]


def test_episode_from_member_name(make_context):
    table = episode_table(0, 3, _state(3, [2])).drop_columns(["episode_index"])
    ctx = make_context({member_name(12): table})
    rules = suite(rule("expect_column_values_to_be_between", scope="episode", column="observation.state[1]", max_value=1))
    [result] = run_suites([rules], ctx)
    assert result.examples == [Example(member=member_name(12), episode=12, row=2, column="observation.state.kRightElbow", value=5.0)]
