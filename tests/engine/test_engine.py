import time

import pyarrow as pa

from pydantic import BaseModel
from structlog.testing import capture_logs

from worker.archive.errors import UnreadableTable
from worker.checks.engine import run_suites
from worker.checks.registry import register
from worker.checks.results import Severity, Status, passed

from .builders import episode_table, member_name, rule, suite


class _Args(BaseModel):
    limit: int = 1


@register("engine_test.crash", args=_Args)
def _crash(ctx, args):
    """Raise, as a buggy check would."""
    raise ZeroDivisionError("division by zero in frame rate")


@register("engine_test.archive_fault")
def _archive_fault(ctx, args):
    """Raise an archive error, as a check that meets a broken member would."""
    raise UnreadableTable("meta/episodes.jsonl", "line 3 is not valid JSON")


@register("engine_test.ok", args=_Args)
def _ok(ctx, args):
    """Pass with the limit it was given."""
    return [passed("engine_test.ok", f"limit {args.limit}")]


def test_builtin_crash_is_error(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3)})
    rules = suite({"id": "boom", "check": "engine_test.crash", "severity": "warning"}, {"check": "engine_test.ok", "args": {"limit": 4}})
    crash, ok = run_suites([rules], ctx)
    assert crash.status is Status.ERROR
    assert crash.message == "ZeroDivisionError: division by zero in frame rate"
    assert crash.rule == "boom"
    assert crash.severity is Severity.WARNING
    assert ok.status is Status.PASSED
    assert ok.message == "limit 4"
    assert ok.rule == "engine_test.ok"


def test_builtin_bad_args_is_error(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3)})
    [result] = run_suites([suite({"check": "engine_test.ok", "args": {"limit": "many"}})], ctx)
    assert result.status is Status.ERROR
    assert result.message.startswith("ValidationError: ")


def test_builtin_archive_error_fails(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3)})
    [result] = run_suites([suite({"check": "engine_test.archive_fault"})], ctx)
    assert result.status is Status.FAILED
    assert result.message == "table meta/episodes.jsonl is unreadable: line 3 is not valid JSON"
    assert result.member == "meta/episodes.jsonl"


def test_unreadable_table_fails(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3), member_name(1): episode_table(1, 3)})
    (ctx.source._root / member_name(1)).write_bytes(b"version https://git-lfs.github.com/spec/v1\n")
    rules = suite(rule("expect_column_values_to_not_be_null", column="timestamp"))
    unreadable, checked = run_suites([rules], ctx)
    assert unreadable.status is Status.FAILED
    assert unreadable.member == member_name(1)
    assert unreadable.message == (
        f"1 of 2 members cannot be read as tables, first {member_name(1)}: "
        "Parquet magic bytes not found in footer. Either the file is corrupted or this is not a parquet file."
    )
    assert checked.status is Status.PASSED
    assert checked.total_count == 3


def test_mismatched_type_fails(make_context):
    import pyarrow as pa

    odd = episode_table(1, 3)
    odd = odd.set_column(odd.column_names.index("timestamp"), "timestamp", pa.array(["0", "a", "b"]))
    ctx = make_context({member_name(0): episode_table(0, 3), member_name(1): odd, member_name(2): episode_table(2, 2)})
    rules = suite(rule("expect_column_values_to_be_between", column="timestamp", min_value=0))
    mismatched, checked = run_suites([rules], ctx)
    assert mismatched.status is Status.FAILED
    assert mismatched.message.startswith(
        f"1 of 3 members cannot be read as tables, first {member_name(1)}: column timestamp has type string where other members have float"
    )
    assert checked.status is Status.PASSED
    assert checked.total_count == 5


def test_missing_column_fails(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3), member_name(1): episode_table(1, 3).drop_columns(["timestamp"])})
    rules = suite(rule("expect_column_values_to_be_between", column="$timestamp_step", min_value=0.03))
    missing, checked = run_suites([rules], ctx)
    assert missing.status is Status.FAILED
    assert missing.message == f"1 of 2 members lack column timestamp, first {member_name(1)}"
    assert checked.total_count == 2


def test_absent_column_fails(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3)})
    rules = suite(
        rule("expect_column_values_to_not_be_null", column="effort"),
        rule("expect_column_values_to_not_be_null", column="observation.state.kNose"),
        rule("expect_column_values_to_not_be_null", column="observation.state[7]"),
    )
    plain, element, index = run_suites([rules], ctx)
    assert plain.status is Status.FAILED
    assert plain.message == (
        f"column 'effort' is not in {member_name(0)}, which has columns episode_index, frame_index, index, "
        "observation.state, timestamp, and matches no vector element named in meta/info.json"
    )
    assert element.status is Status.FAILED
    assert index.status is Status.FAILED
    assert index.message == f"column 'observation.state[7]': index 7 is out of range, 'observation.state' has 3 elements in {member_name(0)}"


