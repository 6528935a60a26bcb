"""Column names in arguments: syntax everywhere, existence for LeRobot episode tables."""

from __future__ import annotations

import pytest

from .helpers import located


def suite_with_column(column: str, data_type: str = "episode", members: str = "data/**/*.parquet") -> str:
    return (
        "suite: columns\n"
        "applies_to:\n"
        f"  data_type: {data_type}\n"
        "rules:\n"
        "  - id: r\n"
        "    expectation: expect_column_values_to_not_be_null\n"
        f'    members: "{members}"\n'
        "    args:\n"
        f"      column: '{column}'\n"
    )


@pytest.mark.parametrize(
    "column",
    [
        "timestamp",
        "observation.state",
        "observation.state.kLeftElbow",
        "observation.state.shoulder_pan.pos",
        "observation.state[3]",
        "observation.state[*]",
        "action[25]",
        "observation.images.cam_high",
        "$timestamp_step",
        "$episode_length",
    ],
)
def test_episode_column_valid(lint_text, column):
    assert lint_text(suite_with_column(column)) == []


@pytest.mark.parametrize(
    ("column", "fragment"),
    [
        ("observation.state[3", "malformed element address"),
        ("observation.state[-1]", "malformed element address"),
        ("observation..state", "may not be doubled"),
        (" timestamp", "leading or trailing spaces"),
        ("$Timestamp-step", "derived column '$Timestamp-step' is malformed"),
        ("$timestamp_stp", "did you mean '$timestamp_step'?"),
    ],
)
def test_column_syntax_invalid(lint_text, column, fragment):
    errors = lint_text(suite_with_column(column, data_type="telemetry", members="*.csv"))
    assert located(errors) == [(9, 15, "column")]
    assert fragment in errors[0].message


@pytest.mark.parametrize(
    ("column", "fragment"),
    [
        ("timestmp", "did you mean 'timestamp'?"),
        ("observation.stat", "did you mean 'observation.state'?"),
        ("timestamp[0]", "holds one number per frame"),
        ("joint_angle", "cannot exist in a LeRobot episode table"),
    ],
)
def test_episode_column_unknown(lint_text, column, fragment):
    errors = lint_text(suite_with_column(column))
    assert located(errors) == [(9, 15, "column")]
    assert fragment in errors[0].message


def test_other_type_skips_layout(lint_text):
    assert lint_text(suite_with_column("joint_angle", data_type="telemetry", members="*.csv")) == []


def test_meta_tables_skip_layout(lint_text):
    assert lint_text(suite_with_column("length", members="meta/episodes/**/*.parquet")) == []


def test_column_list_items_located(lint_text):
    text = (
        "suite: columns\n"
        "applies_to: {data_type: episode}\n"
        "rules:\n"
        "  - id: unique\n"
        "    expectation: expect_compound_columns_to_be_unique\n"
        '    members: "data/**/*.parquet"\n'
        "    args:\n"
        "      column_list:\n"
        "        - episode_index\n"
        "        - frame_indx\n"
    )
    errors = lint_text(text)
    assert located(errors) == [(10, 11, "column")]
    assert "did you mean 'frame_index'?" in errors[0].message


def test_check_columns_argument(lint_text):
    text = "suite: columns\nrules:\n  - check: lerobot.finite_values\n    args:\n      columns: ['action[x]']\n"
    errors = lint_text(text)
    assert located(errors) == [(5, 17, "column")]
