"""Loading a rule folder: inheritance, variables, selection, digest and refusal."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from worker.checks.context import DatasetInfo
from worker.checks.results import Severity
from worker.rules.loader import RuleSetError, load_rule_set

BASE = """
suite: _lerobot
variables:
  max_step: 0.05
  joints: [0, 1, 2]
applies_to:
  data_type: episode
policy:
  max_warnings: 3
rules:
  - id: step
    expectation: expect_column_values_to_be_between
    members: "data/**/*.parquet"
    args: {column: $timestamp_step, max_value: "${max_step}"}
  - id: tasks
    expectation: expect_column_values_to_be_in_set
    members: "data/**/*.parquet"
    args: {column: task_index, value_set: "${joints}"}
  - id: frames
    check: lerobot.frame_index
"""

G1 = """
suite: g1
extends: _lerobot
version: 2
applies_to:
  metadata:
    robot_type: {in: [Unitree_G1_Inspire]}
variables:
  max_step: 0.04
policy:
  reject_on: warning
rules:
  - id: step
    severity: warning
    args: {mostly: 0.99}
  - id: frames
    enabled: false
  - id: episodes
    expectation: expect_table_row_count_to_be_between
    members: "data/**/*.parquet"
    scope: episode
    max_failed_percent: 10
    args: {min_value: 10}
"""


@pytest.fixture
def rule_set(write_rules):
    write_rules(BASE, "_lerobot.yaml")
    path = write_rules(G1, "g1.yaml")
    return load_rule_set(path.parent)


def g1_dataset(**metadata) -> DatasetInfo:
    return DatasetInfo("770e8400-e29b-41d4-a716-446655440001", "G1 bottle", "episode", metadata or {"robot_type": "Unitree_G1_Inspire"})


def test_abstract_suite_not_selectable(rule_set):
    assert sorted(rule_set.suites) == ["g1"]


def test_override_merges_fields(rule_set):
    step = rule_set.suites["g1"].rules[0]
    assert step.id == "step"
    assert step.severity is Severity.WARNING
    assert step.args == {"column": "$timestamp_step", "max_value": 0.04, "mostly": 0.99}


def test_variable_keeps_type(rule_set):
    tasks = rule_set.suites["g1"].rules[1]
    assert tasks.args["value_set"] == [0, 1, 2]


def test_disable_inherited_rule(rule_set):
    suite = rule_set.suites["g1"]
    assert [rule.id for rule in suite.rules] == ["step", "tasks", "frames", "episodes"]
    assert [rule.id for rule in suite.enabled_rules] == ["step", "tasks", "episodes"]


def test_new_rule_appended(rule_set):
    episodes = rule_set.suites["g1"].rules[3]
    assert episodes.scope == "episode"
    assert episodes.max_failed_percent == 10


def test_selector_and_policy_merge(rule_set):
    suite = rule_set.suites["g1"]
    assert suite.applies_to.data_type == ["episode"]
    assert suite.applies_to.metadata is not None
    assert suite.policy.max_warnings == 3
    assert suite.policy.reject_on == "warning"


def test_resolved_metadata(rule_set):
    suite = rule_set.suites["g1"]
    assert suite.version == "2"
    assert suite.bases == ["_lerobot"]
    assert suite.file.name == "g1.yaml"
    assert suite.line == 1


def test_select_matching(rule_set):
    assert [suite.suite for suite in rule_set.select(g1_dataset())] == ["g1"]


def test_select_other_robot(rule_set):
    assert rule_set.select(g1_dataset(robot_type="so101_follower")) == []


def test_select_other_type(rule_set):
    video = DatasetInfo("x", "clip", "synthetic_pov", {"robot_type": "Unitree_G1_Inspire"})
    assert rule_set.select(video) == []


def test_digest_over_sorted_bytes(rule_set):
    expected = hashlib.sha256()
    for file in sorted(rule_set.files):
        expected.update(file.read_bytes())
    assert [file.name for file in rule_set.files] == ["_lerobot.yaml", "g1.yaml"]
    assert rule_set.digest == expected.hexdigest()


def test_digest_changes_with_content(write_rules):
    path = write_rules("suite: a\n", "a.yaml")
    first = load_rule_set(path.parent).digest
    write_rules("suite: a\ndescription: changed\n", "a.yaml")
    assert load_rule_set(path.parent).digest != first


def test_include_from_outside_folder(tmp_path, write_rules):
    shared = tmp_path / "shared" / "defaults.yaml"
    shared.parent.mkdir()
    shared.write_text("suite: _defaults\nrules:\n  - id: dupes\n    check: archive.duplicate_names\n")
    path = write_rules("suite: pov\ninclude: ../shared/defaults.yaml\napplies_to: {data_type: synthetic_pov}\n", "pov.yaml")
    rule_set = load_rule_set(path.parent)
    assert [rule.id for rule in rule_set.suites["pov"].rules] == ["dupes"]
    assert [file.name for file in rule_set.files] == ["pov.yaml", "defaults.yaml"]
    assert rule_set.suites["pov"].bases == ["_defaults"]


def test_invalid_file_refuses_whole_set(write_rules):
    write_rules("suite: good\n", "a.yaml")
    path = write_rules("suite: bad\nrules:\n  - id: x\n    check: archive.nope\n", "b.yaml")
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(path.parent)
    assert [(e.file.name, e.line, e.column, e.code) for e in caught.value.errors] == [("b.yaml", 4, 12, "unknown-check")]
    assert "invalid rule set, 1 error(s)" in str(caught.value)


def test_missing_folder_refused(tmp_path):
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(tmp_path / "absent")
    assert [e.code for e in caught.value.errors] == ["file-not-found"]


def test_real_catalog_selection(real_catalog: Path, write_rules):
    write_rules(BASE, "_lerobot.yaml")
    write_rules(G1, "g1.yaml")
    write_rules("suite: so101\nextends: _lerobot\napplies_to:\n  metadata: {robot_type: so101_follower}\n", "so101.yaml")
    path = write_rules("suite: video\napplies_to:\n  data_type: [synthetic_pov, synthetic_third_person]\n  metadata:\n    duration_seconds: {min: 1, max: 60}\n", "video.yaml")
    rule_set = load_rule_set(path.parent)
    catalog = json.loads(real_catalog.read_text())
    chosen = {}
    for item in catalog["datasets"]:
        info = DatasetInfo(item["id"], item["name"], item["data_type"], item.get("metadata") or {}, item.get("description"))
        chosen[item["name"]] = [suite.suite for suite in rule_set.select(info)]
    assert chosen["G1 humanoid: pick up the yellow bottle"] == ["g1"]
    assert chosen["SO-101 follower arm record test"] == ["so101"]
    assert chosen["G1edu place plastic bowl"] == []
    assert chosen["Cockatoo, third person, 5 s"] == ["video"]
    assert chosen["Another organisation's episodes"] == []
