import numpy as np

from worker.checks.engine import run_suites
from worker.checks.results import Status

from .builders import episode_table, member_name, rule, suite


def _state(rows: int, elbow: list[float]) -> np.ndarray:
    state = np.zeros((rows, 3), dtype=np.float32)
    state[:, 0] = elbow
    return state


def _dataset(make_context, bad_rows_per_episode: list[int], rows: int = 10):
    tables = {}
    for episode, bad in enumerate(bad_rows_per_episode):
        elbow = [0.5] * rows
        for i in range(bad):
            elbow[rows - 1 - i] = 9.0
        tables[member_name(episode)] = episode_table(episode, rows, _state(rows, elbow))
    return make_context(tables)


def test_all_scope_passes(make_context):
    ctx = _dataset(make_context, [0, 0, 0])
    rules = suite(rule("expect_column_values_to_be_between", column="observation.state.kLeftElbow", min_value=0, max_value=1))
    [result] = run_suites([rules], ctx)
    assert result.status is Status.PASSED
    assert result.failed_count == 0
    assert result.total_count == 30
    assert result.suite == "engine-test"
    assert result.suite_version == "3"
    assert result.rule == "expect_column_values_to_be_between"


def test_all_scope_fails_with_counts(make_context):
    ctx = _dataset(make_context, [0, 2, 1])
    rules = suite(rule("expect_column_values_to_be_between", column="observation.state.kLeftElbow", min_value=0, max_value=1))
    [result] = run_suites([rules], ctx)
    assert result.status is Status.FAILED
    assert result.failed_count == 3
    assert result.total_count == 30
    assert result.observed == 10.0
    assert result.message.startswith("3 values outside [0, 1] in observation.state.kLeftElbow (10.0% of 30)")
    assert "first at data/chunk-000/episode_000001.parquet episode 1 row 8 (value 9)" in result.message


def test_all_scope_mostly(make_context):
    ctx = _dataset(make_context, [0, 2, 1])
    rules = suite(
        rule("expect_column_values_to_be_between", column="observation.state[0]", min_value=0, max_value=1, mostly=0.9)
    )
    [result] = run_suites([rules], ctx)
    assert result.status is Status.PASSED
    assert result.failed_count == 3
    assert "allowed at most 10%" in result.message


def test_member_scope_counts_members(make_context):
    ctx = _dataset(make_context, [0, 2, 0, 1])
    rules = suite(
        rule("expect_column_values_to_be_between", scope="member", column="observation.state[0]", min_value=0, max_value=1)
    )
    [result] = run_suites([rules], ctx)
    assert result.status is Status.FAILED
    assert result.failed_count == 2
    assert result.total_count == 4
    assert result.message.startswith("2 of 4 members fail (50.0%), allowed at most 0: ")
    assert [e.member for e in result.examples] == [member_name(1), member_name(3)]
    assert [e.row for e in result.examples] == [8, 9]
    assert result.details["failing_units"][0] == {"unit": f"member {member_name(1)}", "unexpected": 2, "checked": 10}


def test_member_scope_mostly_per_unit(make_context):
    # 1 of 10 rows fails in episode 3 (10%), 2 of 10 in episode 1 (20%); mostly 0.85 fails only episode 1.
    ctx = _dataset(make_context, [0, 2, 0, 1])
    rules = suite(
        rule(
            "expect_column_values_to_be_between",
            scope="member",
            column="observation.state[0]",
            min_value=0,
            max_value=1,
            mostly=0.85,
        )
    )
    [result] = run_suites([rules], ctx)
    assert result.failed_count == 1
    assert result.examples[0].member == member_name(1)


def test_episode_scope_in_one_file(make_context):
    # Three episodes in one member, as LeRobot v3.0 stores them.
    tables = [episode_table(e, 5, _state(5, [0.5, 0.5, 0.5, 0.5, 7.0 if e == 1 else 0.5])) for e in range(3)]
    import pyarrow as pa

    ctx = make_context({"data/chunk-000/file-000.parquet": pa.concat_tables(tables)})
    rules = suite(
        rule("expect_column_values_to_be_between", scope="episode", column="observation.state[0]", min_value=0, max_value=1)
    )
    [result] = run_suites([rules], ctx)
    assert result.status is Status.FAILED
    assert result.failed_count == 1
    assert result.total_count == 3
    assert result.examples[0].episode == 1
    assert result.examples[0].row == 9
    assert result.examples[0].member == "data/chunk-000/file-000.parquet"


