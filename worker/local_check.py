"""`gerra-gate check`: gate a local archive or folder without the Gerra API."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import typer

from worker.checks.context import DatasetInfo
from worker.inspection import Inspection, InspectionRequest, inspect_in_child
from worker.reason import build_reason
from worker.reports.html_report import try_write_html_report
from worker.reports.json_report import GateRecord, json_safe, report_document, write_json_report
from worker.rules.loader import RuleSet
from worker.settings import Settings
from worker.verdict import Evaluation, Verdict

EXIT_CODES = {Verdict.ACCEPT: 0, Verdict.REJECT: 1, Verdict.HOLD: 3}


def parse_metadata(pairs: list[str]) -> dict[str, Any]:
    """Parse KEY=VALUE pairs; values that read as JSON (numbers, true) keep their type."""
    metadata: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--metadata {pair!r} is not KEY=VALUE; write it as e.g. --metadata duration_seconds=5.0")
        try:
            metadata[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            metadata[key.strip()] = value
    return metadata


def run_local_check(
    path: Path,
    data_type: str,
    metadata: dict[str, Any],
    name: str | None,
    rule_set: RuleSet,
    settings: Settings,
    report_dir: Path | None,
    as_json: bool,
) -> int:
    """Gate `path`, print the outcome, and return the exit code for it."""
    info = DatasetInfo(id=str(path), name=name or path.name, data_type=data_type, metadata=metadata)
    if not rule_set.select(info):
        typer.echo(f"error: could not check {path}: {_no_suite_message(info, rule_set)}", err=True)
        return EXIT_CODES[Verdict.HOLD]
    work_dir = Path(tempfile.mkdtemp(prefix="gerra-gate-check-", dir=_existing(settings.work_dir)))
    try:
        inspection = _inspect(path, info, rule_set, work_dir, settings)
        evaluation = inspection.evaluation
    except OSError as error:
        typer.echo(f"error: could not check {path}: {error}", err=True)
        return EXIT_CODES[Verdict.HOLD]
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)

    reason = build_reason(evaluation) if evaluation.verdict is Verdict.REJECT else None
    record = GateRecord(
        # The report folder is named after the id, so the id is the file name
        # alone: a path such as ../data/x.zip would name it `.._data_x.zip`.
        dataset={"id": path.resolve().name, "path": str(path), "name": info.name, "data_type": data_type,
                 "metadata": metadata},
        evaluation=evaluation,
        reason=reason,
        rules_digest=rule_set.digest,
        report_data=inspection.report_data,
    )
    report_path = write_json_report(record, report_dir) if report_dir else None
    if report_path:
        try_write_html_report(record, report_path, rule_set)
    if as_json:
        document = report_document(record)
        document["report_path"] = str(report_path) if report_path else None
        typer.echo(json.dumps(json_safe(document), indent=2, default=str))
    else:
        _print_summary(path, evaluation, reason, report_path)
    return EXIT_CODES[evaluation.verdict]


def _no_suite_message(info: DatasetInfo, rule_set: RuleSet) -> str:
    """Explain why no suite applies: an unknown data type, or a name or metadata selector."""
    covered = sorted({kind for suite in rule_set.suites.values() for kind in suite.applies_to.data_type or ()})
    if info.data_type not in covered:
        return (f"no rule suite applies to data type {info.data_type!r}; the rule set covers "
                f"{', '.join(covered) or 'no data type by name'}, so pass one of them with --data-type "
                "or add a suite for this one")
    return (f"no rule suite applies to data type {info.data_type!r} with name {info.name!r} and this metadata; "
            "compare --name and --metadata with the applies_to of the suites for that data type")


def _existing(folder: Path) -> Path | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def _inspect(path: Path, info: DatasetInfo, rule_set: RuleSet, work_dir: Path, settings: Settings) -> Inspection:
    request = InspectionRequest(
        archive=path, dataset=info, rule_set=rule_set, work_dir=work_dir,
        timeout_s=settings.check_timeout_s, limits=settings.archive_limits(),
        memory_budget_bytes=settings.memory_budget_mb * 1024 * 1024,
    )
    return inspect_in_child(request, settings.hard_check_timeout_s)


def _print_summary(path: Path, evaluation: Evaluation, reason: str | None, report_path: Path | None) -> None:
    counts = evaluation.counts()
    typer.echo(f"{path}: {evaluation.verdict.value.upper()}")
    typer.echo("suites: " + (", ".join(f"{s.name} v{s.version}" for s in evaluation.suites) or "none"))
    typer.echo(", ".join(f"{k} {v}" for k, v in counts.items() if v))
    for result in evaluation.results:
        if result.status.value in ("failed", "error"):
            if result.status.value == "error":
                marker = "ERROR "
            elif result.severity.value == "error":
                marker = "FAIL  "
            else:
                marker = "WARN  "
            location = f" [{result.member}]" if result.member else ""
            typer.echo(f"  {marker}{result.rule or result.check}{location}: {result.message}")
    if evaluation.hold_cause:
        typer.echo(f"could not be checked: {evaluation.hold_cause}")
    if reason:
        typer.echo(f"reason: {reason}")
    if report_path:
        typer.echo(f"report: {report_path}")
