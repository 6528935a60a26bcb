"""The HTML report: content, order, redaction, self-containment and where it is written."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import SecretStr

from worker.checks.context import DatasetInfo
from worker.checks.results import CheckResult, Example, Severity, Status
from worker.gerra.models import Iteration, IterationHistory, PreviewUrls
from worker.inspection import InspectionRequest, inspect_archive
from worker.reason import build_reason
from worker.reports.html_report import render_html_report, try_write_html_report, write_html_report
from worker.reports.json_report import GateRecord, write_json_report
from worker.rules.loader import load_rule_set
from worker.verdict import Evaluation, SuiteRef, Verdict

from .builders import builtin_rules, jump_dataset

REMOTE_RESOURCE = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I)


def _result(rule: str, status: Status, severity: Severity = Severity.ERROR, **fields) -> CheckResult:
    return CheckResult(check="demo.check", status=status, rule=rule, severity=severity, suite="s", suite_version="1",
                       message=f"{rule} message", **fields)


def _record(results: list[CheckResult], verdict: Verdict = Verdict.REJECT, **fields) -> GateRecord:
    evaluation = Evaluation(verdict, results, [SuiteRef("s", "1")], hold_cause=fields.pop("hold_cause", None))
    dataset = fields.pop("dataset", {"id": "ds-1", "name": "Pick cube", "data_type": "episode", "metadata": {}})
    return GateRecord(dataset=dataset, evaluation=evaluation, reason=fields.pop("reason", "1 of 5 checks failed"),
                      **fields)


def _rules_in_order(html: str) -> list[str]:
    return re.findall(r'data-rule="([^"]+)"', html)


def test_verdict_and_reason_shown() -> None:
    html = render_html_report(_record([_result("a", Status.FAILED)], reason="1) a: 3 of 9 rows bad"))
    assert 'data-verdict="reject"' in html
    assert "<title>REJECT: Pick cube</title>" in html
    assert '<div class="reason" id="reason">1) a: 3 of 9 rows bad</div>' in html


def test_results_failures_first() -> None:
    results = [
        _result("passed-a", Status.PASSED),
        _result("skipped-b", Status.SKIPPED),
        _result("warning-c", Status.FAILED, Severity.WARNING),
        _result("failed-d", Status.FAILED),
        _result("crashed-e", Status.ERROR),
        _result("failed-f", Status.FAILED),
    ]
    html = render_html_report(_record(results))
    assert _rules_in_order(html) == ["crashed-e", "failed-d", "failed-f", "warning-c", "passed-a", "skipped-b"]
    assert '<h3 id="group-failed">Failed (2)</h3>' in html
    assert '<h3 id="group-warning">Warnings (1)</h3>' in html


def test_examples_capped() -> None:
    examples = [Example(member="data/e.parquet", episode=i, row=i * 2, column="x", value=i / 3) for i in range(12)]
    result = _result("bad-values", Status.FAILED, failed_count=12, total_count=400, examples=examples,
                     observed=3.0, expected={"max_value": 1})
    html = render_html_report(_record([result]))
    table = html.split('<table class="examples">')[1].split("</table>")[0]
    assert table.count("<tr>") == 11
    assert "<td class=\"num\">11</td><td class=\"num\">22</td>" not in table
    assert '<td class="num">9</td><td class="num">18</td><td>x</td><td><code>3</code></td>' in table
    assert "12 of 400 failed · observed 3 · expected {&#34;max_value&#34;: 1}" in html


def test_signed_urls_hidden() -> None:
    dataset = {
        "id": "ds-1", "name": "n", "data_type": "synthetic_pov", "status": "pending",
        "signed_url": "https://storage.example/a.zip?token=SECRET1",
        "link": "https://cdn.example/a.zip?X-Amz-Signature=SECRET2",
        "metadata": {"preview": "https://p.example/q.gif?sig=SECRET3"},
    }
    history = IterationHistory(
        iteration_group_id="g-1", total_versions=2, latest_version=1,
        iterations=[
            Iteration(dataset_id="ds-0", version=0, status="superseded", superseded_reason="blurry",
                      download_url=SecretStr("https://d.example/0.zip?token=SECRET4"),
                      preview_urls=PreviewUrls(gif="https://g.example/0.gif?token=SECRET5")),
            Iteration(dataset_id="ds-1", version=1, status="pending", regeneration_reason="blurry",
                      parent_dataset_id="ds-0"),
        ],
    )
    html = render_html_report(_record([], Verdict.ACCEPT, dataset=dataset, iterations=history, reason=None))
    for secret in ("SECRET1", "SECRET2", "SECRET3", "SECRET4", "SECRET5", "signed_url", "download_url"):
        assert secret not in html, secret
    assert "https://cdn.example/a.zip?…" in html


def test_iteration_history_rows() -> None:
    history = {
        "iteration_group_id": "g-1", "total_versions": 2, "latest_version": 1,
        "iterations": [
            {"dataset_id": "ds-1", "version": 1, "status": "pending", "regeneration_reason": "Background drift"},
            {"dataset_id": "ds-0", "version": 0, "status": "superseded", "superseded_reason": "Background drift"},
        ],
    }
    html = render_html_report(_record([], Verdict.ACCEPT, iterations=history, reason=None))
    table = html.split('<table id="iteration-table">')[1].split("</table>")[0]
    assert table.count("<tr") == 3
    assert table.index("ds-0") < table.index("ds-1")
    assert '<tr class="current">' in table
    assert "(this dataset)" in table
    assert table.count("Background drift") == 2


def test_no_history_section() -> None:
    html = render_html_report(_record([], Verdict.ACCEPT, reason=None))
    assert 'id="iterations"' not in html


def test_hold_and_dry_run() -> None:
    crashed = _result("video-decodes", Status.ERROR)
    html = render_html_report(_record([crashed], Verdict.HOLD, reason=None, hold_cause="1 check(s) could not run",
                                      dry_run=True))
    assert 'data-verdict="hold"' in html
    assert '<div class="reason hold" id="hold-cause">1 check(s) could not run</div>' in html
    assert "Dry run: nothing was posted to Gerra." in html


def test_vendor_text_escaped() -> None:
    result = _result("x", Status.FAILED)
    result.message = "<img src=x onerror=alert(1)>"
    html = render_html_report(_record([result], dataset={"id": "<b>1</b>", "name": "<script>alert(2)</script>"}))
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_written_beside_json(tmp_path: Path) -> None:
    record = _record([_result("a", Status.FAILED)])
    json_path = write_json_report(record, tmp_path / "reports")
    html_path = write_html_report(record, json_path)
    assert html_path == json_path.with_suffix(".html")
    assert html_path.read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in json_path.parent.iterdir()) == sorted([json_path.name, html_path.name, "latest"])


def test_failed_write_returns_none(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "report.json"
    assert try_write_html_report(_record([]), missing) is None
    assert not missing.parent.exists()


def test_gated_dataset_report(tmp_path: Path) -> None:
    rule_set = load_rule_set(builtin_rules(tmp_path / "rules"))
    info = DatasetInfo(id="jump", name="Sort screws", data_type="episode")
    request = InspectionRequest(archive=jump_dataset(tmp_path / "jump.zip"), dataset=info, rule_set=rule_set,
                                work_dir=tmp_path / "work")
    inspection = inspect_archive(request)
    evaluation = inspection.evaluation
    record = GateRecord(dataset={"id": info.id, "name": info.name, "data_type": "episode"}, evaluation=evaluation,
                        reason=build_reason(evaluation), report_data=inspection.report_data)
    html = render_html_report(record)

    assert evaluation.verdict is Verdict.REJECT
    assert _rules_in_order(html)[0] == "timestamp-step"
    for element_id in ("plot-timestamp-step", "plot-episode-lengths", "plot-range-observation-state", "plot-range-action"):
        assert f'<svg id="{element_id}"' in html, element_id
    assert "1 episode leaves the band: 1." in html
    assert "3 episodes, 35 to 40 rows (median 40). Every length matches the episodes metadata." in html
    assert len(re.findall(r'<img src="data:image/jpeg;base64,[A-Za-z0-9+/=]+"', html)) == 9
    assert REMOTE_RESOURCE.search(html) is None


def test_remote_pattern_detects() -> None:
    assert REMOTE_RESOURCE.search('<img src="https://cdn.example/a.png">') is not None
    assert REMOTE_RESOURCE.search("<style>body { background: url(//x.example/b.png) }</style>") is not None
    assert REMOTE_RESOURCE.search('<a href="#checks">') is None


def test_history_version_count() -> None:
    history = {"iteration_group_id": "g-1", "total_versions": 1, "latest_version": 0,
               "iterations": [{"dataset_id": "ds-1", "version": 0, "status": "pending"}]}
    html = render_html_report(_record([], Verdict.ACCEPT, iterations=history, reason=None))
    assert "Group g-1: 1 version, latest 0." in html


def test_json_report_masks_tokens(tmp_path) -> None:
    dataset = {
        "id": "ds-1", "name": "n", "data_type": "synthetic_pov", "status": "pending",
        "link": "https://cdn.example/a.zip?X-Amz-Signature=SECRET2",
        "metadata": {"preview": "https://p.example/q.gif?sig=SECRET3", "note": "see https://x.example/?token=SECRET1"},
    }
    path = write_json_report(_record([], Verdict.ACCEPT, dataset=dataset, reason=None), tmp_path)
    text = path.read_text()
    for secret in ("SECRET1", "SECRET2", "SECRET3"):
        assert secret not in text, secret
    assert "https://p.example/q.gif?sig=***" in text