def test_rule_errors(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3)})
    rules = suite(
        rule("expect_the_moon", column="timestamp"),
        rule("expect_column_values_to_be_between", column="timestamp", min_valu=0),
        rule("expect_column_median_to_be_between", scope="episode", column="timestamp", max_value=1),
        rule("expect_column_values_to_not_be_null", column="$frame_gap"),
    )
    unknown, misspelt, per_unit, derived = run_suites([rules], ctx)
    assert unknown.status is Status.ERROR
    assert unknown.message.startswith("unknown expectation 'expect_the_moon'")
    assert misspelt.status is Status.ERROR
    assert "min_valu" in misspelt.message
    assert per_unit.status is Status.ERROR
    assert per_unit.message.startswith("expect_column_median_to_be_between cannot be evaluated per episode")
    assert derived.status is Status.ERROR
    assert derived.message.startswith("unknown derived column '$frame_gap'; known: $timestamp_step")


def test_no_members_fails(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3)})
    [result] = run_suites([suite(rule("expect_column_values_to_not_be_null", members="data/**/*.csv", column="x"))], ctx)
    assert result.status is Status.FAILED
    assert result.message == "no member matches 'data/**/*.csv', so expect_column_values_to_not_be_null has nothing to check"


def test_disabled_rule_skipped(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3)})
    rules = suite(
        rule("expect_column_values_to_not_be_null", column="timestamp", enabled=False),
        {"check": "engine_test.ok"},
    )
    [result] = run_suites([rules], ctx)
    assert result.check == "engine_test.ok"


def test_deadline_times_out(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3)}, deadline=time.monotonic() - 1)
    rules = suite(rule("expect_column_values_to_not_be_null", column="timestamp"), {"check": "engine_test.ok"})
    expectation, builtin = run_suites([rules], ctx)
    assert expectation.status is Status.ERROR
    assert expectation.message.startswith("timed out")
    assert builtin.status is Status.ERROR
    assert builtin.message.startswith("timed out")


@register("engine_test.slow")
def _slow(ctx, args):
    """Pass after a pause, as a long check would."""
    time.sleep(0.3)
    return [passed("engine_test.slow", "done")]


def test_result_after_deadline(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3)}, deadline=time.monotonic() + 0.2)
    [result] = run_suites([suite({"check": "engine_test.slow"})], ctx)
    assert result.status is Status.ERROR
    assert result.message == "timed out: engine_test.slow finished after the check deadline (check_timeout_s)"


def test_logs_rules_and_suite(make_context):
    ctx = make_context({member_name(0): episode_table(0, 3)})
    rules = suite(
        rule("expect_column_values_to_not_be_null", column="timestamp"),
        rule("expect_column_values_to_not_be_null", column="index", id="index-present"),
        {"check": "engine_test.ok"},
    )
    with capture_logs() as events:
        run_suites([rules], ctx)
    per_rule = [e for e in events if e["event"] == "rule_evaluated"]
    per_suite = [e for e in events if e["event"] == "suite_evaluated"]
    assert [e["rule"] for e in per_rule] == ["expect_column_values_to_not_be_null", "index-present", "engine_test.ok"]
    assert {e["log_level"] for e in per_rule} == {"debug"}
    assert all(e["elapsed_s"] >= 0 for e in per_rule)
    assert len(per_suite) == 1
    assert per_suite[0]["log_level"] == "info"
    assert per_suite[0]["results"] == 3


def test_schema_expectations(make_context):
    extra = episode_table(1, 3).append_column("note", pa.array(["a", "b", "c"]))
    ctx = make_context({member_name(0): episode_table(0, 3), member_name(1): extra, member_name(2): episode_table(2, 4)})
    columns = ["observation.state", "timestamp", "frame_index", "episode_index", "index"]
    rules = suite(
        rule("expect_table_columns_to_match_set", column_set=columns, exact_match=True),
        rule("expect_table_column_count_to_equal", scope="member", value=5, max_failed_count=1),
        rule("expect_column_to_exist", column="note"),
    )
    match_set, count, exists = run_suites([rules], ctx)
    assert match_set.status is Status.FAILED
    assert match_set.failed_count == 1
    assert match_set.total_count == 3
    assert match_set.examples[0].member == member_name(1)
    assert match_set.message.startswith(f"1 of 3 members fail (33.3%), allowed at most 0: member {member_name(1)}: ")
    assert count.status is Status.PASSED
    assert count.failed_count == 1
    assert exists.failed_count == 2
    assert [e.member for e in exists.examples] == [member_name(0), member_name(2)]
