"""Reports of real gatings rendered in headless Chromium: verdict, failed checks and plots in the DOM."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from worker.checks.context import DatasetInfo
from worker.cli import app
from worker.inspection import InspectionRequest, inspect_archive
from worker.reason import build_reason
from worker.reports.html_report import write_html_report
from worker.reports.json_report import GateRecord, write_json_report
from worker.rules.loader import load_rule_set
from worker.settings import load_settings

from .browser import dump_dom, require_chromium, screenshot
from .builders import builtin_rules, jump_dataset
from .test_html_report import REMOTE_RESOURCE

REPO_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "gerra_acme0000000000000001"
DATA_IMAGE = re.compile(r'<img src="data:image/(?:jpeg|png);base64,[A-Za-z0-9+/=]+"')


def _gate_locally(archive: Path, info: DatasetInfo, rules: Path, tmp_path: Path) -> Path:
    """Gate `archive` in this process and write its JSON and HTML reports; return the HTML path."""
    rule_set = load_rule_set(rules)
    inspection = inspect_archive(InspectionRequest(archive=archive, dataset=info, rule_set=rule_set,
                                                   work_dir=tmp_path / "work"))
    evaluation = inspection.evaluation
    record = GateRecord(dataset={"id": info.id, "name": info.name, "data_type": info.data_type,
                                 "metadata": info.metadata},
                        evaluation=evaluation, reason=build_reason(evaluation) if evaluation.failures else None,
                        report_data=inspection.report_data)
    return write_html_report(record, write_json_report(record, tmp_path / "reports"), rule_set)


def _failed_rules(dom: str) -> list[str]:
    section = dom.split('id="group-failed"')[1].split("<h3")[0] if 'id="group-failed"' in dom else ""
    return re.findall(r'data-rule="([^"]+)"', section)


def test_jump_report_renders(tmp_path: Path) -> None:
    require_chromium()
    info = DatasetInfo(id="jump", name="Sort screws", data_type="episode")
    page = _gate_locally(jump_dataset(tmp_path / "jump.zip"), info, builtin_rules(tmp_path / "rules"), tmp_path)
    dom = dump_dom(page, tmp_path / "profile")

    assert 'data-verdict="reject"' in dom
    assert _failed_rules(dom) == ["timestamp-step"]
    for element_id in ("plot-timestamp-step", "plot-episode-lengths", "plot-range-observation-state", "plot-range-action"):
        assert re.search(rf'<svg id="{element_id}" class="plot"', dom), element_id
    assert len(DATA_IMAGE.findall(dom)) == 9
    assert REMOTE_RESOURCE.search(page.read_text()) is None


@pytest.mark.parametrize(
    ("archive", "failed"),
    [
        ("so101-record-v30.zip", "videos-present"),
        ("new-test-lfs-stubs.zip", "lfs-pointers"),
    ],
)
def test_real_rejection_renders(real_datasets_dir: Path, tmp_path: Path, archive: str, failed: str) -> None:
    require_chromium()
    info = DatasetInfo(id=archive, name=archive, data_type="episode", metadata={})
    page = _gate_locally(real_datasets_dir / archive, info, REPO_ROOT / "rules", tmp_path)
    dom = dump_dom(page, tmp_path / "profile")
    document = json.loads(page.with_suffix(".json").read_text())

    assert 'data-verdict="reject"' in dom
    assert failed in _failed_rules(dom)
    expected_failed = [r["rule"] for r in document["results"] if r["status"] == "failed" and r["severity"] == "error"]
    assert _failed_rules(dom) == expected_failed
    assert REMOTE_RESOURCE.search(page.read_text()) is None


@pytest.mark.slow
def test_real_catalog_renders(real_emulator, real_datasets_dir: Path, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Gate the whole real catalog through the emulator, then open every report in Chromium."""
    from worker.runner import run_once

    require_chromium()
    monkeypatch.setenv("GERRA_API_KEY", API_KEY)
    settings = load_settings(api_url=real_emulator.base_url, rules_dir=REPO_ROOT / "rules",
                             work_dir=tmp_path / "work", state_dir=tmp_path / "state", max_retries=2,
                             retry_max_wait_s=0.5)
    summary = run_once(settings)
    expected = json.loads((real_datasets_dir / "expected.json").read_text())["final_status"]
    catalog = json.loads((real_datasets_dir / "catalog.json").read_text())
    pending = {d["id"] for d in catalog["datasets"] if d["status"] == "pending"}
    verdicts = {"accepted": "accept", "rejected": "reject"}

    pages = {outcome.dataset_id: outcome.report_path.with_suffix(".html") for outcome in summary.outcomes}
    assert sorted(pages) == sorted(i for i, status in expected.items() if status in verdicts and i in pending)
    for dataset_id, page in pages.items():
        dom = dump_dom(page, tmp_path / "profile")
        document = json.loads(page.with_suffix(".json").read_text())
        assert f'data-verdict="{verdicts[expected[dataset_id]]}"' in dom, dataset_id
        expected_failed = [r["rule"] for r in document["results"] if r["status"] == "failed" and r["severity"] == "error"]
        assert _failed_rules(dom) == expected_failed, dataset_id
        assert "signed_url" not in dom, dataset_id
        assert "token=" not in dom, dataset_id
        assert REMOTE_RESOURCE.search(page.read_text()) is None, dataset_id

    g1 = dump_dom(pages["770e8400-e29b-41d4-a716-446655440001"], tmp_path / "profile")
    assert '<svg id="plot-timestamp-step" class="plot"' in g1
    assert '<svg id="plot-range-observation-state" class="plot"' in g1
    assert len(DATA_IMAGE.findall(g1)) == 9
    cockatoo = dump_dom(pages["770e8400-e29b-41d4-a716-446655440004"], tmp_path / "profile")
    assert len(DATA_IMAGE.findall(cockatoo)) == 3
    assert 'id="iteration-table"' in cockatoo
    g1_id = "770e8400-e29b-41d4-a716-446655440001"
    shown = CliRunner().invoke(app, ["show", g1_id, "--state-dir", str(tmp_path / "state")])
    assert f"html:      {pages[g1_id]}" in shown.output
    png = screenshot(pages["770e8400-e29b-41d4-a716-446655440003"], tmp_path / "profile", tmp_path / "so101.png")
    assert png.stat().st_size > 50_000