def _threshold_rule(**limits):
    return rule(
        "expect_column_values_to_be_between",
        scope="episode",
        column="observation.state[0]",
        min_value=0,
        max_value=1,
        **limits,
    )


def test_threshold_percent(make_context):
    ctx = _dataset(make_context, [0, 2, 0, 0, 0, 0, 0, 0])
    [result] = run_suites([suite(_threshold_rule(max_failed_percent=12.5))], ctx)
    assert result.status is Status.PASSED
    assert result.failed_count == 1
    assert result.message.startswith("1 of 8 episodes fail (12.5%), allowed at most 12.5%: episode 1: 2 values outside [0, 1]")

    [result] = run_suites([suite(_threshold_rule(max_failed_percent=10))], ctx)
    assert result.status is Status.FAILED
    assert result.failed_count == 1


def test_threshold_count(make_context):
    ctx = _dataset(make_context, [1, 2, 0, 1])
    [result] = run_suites([suite(_threshold_rule(max_failed_count=3))], ctx)
    assert result.status is Status.PASSED
    assert result.failed_count == 3

    [result] = run_suites([suite(_threshold_rule(max_failed_count=2))], ctx)
    assert result.status is Status.FAILED
    assert "allowed at most 2: " in result.message


def test_threshold_default_none(make_context):
    ctx = _dataset(make_context, [0, 0, 1])
    [result] = run_suites([suite(_threshold_rule())], ctx)
    assert result.status is Status.FAILED
    assert result.message.startswith("1 of 3 episodes fail (33.3%), allowed at most 0: ")


def test_aggregate_per_episode(make_context):
    tables = {
        member_name(0): episode_table(0, 4, _state(4, [1.0, 2.0, 3.0, 4.0])),
        member_name(1): episode_table(1, 6, _state(6, [1.0] * 6)),
    }
    ctx = make_context(tables)
    rules = suite(
        rule("expect_column_mean_to_be_between", scope="episode", column="observation.state.kLeftElbow", max_value=2),
        rule("expect_column_max_to_be_between", scope="episode", column="observation.state.kLeftElbow", max_value=3.5),
        rule("expect_table_row_count_to_be_between", scope="episode", min_value=5),
        rule("expect_column_stdev_to_be_between", scope="episode", column="observation.state.kLeftElbow", max_value=1),
    )
    mean, maximum, rows, stdev = run_suites([rules], ctx)
    assert mean.failed_count == 1
    assert mean.examples[0].episode == 0
    assert mean.examples[0].value == 2.5
    assert "mean of observation.state.kLeftElbow is 2.5, expected at most 2" in mean.message
    assert maximum.examples[0].value == 4.0
    assert rows.failed_count == 1
    assert rows.examples[0].value == 4
    assert stdev.failed_count == 1
    assert abs(stdev.examples[0].value - np.std([1, 2, 3, 4], ddof=1)) < 1e-9


def test_aggregate_all_scope(make_context):
    tables = {member_name(e): episode_table(e, 5) for e in range(3)}
    ctx = make_context(tables)
    rules = suite(rule("expect_table_row_count_to_equal", value=14))
    [result] = run_suites([rules], ctx)
    assert result.status is Status.FAILED
    assert result.observed == 15
    assert result.message == "row count is 15, expected exactly 14"


def test_not_null_message(make_context):
    import pyarrow as pa

    table = episode_table(0, 8)
    timestamps = pa.array([0.0, None, None, 0.1, None, 0.2, 0.3, 0.4], type=pa.float32())
    table = table.set_column(table.column_names.index("timestamp"), "timestamp", timestamps)
    ctx = make_context({member_name(0): table})
    rules = suite(rule("expect_column_values_to_not_be_null", column="timestamp", mostly=0.95))
    [result] = run_suites([rules], ctx)
    assert result.status is Status.FAILED
    assert result.message.startswith("observed 37.5% null (3 of 8 rows) in timestamp, allowed at most 5%")
