"""Member globs with character classes lint clean, and invalid globs are located."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .helpers import located

RULE = """
    suite: chunks
    applies_to:
      data_type: episode
    rules:
      - id: frames-present
        expectation: expect_column_values_to_not_be_null
        members: "data/chunk-00[0-9]/*.parquet"
        args: {column: frame_index}
"""


def test_class_glob_lints_clean(lint_text):
    assert lint_text(RULE) == []


def test_class_in_suffix_lints_clean(lint_text):
    assert lint_text(RULE.replace("*.parquet", "*.[Pp]arquet")) == []


def test_unclosed_class_located(lint_text):
    errors = lint_text(RULE.replace("00[0-9]", "00[0-9"))
    assert located(errors) == [(7, 14, "members")]
    assert errors[0].message == (
        "glob 'data/chunk-00[0-9/*.parquet' has an unclosed '[' at character 14;"
        " close the character class with ']', or write '[[]' to match a literal '['"
    )


def test_slash_in_class_located(lint_text):
    errors = lint_text(RULE.replace("00[0-9]/", "00[0-9/]"))
    assert located(errors) == [(7, 14, "members")]
    assert "'/' inside the character class '[0-9/]'" in errors[0].message


def test_check_arg_glob_located(lint_text):
    text = "suite: layout\nrules:\n  - check: archive.required_members\n    args:\n      patterns: [meta/info.json, 'meta/[a-z']\n"
    errors = lint_text(text)
    assert located(errors) == [(5, 34, "check-args")]
    assert errors[0].message.startswith("args.patterns.1: glob 'meta/[a-z' has an unclosed '[' at character 6")


def test_video_members_glob_located(lint_text):
    errors = lint_text("suite: clips\nrules:\n  - check: video.black_frames\n    args: {members: 'videos/[!x.mp4'}\n")
    assert located(errors) == [(4, 21, "check-args")]
    assert "unclosed '[' at character 8" in errors[0].message


def test_cli_accepts_class_glob(write_rules, real_datasets_dir: Path, tmp_path: Path) -> None:
    rules = write_rules(RULE).parent
    archive = real_datasets_dir / "so101-record-v30.zip"
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    args = [sys.executable, "-m", "worker", "check", str(archive), "--data-type", "episode", "--rules", str(rules), "--json"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)

    report = json.loads(done.stdout)
    assert report["verdict"] == "accept", report["reason"]
    assert report["counts"]["passed"] == 1
    assert report["counts"]["failed"] == 0
