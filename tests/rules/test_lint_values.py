"""Wrong types and values in suites, rules, selectors and policies."""

from __future__ import annotations

from .helpers import located

RULE_HEAD = """
    suite: values
    rules:
      - id: nulls
        expectation: expect_column_values_to_not_be_null
        members: "data/**/*.parquet"
        args: {column: timestamp}
"""


def test_scope_typo_suggests(lint_text):
    errors = lint_text(RULE_HEAD + "        scope: episodes\n")
    assert located(errors) == [(7, 12, "invalid-value")]
    assert "scope: Input should be 'member', 'episode' or 'all'" in errors[0].message
    assert "did you mean 'episode'?" in errors[0].message


def test_severity_invalid(lint_text):
    errors = lint_text(RULE_HEAD + "        severity: fatal\n")
    assert located(errors) == [(7, 15, "invalid-value")]
    assert "(got 'fatal')" in errors[0].message


def test_percent_above_hundred(lint_text):
    errors = lint_text(RULE_HEAD + "        scope: episode\n        max_failed_percent: 150\n")
    assert located(errors) == [(8, 25, "invalid-value")]
    assert "max_failed_percent: Input should be less than or equal to 100" in errors[0].message


def test_count_not_integer(lint_text):
    errors = lint_text(RULE_HEAD + "        scope: member\n        max_failed_count: two\n")
    assert located(errors) == [(8, 23, "invalid-value")]
    assert "(got 'two')" in errors[0].message


def test_thresholds_need_scope(lint_text):
    errors = lint_text(RULE_HEAD + "        max_failed_count: 2\n")
    assert located(errors) == [(3, 5, "invalid-value")]
    assert "set scope: member or scope: episode" in errors[0].message


def test_enabled_not_boolean(lint_text):
    errors = lint_text(RULE_HEAD + "        enabled: sometimes\n")
    assert located(errors) == [(7, 14, "invalid-value")]


def test_check_and_expectation(lint_text):
    errors = lint_text(RULE_HEAD + "        check: archive.duplicate_names\n")
    assert located(errors) == [(3, 5, "invalid-value"), (6, 12, "check-args")]
    assert "either `check` or `expectation`, not both" in errors[0].message
    assert "unknown argument 'column' for check archive.duplicate_names; it takes no arguments" in errors[1].message


def test_rule_without_kind(lint_text):
    errors = lint_text("suite: values\nrules:\n  - id: lonely\n    severity: warning\n")
    assert located(errors) == [(3, 5, "invalid-value")]
    assert "a rule needs `check`" in errors[0].message


def test_expectation_without_members(lint_text):
    errors = lint_text("suite: values\nrules:\n  - expectation: expect_table_row_count_to_be_between\n    args: {min_value: 1}\n")
    assert located(errors) == [(3, 5, "invalid-value")]
    assert 'members: "data/**/*.parquet"' in errors[0].message


def test_missing_suite_name(lint_text):
    errors = lint_text("version: '1'\nrules: []\n")
    assert located(errors) == [(1, 1, "missing-key")]
    assert "missing the required key 'suite'" in errors[0].message


def test_bad_suite_name(lint_text):
    errors = lint_text("suite: my suite\n")
    assert located(errors) == [(1, 8, "invalid-value")]


def test_document_not_mapping(lint_text):
    errors = lint_text("- suite: values\n")
    assert located(errors) == [(1, 1, "not-a-suite")]


def test_version_losing_digits(lint_text):
    errors = lint_text("suite: values\nversion: 1.10\n")
    assert located(errors) == [(2, 10, "invalid-value")]
    assert 'quote it, e.g. version: "1.10"' in errors[0].message


def test_version_number_accepted(lint_text):
    assert lint_text("suite: values\nversion: 2\n") == []


def test_data_type_typo(lint_text):
    errors = lint_text("suite: values\napplies_to:\n  data_type: [episode, synthetic_pv]\n")
    assert located(errors) == [(3, 24, "unknown-data-type")]
    assert "did you mean 'synthetic_pov'?" in errors[0].message


def test_new_data_type_accepted(lint_text):
    assert lint_text("suite: values\napplies_to:\n  data_type: pointcloud\n") == []


def test_metadata_list_value(lint_text):
    errors = lint_text("suite: values\napplies_to:\n  metadata:\n    robot_type: [g1, so101]\n")
    assert located(errors) == [(4, 17, "invalid-value")]
    assert "write {in: [...]}" in errors[0].message


def test_empty_metadata_condition(lint_text):
    errors = lint_text("suite: values\napplies_to:\n  metadata:\n    robot_type: {}\n")
    assert located(errors) == [(4, 5, "invalid-value")]


def test_ids_not_uuid(lint_text):
    errors = lint_text("suite: values\napplies_to:\n  ids: [770e8400-e29b-41d4-a716-446655440001, not-a-uuid]\n")
    assert located(errors) == [(3, 47, "invalid-value")]


def test_policy_reject_on_invalid(lint_text):
    errors = lint_text("suite: values\npolicy:\n  reject_on: warnings\n")
    assert located(errors) == [(3, 14, "invalid-value")]
    assert "did you mean 'warning'?" in errors[0].message


def test_policy_negative_max_warnings(lint_text):
    errors = lint_text("suite: values\npolicy:\n  max_warnings: -1\n")
    assert located(errors) == [(3, 17, "invalid-value")]


def test_stray_dash_hint(lint_text):
    errors = lint_text(RULE_HEAD + "      - severity: warning\n")
    assert located(errors) == [(7, 5, "invalid-value")]
    assert "remove the '- ' before them" in errors[0].message


def test_members_absolute(lint_text):
    errors = lint_text(RULE_HEAD.replace('"data/**/*.parquet"', '"/data/**/*.parquet"'))
    assert located(errors) == [(5, 14, "members")]
    assert "relative to the dataset's root folder" in errors[0].message


def test_members_not_tables(lint_text):
    errors = lint_text(RULE_HEAD.replace('"data/**/*.parquet"', '"videos/*.mp4"'))
    assert located(errors) == [(5, 14, "members")]
    assert "matches only .mp4 files" in errors[0].message


def test_check_members_any_suffix(lint_text):
    assert lint_text("suite: values\nrules:\n  - check: video.decodes\n    members: 'videos/*.mp4'\n") == []
