"""Expectation and built-in check names and arguments."""

from __future__ import annotations

from .helpers import located


def expectation_rule(expectation: str, args: str, extra: str = "") -> str:
    return (
        "suite: args\n"
        "rules:\n"
        "  - id: r\n"
        f"    expectation: {expectation}\n"
        '    members: "data/**/*.parquet"\n'
        f"    args: {args}\n"
        f"{extra}"
    )


def check_rule(check: str, args: str) -> str:
    return f"suite: args\nrules:\n  - id: r\n    check: {check}\n    args: {args}\n"


def test_unknown_expectation_suggests(lint_text):
    errors = lint_text(expectation_rule("expect_column_values_to_not_be_nul", "{column: timestamp}"))
    assert located(errors) == [(4, 18, "unknown-expectation")]
    assert "did you mean 'expect_column_values_to_not_be_null'?" in errors[0].message


def test_mostly_out_of_range(lint_text):
    errors = lint_text(expectation_rule("expect_column_values_to_not_be_null", "{column: timestamp, mostly: 1.5}"))
    assert located(errors) == [(6, 39, "expectation-args")]
    assert "args.mostly: ensure this value is less than or equal to 1.0 (got 1.5)" in errors[0].message
    assert "mostly is a fraction from 0 to 1" in errors[0].message


def test_unknown_argument_suggests(lint_text):
    errors = lint_text(expectation_rule("expect_column_values_to_be_between", "{column: timestamp, min_vale: 0}"))
    assert located(errors) == [(6, 31, "expectation-args")]
    assert "unknown argument 'min_vale' for expect_column_values_to_be_between; did you mean 'min_value'?" in errors[0].message


def test_missing_argument(lint_text):
    errors = lint_text(expectation_rule("expect_column_values_to_be_in_set", "{column: task_index}"))
    assert located(errors) == [(6, 11, "expectation-args")]
    assert "needs argument 'value_set'" in errors[0].message


def test_root_validator_error(lint_text):
    errors = lint_text(expectation_rule("expect_column_values_to_be_between", "{column: timestamp}"))
    assert located(errors) == [(6, 11, "expectation-args")]
    assert "min_value and max_value cannot both be None" in errors[0].message


def test_wrong_argument_type(lint_text):
    errors = lint_text(expectation_rule("expect_column_values_to_be_between", "{column: timestamp, min_value: low}"))
    assert located(errors) == [(6, 42, "expectation-args")]
    assert "args.min_value: value is not a valid float (got 'low')" in errors[0].message


def test_bookkeeping_argument(lint_text):
    errors = lint_text(expectation_rule("expect_column_values_to_not_be_null", "{column: timestamp, result_format: COMPLETE}"))
    assert located(errors) == [(6, 31, "expectation-args")]
    assert "'result_format' is set by the gate" in errors[0].message


def test_row_condition_needs_parser(lint_text):
    errors = lint_text(
        expectation_rule("expect_column_values_to_not_be_null", "{column: timestamp, row_condition: 'episode_index > 2'}")
    )
    assert located(errors) == [(6, 46, "expectation-args")]
    assert "condition_parser: pandas" in errors[0].message


def test_row_condition_with_parser(lint_text):
    args = "{column: timestamp, row_condition: 'episode_index > 2', condition_parser: pandas}"
    assert lint_text(expectation_rule("expect_column_values_to_not_be_null", args)) == []


def test_row_condition_bad_syntax(lint_text):
    args = "{column: timestamp, row_condition: 'frame_index >>> 10', condition_parser: pandas}"
    errors = lint_text(expectation_rule("expect_column_values_to_not_be_null", args))
    assert located(errors) == [(6, 46, "expectation-args")]
    assert "'frame_index >>> 10' is not a valid pandas query" in errors[0].message


def test_row_condition_backticks_parse(lint_text):
    args = "{column: timestamp, row_condition: '`observation.state[0]` > 0 and frame_index > 1', condition_parser: pandas}"
    assert lint_text(expectation_rule("expect_column_values_to_not_be_null", args)) == []


def test_aggregate_per_episode_supported(lint_text):
    rule = expectation_rule("expect_column_max_to_be_between", "{column: frame_index, max_value: 5000}", "    scope: episode\n")
    assert lint_text(rule) == []


def test_batch_expectation_per_episode(lint_text):
    rule = expectation_rule("expect_table_columns_to_match_set", "{column_set: [timestamp]}", "    scope: episode\n")
    errors = lint_text(rule)
    assert located(errors) == [(7, 12, "scope")]
    assert "cannot be decided per episode" in errors[0].message


def test_schema_expectation_per_member_allowed(lint_text):
    rule = expectation_rule("expect_table_columns_to_match_set", "{column_set: [timestamp]}", "    scope: member\n")
    assert lint_text(rule) == []


def test_unknown_check_suggests(lint_text):
    errors = lint_text(check_rule("archive.lfs_pointer", "{}"))
    assert located(errors) == [(4, 12, "unknown-check")]
    assert "did you mean 'archive.lfs_pointers'?" in errors[0].message


def test_unknown_check_lists_known(lint_text):
    errors = lint_text(check_rule("zzz.qqq", "{}"))
    assert located(errors) == [(4, 12, "unknown-check")]
    assert "known checks: " in errors[0].message
    assert "archive.lfs_pointers" in errors[0].message


def test_check_unknown_argument(lint_text):
    errors = lint_text(check_rule("lerobot.timestamp_step", "{tolerance: 0.01}"))
    assert located(errors) == [(5, 12, "check-args")]
    assert "did you mean 'tolerance_s'?" in errors[0].message


def test_check_wrong_argument_type(lint_text):
    errors = lint_text(check_rule("lerobot.timestamp_step", "{tolerance_s: soon}"))
    assert located(errors) == [(5, 25, "check-args")]
    assert "args.tolerance_s: Input should be a valid number" in errors[0].message


def test_check_rule_key_in_args(lint_text):
    errors = lint_text(check_rule("lerobot.timestamp_step", "{severity: warning}"))
    assert located(errors) == [(5, 12, "misplaced-key")]


def test_check_argument_at_rule_level(lint_text):
    errors = lint_text(check_rule("lerobot.timestamp_step", "{}") + "    tolerance_s: 0.01\n")
    assert located(errors) == [(6, 5, "misplaced-key")]
    assert "'tolerance_s' is an argument, not a rule key" in errors[0].message


def test_check_valid(lint_text):
    assert lint_text(check_rule("lerobot.timestamp_step", "{tolerance_s: 0.002}")) == []
