"""Mistakes across suites: extends, include, cycles, duplicates and variables."""

from __future__ import annotations

from worker.rules.lint import lint_paths

from .helpers import located

BASE = """
suite: _base
variables:
  max_step: 0.04
applies_to:
  data_type: episode
rules:
  - id: step
    expectation: expect_column_values_to_be_between
    members: "data/**/*.parquet"
    args:
      column: $timestamp_step
      max_value: ${max_step}
"""


def test_unknown_extends_suggests(lint_text):
    errors = lint_text(BASE + "---\nsuite: g1\nextends: _bsae\n")
    assert located(errors) == [(15, 10, "unknown-extends")]
    assert "did you mean '_base'?" in errors[0].message


def test_extends_cycle(lint_text):
    errors = lint_text("suite: a\nextends: b\n---\nsuite: b\nextends: a\n")
    assert located(errors) == [(5, 10, "cycle")]
    assert "inheritance cycle: a -> b -> a" in errors[0].message


def test_extends_itself(lint_text):
    errors = lint_text("suite: a\nextends: a\n")
    assert located(errors) == [(2, 10, "cycle")]


def test_include_cycle(write_rules):
    write_rules("suite: _a\ninclude: b.yaml\n", "a.yaml")
    path = write_rules("suite: _b\ninclude: [a.yaml]\n", "b.yaml")
    errors = lint_paths([path.parent])
    assert located(errors) == [(2, 11, "cycle")]
    assert errors[0].file.name == "b.yaml"


def test_duplicate_suite_across_files(write_rules):
    write_rules("suite: same\n", "a.yaml")
    path = write_rules("description: second\nsuite: same\n", "b.yaml")
    errors = lint_paths([path.parent])
    assert located(errors) == [(2, 8, "duplicate-suite")]
    assert errors[0].file.name == "b.yaml"
    assert "a.yaml:1" in errors[0].message


def test_duplicate_rule_id(lint_text):
    text = BASE + "  - id: step\n    check: lerobot.frame_index\n"
    errors = lint_text(text)
    assert located(errors) == [(13, 9, "duplicate-rule")]
    assert "already used at line 7" in errors[0].message


def test_unresolved_variable(lint_text):
    errors = lint_text(BASE.replace("${max_step}", "${max_stp}").replace("suite: _base", "suite: concrete"))
    assert located(errors) == [(12, 18, "unresolved-variable")]
    assert "variable ${max_stp} is not defined in suite concrete; define it under variables:" in errors[0].message


def test_abstract_may_leave_variable(lint_text):
    text = BASE.replace("variables:\n  max_step: 0.04\n", "")
    assert lint_text(text) == []


def test_child_must_define_variable(lint_text):
    text = BASE.replace("variables:\n  max_step: 0.04\n", "") + "---\nsuite: g1\nextends: _base\n"
    errors = lint_text(text)
    assert located(errors) == [(10, 18, "unresolved-variable")]
    assert "in suite g1 or the suites it inherits from" in errors[0].message


def test_variable_type_checked_after_substitution(lint_text):
    text = BASE + "---\nsuite: g1\nextends: _base\nvariables:\n  max_step: fast\n"
    errors = lint_text(text)
    assert located(errors) == [(12, 18, "expectation-args")]
    assert "args.max_value: value is not a valid float (got 'fast')" in errors[0].message


def test_variable_referencing_variable(lint_text):
    errors = lint_text("suite: v\nvariables:\n  a: 1\n  b: ${a}\n")
    assert located(errors) == [(4, 6, "variable")]


def test_malformed_variable_reference(lint_text):
    errors = lint_text("suite: v\ndescription: 'limit ${not valid}'\n")
    assert located(errors) == [(2, 14, "variable")]


def test_include_not_found(lint_text):
    errors = lint_text("suite: v\ninclude: [shared/missing.yaml]\n")
    assert located(errors) == [(2, 11, "include-not-found")]


def test_override_without_target(lint_text):
    errors = lint_text(BASE + "---\nsuite: g1\nextends: _base\nrules:\n  - id: stpe\n    enabled: false\n")
    assert located(errors) == [(17, 9, "unknown-override")]
    assert "did you mean 'step'?" in errors[0].message


def test_error_in_base_reported_once(lint_text):
    text = BASE.replace("max_value:", "max_vaule:") + "---\nsuite: a\nextends: _base\n---\nsuite: b\nextends: _base\n"
    errors = lint_text(text)
    assert located(errors) == [(12, 7, "expectation-args")]


def test_file_not_found(tmp_path):
    errors = lint_paths([tmp_path / "nothing.yaml"])
    assert located(errors) == [(1, 1, "file-not-found")]


def test_folder_without_rules(tmp_path):
    errors = lint_paths([tmp_path])
    assert located(errors) == [(1, 1, "no-rule-files")]


def test_two_unresolved_in_one_text(lint_text):
    errors = lint_text("suite: v\ndescription: '${robot} at ${site}'\n")
    assert located(errors) == [(2, 14, "unresolved-variable"), (2, 14, "unresolved-variable")]
    assert "${robot}" in errors[0].message
    assert "${site}" in errors[1].message
