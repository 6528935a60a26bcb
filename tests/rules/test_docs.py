"""Every YAML example in docs/rules.md loads, lints as stated, and fits the JSON Schema."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from worker.rules.lint import lint_paths
from worker.rules.loader import load_rule_set
from worker.rules.schema import rule_file_json_schema

from .helpers import located

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)
FILE_HEADER = re.compile(r"^# file: (\S+)\n")
ERRORS_HEADER = re.compile(r"^# expect-errors: (.+)\n")
# Counted by hand, so that a deleted or unparsed example fails the count test.
BLOCKS = 20
STANDALONE = 13


def yaml_blocks() -> list[str]:
    return BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


def standalone_blocks() -> list[str]:
    return [block for block in yaml_blocks() if not FILE_HEADER.match(block) and not ERRORS_HEADER.match(block)]


def expected_errors(header: str) -> list[tuple[int, int, str]]:
    expected = []
    for item in header.split(","):
        position, code = item.split()
        line, column = position.split(":")
        expected.append((int(line), int(column), code))
    return expected


def test_guide_has_examples():
    blocks = yaml_blocks()
    assert len(blocks) == BLOCKS
    assert len(standalone_blocks()) == STANDALONE


@pytest.mark.parametrize("index", range(STANDALONE))
def test_example_loads(tmp_path, index):
    block = standalone_blocks()[index]
    path = tmp_path / "rules" / "example.yaml"
    path.parent.mkdir()
    path.write_text(block, encoding="utf-8")
    rule_set = load_rule_set(path.parent)
    assert len(rule_set.files) == 1


@pytest.mark.parametrize("index", range(STANDALONE))
def test_example_fits_schema(index):
    validator = jsonschema.Draft202012Validator(rule_file_json_schema())
    for document in YAML(typ="safe").load_all(standalone_blocks()[index]):
        assert list(validator.iter_errors(document)) == []


def test_file_examples_load_together(tmp_path):
    written = []
    for block in yaml_blocks():
        header = FILE_HEADER.match(block)
        if header:
            path = tmp_path / header.group(1)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block, encoding="utf-8")
            written.append(path)
    rule_set = load_rule_set(tmp_path / "rules")
    assert len(written) == 2
    assert sorted(rule_set.suites) == ["telemetry-logs"]
    assert [rule.id for rule in rule_set.suites["telemetry-logs"].rules] == ["no-lfs-stubs", "unique-names"]


def test_mistake_examples_report_stated_errors(tmp_path):
    checked = 0
    for block in yaml_blocks():
        header = ERRORS_HEADER.match(block)
        if not header:
            continue
        path = tmp_path / f"mistake-{checked}.yaml"
        path.write_text(block, encoding="utf-8")
        assert located(lint_paths([path])) == expected_errors(header.group(1)), block
        checked += 1
    assert checked == 5
