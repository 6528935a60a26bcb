"""The HTML report: one self-contained page per gating, written beside the JSON report.

The page needs no network to view: CSS is inline, charts are inline SVG and
video frames are data: URIs. It shows the verdict and the reason as posted,
the dataset's Gerra fields and iteration history, every check result with
its numbers and examples (failures first), and the plots from
`GateRecord.report_data`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import structlog
from markupsafe import Markup

from worker import __version__
from worker.checks.context import DatasetInfo
from worker.reports.json_report import GateRecord
from worker.reports.plot_view import build_plots, data_notes, frame_views
from worker.reports.report_view import dataset_rows, iteration_view, metadata_rows, result_groups, short_text

log = structlog.get_logger(__name__)

TEMPLATE = "report.html.j2"
_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def html_path_for(json_path: Path) -> Path:
    """Return where the HTML report of a JSON report goes: same folder, same name, `.html`."""
    return Path(json_path).with_suffix(".html")


def write_html_report(record: GateRecord, json_path: Path, rule_set: Any = None) -> Path:
    """Render `record`, write it atomically beside `json_path` and return the HTML path.

    `rule_set`, when given, supplies the value limits and tolerances the plots
    draw for rules that passed (a failed result carries its own bounds).
    """
    path = html_path_for(json_path)
    text = render_html_report(record, _suites(record, rule_set))
    partial = path.with_name(path.name + ".part")
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)
    return path


def try_write_html_report(record: GateRecord, json_path: Path, rule_set: Any = None) -> Path | None:
    """Write the HTML report, logging instead of raising on failure: the decision never depends on it."""
    try:
        return write_html_report(record, json_path, rule_set)
    except Exception as error:  # noqa: BLE001 - a report failure must not hold or change a decision
        log.warning("html_report_failed", dataset_id=record.dataset.get("id"), json_report=str(json_path),
                    error=f"{type(error).__name__}: {error}")
        return None


def _suites(record: GateRecord, rule_set: Any) -> list[Any]:
    if rule_set is None:
        return []
    # Imported here because the evaluation engine loads great-expectations,
    # which readers of finished reports do not need.
    from worker.evaluate import most_specific

    dataset = record.dataset
    info = DatasetInfo(
        id=str(dataset.get("id", "")),
        name=str(dataset.get("name") or ""),
        data_type=str(dataset.get("data_type") or ""),
        metadata=dict(dataset.get("metadata") or {}),
    )
    return most_specific(rule_set.select(info))


def render_html_report(record: GateRecord, suites: list[Any] | None = None) -> str:
    """Return the report page for `record` as one HTML document."""
    evaluation = record.evaluation
    report_data = record.report_data if isinstance(getattr(record, "report_data", None), dict) else {}
    dataset = record.dataset
    plots = build_plots(report_data, evaluation.results, suites or [])
    context = {
        "title": dataset.get("name") or dataset.get("id") or "dataset",
        "verdict": evaluation.verdict.value,
        "reason": record.reason,
        "hold_cause": evaluation.hold_cause,
        "policy_failures": evaluation.policy_failures,
        "dry_run": record.dry_run,
        "posted": record.posted,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "gate_version": __version__,
        "rules_digest": (record.rules_digest or "")[:12],
        "suites": [f"{s.name} v{s.version}" for s in evaluation.suites],
        "counts": evaluation.counts(),
        "dataset_rows": dataset_rows(dataset),
        "metadata_rows": metadata_rows(dataset),
        "archive_rows": [(key, short_text(value, 200)) for key, value in (record.archive or {}).items()],
        "timings": {key: f"{value:.1f} s" for key, value in (record.timings_s or {}).items()},
        "iterations": iteration_view(record.iterations, dataset.get("id")),
        "groups": result_groups(evaluation.results),
        "plots": [{"title": p.title, "svg": Markup(p.svg), "caption": p.caption} for p in plots],
        "frames": frame_views(report_data),
        "notes": (data_notes(report_data) + list(report_data.get("notes") or []))[:30],
        "has_report_data": bool(report_data),
    }
    return _ENVIRONMENT.get_template(TEMPLATE).render(**context)
