"""Dimension limits from rule suites and from failed results."""

from __future__ import annotations

from pathlib import Path

from worker.checks.context import DatasetInfo
from worker.checks.results import CheckResult, Status
from worker.reports.limits import BETWEEN, collect_limits, element_indices
from worker.rules.loader import load_rule_set

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTORS = {"observation.state": ["hip", "knee", "gripper"], "action": ["hip", "knee", "gripper"]}


def test_element_all() -> None:
    assert element_indices("observation.state[*]", VECTORS) == ("observation.state", [0, 1, 2])


def test_element_index() -> None:
    assert element_indices("action[2]", VECTORS) == ("action", [2])


def test_element_name() -> None:
    assert element_indices("observation.state.knee", VECTORS) == ("observation.state", [1])


def test_element_unknown() -> None:
    assert element_indices("action[7]", VECTORS) is None
    assert element_indices("timestamp", VECTORS) is None
    assert element_indices("observation.state.elbow", VECTORS) is None


def test_limits_from_real_suite() -> None:
    rule_set = load_rule_set(REPO_ROOT / "rules")
    info = DatasetInfo(id="x", name="x", data_type="episode", metadata={"robot_type": "Unitree_G1_Inspire"})
    limits = collect_limits(VECTORS, [], rule_set.select(info))
    assert limits["observation.state"] == [[-3.1416, 3.1416]] * 3
    assert limits["action"] == [[-3.1416, 3.1416]] * 3


def test_limits_none_without_rules() -> None:
    rule_set = load_rule_set(REPO_ROOT / "rules")
    info = DatasetInfo(id="x", name="x", data_type="episode", metadata={"robot_type": "so100"})
    limits = collect_limits(VECTORS, [], rule_set.select(info))
    assert limits["observation.state"] == [[None, None]] * 3


def test_limits_from_failed_result() -> None:
    result = CheckResult(
        check=BETWEEN, status=Status.FAILED, column="observation.state.gripper",
        expected={"min_value": 0, "max_value": 100},
    )
    limits = collect_limits(VECTORS, [result])
    assert limits["observation.state"] == [[None, None], [None, None], [0.0, 100.0]]
    assert limits["action"] == [[None, None]] * 3


def test_limits_tightest_wins() -> None:
    wide = CheckResult(check=BETWEEN, status=Status.FAILED, column="action[*]", expected={"min_value": -10, "max_value": 10})
    narrow = CheckResult(check=BETWEEN, status=Status.FAILED, column="action[0]", expected={"min_value": -1})
    limits = collect_limits(VECTORS, [wide, narrow])
    assert limits["action"] == [[-1.0, 10.0], [-10.0, 10.0], [-10.0, 10.0]]
