"""JSON Schema of rule files: well formed, current, and in agreement with the loader."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from worker.rules.schema import SCHEMA_DIALECT, rule_file_json_schema, write_rule_file_schema

COMMITTED = Path(__file__).resolve().parents[2] / "rules" / "rule-suite.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = rule_file_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def messages(validator, document) -> list[str]:
    return [error.message for error in validator.iter_errors(document)]


def test_schema_dialect():
    assert rule_file_json_schema()["$schema"] == SCHEMA_DIALECT


def test_full_suite_valid(validator):
    document = {
        "suite": "g1",
        "version": 2,
        "extends": "_base",
        "variables": {"max_step": 0.04},
        "applies_to": {"data_type": "episode", "metadata": {"robot_type": {"in": ["g1"]}, "fps": 30}},
        "policy": {"max_warnings": "${limit}", "on_no_checks": "hold"},
        "rules": [
            {"id": "step", "severity": "warning", "args": {"mostly": 0.99}},
            {"id": "off", "enabled": False},
            {"expectation": "expect_column_values_to_not_be_null", "members": "data/*.parquet", "scope": "episode", "max_failed_percent": "${pct}"},
        ],
    }
    assert messages(validator, document) == []


def test_unknown_key_invalid(validator):
    assert messages(validator, {"suite": "a", "rules": [{"id": "x", "sevrity": "warning"}]}) == [
        "Additional properties are not allowed ('sevrity' was unexpected)"
    ]


def test_missing_suite_invalid(validator):
    assert messages(validator, {"rules": []}) == ["'suite' is a required property"]


def test_wrong_scope_invalid(validator):
    assert len(messages(validator, {"suite": "a", "rules": [{"id": "x", "scope": "episodes"}]})) == 1


def test_variable_pattern_enforced(validator):
    assert len(messages(validator, {"suite": "a", "policy": {"max_warnings": "three"}})) == 1


def test_write_schema(tmp_path):
    path = write_rule_file_schema(tmp_path / "rules" / "rule-suite.schema.json")
    assert json.loads(path.read_text()) == rule_file_json_schema()


def test_committed_schema_current():
    assert json.loads(COMMITTED.read_text()) == rule_file_json_schema(), "run: gerra-gate rules schema -o rules/rule-suite.schema.json"


def test_default_suites_valid(validator):
    from ruamel.yaml import YAML

    rules_dir = Path(__file__).resolve().parents[2] / "rules"
    documents = []
    for path in sorted(rules_dir.glob("*.yaml")):
        documents.extend((path.name, doc) for doc in YAML(typ="safe").load_all(path.read_text()))
    assert len(documents) >= 6
    for name, document in documents:
        errors = [error.message for error in validator.iter_errors(document)]
        assert errors == [], name
