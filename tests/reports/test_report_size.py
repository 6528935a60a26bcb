"""A 1,000-episode delivery: the report aggregates per episode and stays small."""

from __future__ import annotations

import re
import time
from pathlib import Path

from gerra_emulator.demo import defects
from worker.checks.context import DatasetInfo
from worker.inspection import InspectionRequest, inspect_archive
from worker.reason import build_reason
from worker.reports.html_report import write_html_report
from worker.reports.json_report import GateRecord, write_json_report
from worker.rules.loader import load_rule_set
from worker.verdict import Verdict

from .builders import builtin_rules, recording, write_dataset

EPISODES = 1000
MAX_HTML_BYTES = 3 * 1024 * 1024


def test_thousand_episodes(tmp_path: Path) -> None:
    # Short episodes without cameras keep the archive quick to build; frames are capped separately.
    rec = recording([12 + i % 7 for i in range(EPISODES)], cameras=())
    defects.drop_rows(rec.episodes[500], 3, 4)
    archive = write_dataset(tmp_path / "big.zip", rec)
    rule_set = load_rule_set(builtin_rules(tmp_path / "rules"))
    info = DatasetInfo(id="big", name="big", data_type="episode")

    started = time.monotonic()
    inspection = inspect_archive(InspectionRequest(archive=archive, dataset=info, rule_set=rule_set,
                                                   work_dir=tmp_path / "work"))
    record = GateRecord(dataset={"id": "big", "name": "big", "data_type": "episode"},
                        evaluation=inspection.evaluation, reason=build_reason(inspection.evaluation),
                        report_data=inspection.report_data)
    html_path = write_html_report(record, write_json_report(record, tmp_path / "reports"), rule_set)
    elapsed = time.monotonic() - started

    html = html_path.read_text()
    marks = re.search(r'<path d="([^"]*)" class="range-ok"/>', html).group(1).count("M")
    bad = re.search(r'<path d="([^"]*)" class="range-bad"/>', html).group(1).count("M")
    assert inspection.evaluation.verdict is Verdict.REJECT
    assert html_path.stat().st_size < MAX_HTML_BYTES
    assert len(inspection.report_data["lerobot"]["episodes"]["index"]) == EPISODES
    assert (marks, bad) == (EPISODES - 1, 1)
    assert "Histogram of rows per episode" in html
    assert "1 episode leaves the band: 500." in html
    assert elapsed < 20, f"gating and rendering took {elapsed:.1f} s"
