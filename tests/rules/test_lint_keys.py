"""Unknown keys, and keys that indentation put at the wrong level."""

from __future__ import annotations

from .helpers import located

NULLS_RULE = """
    suite: keys
    rules:
      - id: nulls
        expectation: expect_column_values_to_not_be_null
        members: "data/**/*.parquet"
        args:
          column: timestamp
"""


def test_valid_suite_has_no_errors(lint_text):
    assert lint_text(NULLS_RULE) == []


def test_unknown_rule_key_suggests(lint_text):
    errors = lint_text(NULLS_RULE + "        sevrity: warning\n")
    assert located(errors) == [(8, 5, "unknown-key")]
    assert "did you mean 'severity'?" in errors[0].message


def test_unknown_suite_key_suggests(lint_text):
    errors = lint_text("suite: keys\ndescriptoin: typo\n")
    assert located(errors) == [(2, 1, "unknown-key")]
    assert "did you mean 'description'?" in errors[0].message


def test_unknown_key_lists_valid_keys(lint_text):
    errors = lint_text("suite: keys\npolicy:\n  zzz: 1\n")
    assert located(errors) == [(3, 3, "unknown-key")]
    assert "valid keys are reject_on, max_warnings, on_no_checks" in errors[0].message


def test_args_at_suite_level(lint_text):
    errors = lint_text(
        """
        suite: keys
        rules:
          - id: nulls
            expectation: expect_column_values_to_not_be_null
            members: "data/**/*.parquet"
        args:
          column: timestamp
        """
    )
    assert located(errors) == [(3, 5, "expectation-args"), (6, 1, "misplaced-key")]
    assert "needs argument 'column'" in errors[0].message
    assert "'args' is a rule key but sits at the suite's level" in errors[1].message


def test_severity_nested_under_args(lint_text):
    errors = lint_text(NULLS_RULE + "          severity: warning\n")
    assert located(errors) == [(8, 7, "misplaced-key")]
    assert "'severity' is a rule key nested under args; dedent it" in errors[0].message


def test_argument_at_rule_level(lint_text):
    errors = lint_text(NULLS_RULE + "        mostly: 0.9\n")
    assert located(errors) == [(8, 5, "misplaced-key")]
    assert "'mostly' is an argument, not a rule key; indent it under args:" in errors[0].message


def test_arguments_after_empty_args(lint_text):
    errors = lint_text(
        """
        suite: keys
        rules:
          - id: nulls
            expectation: expect_column_values_to_not_be_null
            members: "data/**/*.parquet"
            args:
            column: timestamp
        """
    )
    assert located(errors) == [(6, 5, "expectation-args"), (7, 5, "misplaced-key")]
    assert errors[1].message.startswith("'column' is an argument, not a rule key")


def test_selector_key_at_suite_level(lint_text):
    errors = lint_text("suite: keys\ndata_type: episode\n")
    assert located(errors) == [(2, 1, "misplaced-key")]
    assert "indent it under applies_to:" in errors[0].message


def test_policy_key_under_rule(lint_text):
    errors = lint_text(NULLS_RULE + "        max_warnings: 3\n")
    assert located(errors) == [(8, 5, "misplaced-key")]
    assert "'max_warnings' is a policy key nested under a rule" in errors[0].message


def test_suite_key_under_rule(lint_text):
    errors = lint_text(NULLS_RULE + "        applies_to:\n          data_type: episode\n")
    assert located(errors) == [(8, 5, "misplaced-key")]
    assert "'applies_to' is a suite key nested under a rule; dedent it" in errors[0].message


def test_metadata_key_under_applies_to(lint_text):
    errors = lint_text("suite: keys\napplies_to:\n  robot_type: so101\n")
    assert located(errors) == [(3, 3, "misplaced-key")]
    assert "go under applies_to.metadata" in errors[0].message


def test_rule_named_with_name(lint_text):
    errors = lint_text(NULLS_RULE.replace("- id: nulls", "- name: nulls"))
    assert located(errors) == [(3, 5, "misplaced-key")]
    assert "a rule is named by `id`" in errors[0].message


def test_unknown_metadata_condition_key(lint_text):
    errors = lint_text("suite: keys\napplies_to:\n  metadata:\n    fps: {minimum: 10}\n")
    assert located(errors) == [(4, 11, "unknown-key")]
    assert "did you mean 'min'?" in errors[0].message


def test_tab_indentation(lint_text):
    errors = lint_text("suite: keys\nrules:\n\t- id: x\n")
    assert located(errors) == [(3, 1, "yaml-syntax")]
    assert "indent with spaces" in errors[0].message


def test_duplicate_key(lint_text):
    errors = lint_text("suite: keys\nversion: '1'\nversion: '2'\n")
    assert located(errors) == [(3, 1, "duplicate-key")]
    assert 'duplicate key "version"' in errors[0].message


def test_key_under_scalar(lint_text):
    errors = lint_text("suite: keys\nrules:\n  - id: x\n    check: archive.duplicate_names\n      severity: warning\n")
    assert located(errors) == [(5, 15, "yaml-syntax")]
