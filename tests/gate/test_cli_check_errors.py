"""`gerra-gate check` and `rules schema`: report folders, unknown data types and unwritable paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from worker.cli import app

REPO_ROOT = Path(__file__).resolve().parents[2]
RULES = str(REPO_ROOT / "rules")


def _check(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["check", *args, "--rules", RULES], env={"GERRA_LOG_LEVEL": "WARNING"})


def test_report_dir_under_file(real_datasets_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    report_dir = tmp_path / "file" / "r"
    result = _check(str(real_datasets_dir / "new-test-lfs-stubs.zip"), "--data-type", "episode",
                    "--report-dir", str(report_dir))
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"error: cannot create folder {report_dir}: Not a directory; pass a usable folder with --report-dir\n"
    )


def test_report_folder_named_by_file(real_datasets_dir: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    archive = os.path.relpath(real_datasets_dir / "new-test-lfs-stubs.zip", tmp_path)
    result = _check(archive, "--data-type", "episode", "--report-dir", "out")
    assert archive.startswith("../")
    assert result.exit_code == 1, result.output
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["new-test-lfs-stubs.zip"]
    assert (tmp_path / "out" / "new-test-lfs-stubs.zip" / "latest").is_file()


def test_report_dir_help_text() -> None:
    result = CliRunner().invoke(app, ["check", "--help"], env={"COLUMNS": "400"}, terminal_width=400)
    assert "Write the JSON report here" not in result.output
    assert "writes its JSON and HTML report and a latest file" in " ".join(result.output.split())


def test_unknown_data_type_named(real_datasets_dir: Path) -> None:
    result = _check(str(real_datasets_dir / "new-test-lfs-stubs.zip"), "--data-type", "episod")
    assert result.exit_code == 3, result.output
    assert result.output == (
        f"error: could not check {real_datasets_dir / 'new-test-lfs-stubs.zip'}: no rule suite applies to data "
        "type 'episod'; the rule set covers episode, synthetic_pov, synthetic_third_person, telemetry, so pass "
        "one of them with --data-type or add a suite for this one\n"
    )


def test_schema_into_missing_folder(tmp_path: Path) -> None:
    output = tmp_path / "no" / "such" / "schema.json"
    result = CliRunner().invoke(app, ["rules", "schema", "-o", str(output)])
    assert result.exit_code == 2
    assert result.output == (
        f"error: cannot write {output}: No such file or directory; pass a file in an existing folder with -o\n"
    )
