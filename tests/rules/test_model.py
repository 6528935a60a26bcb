"""Selector matching and rule thresholds."""

from __future__ import annotations

import pytest

from worker.checks.context import DatasetInfo
from worker.rules.model import Rule, Selector


def dataset(metadata=None, name="G1 bottle", data_type="episode", dataset_id="770E8400-E29B-41D4-A716-446655440001"):
    return DatasetInfo(dataset_id, name, data_type, metadata or {})


@pytest.mark.parametrize(
    ("selector", "metadata", "expected"),
    [
        ({"robot_type": "g1"}, {"robot_type": "g1"}, True),
        ({"robot_type": "g1"}, {"robot_type": "so101"}, False),
        ({"robot_type": "g1"}, {}, False),
        ({"fps": 30}, {"fps": 30.0}, True),
        ({"flag": True}, {"flag": 1}, False),
        ({"robot_type": {"in": ["g1", "h1"]}}, {"robot_type": "h1"}, True),
        ({"robot_type": {"not_in": ["g1"]}}, {"robot_type": "g1"}, False),
        ({"robot_type": {"not_in": ["g1"]}}, {}, True),
        ({"episodes": {"min": 5, "max": 10}}, {"episodes": 8}, True),
        ({"episodes": {"min": 5, "max": 10}}, {"episodes": 11}, False),
        ({"episodes": {"min": 5}}, {"episodes": "8"}, False),
        ({"episodes": {"min": 5}}, {}, False),
        ({"location": {"exists": True}}, {"location": None}, True),
        ({"location": {"exists": False}}, {}, True),
        ({"location": {"exists": False}}, {"location": "lab"}, False),
        ({"camera.model": "d435"}, {"camera": {"model": "d435"}}, True),
        ({"camera.model": "d435"}, {"camera.model": "d435"}, True),
    ],
)
def test_metadata_condition(selector, metadata, expected):
    assert Selector.model_validate({"metadata": selector}).matches(dataset(metadata)) is expected


def test_empty_selector_matches_all():
    assert Selector().matches(dataset()) is True


def test_data_type_text_or_list():
    assert Selector.model_validate({"data_type": "episode"}).data_type == ["episode"]
    assert Selector.model_validate({"data_type": ["telemetry", "episode"]}).matches(dataset()) is True
    assert Selector.model_validate({"data_type": "telemetry"}).matches(dataset()) is False


def test_name_glob_case_sensitive():
    assert Selector(name="G1 *").matches(dataset()) is True
    assert Selector(name="g1 *").matches(dataset()) is False


def test_ids_ignore_case():
    selector = Selector.model_validate({"ids": ["770e8400-e29b-41d4-a716-446655440001"]})
    assert selector.matches(dataset()) is True
    assert selector.matches(dataset(dataset_id="770e8400-e29b-41d4-a716-446655440002")) is False


def rule(**thresholds) -> Rule:
    return Rule(check="lerobot.frame_index", scope="episode", **thresholds)


@pytest.mark.parametrize(
    ("thresholds", "failed", "total", "fails"),
    [
        ({}, 0, 8, False),
        ({}, 1, 8, True),
        ({"max_failed_count": 2}, 2, 8, False),
        ({"max_failed_count": 2}, 3, 8, True),
        ({"max_failed_percent": 25}, 2, 8, False),
        ({"max_failed_percent": 25}, 3, 8, True),
        ({"max_failed_percent": 50, "max_failed_count": 1}, 2, 8, True),
        ({"max_failed_percent": 10, "max_failed_count": 5}, 2, 8, True),
        ({"max_failed_percent": 0}, 1, 1000, True),
    ],
)
def test_fails_with(thresholds, failed, total, fails):
    assert rule(**thresholds).fails_with(failed, total) is fails


def test_partial_rule_only_in_context():
    assert Rule.model_validate({"id": "x", "enabled": False}, context={"partial": True}).enabled is False
    with pytest.raises(ValueError, match="a rule needs `check`"):
        Rule.model_validate({"id": "x", "enabled": False})
