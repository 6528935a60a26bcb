"""Collect what the gate did to each demo dataset and print it as a table."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gerra_emulator.store import Store

NAME_COLUMN_CHARS = 40
REASON_COLUMN_CHARS = 48


@dataclass(frozen=True)
class Outcome:
    """One dataset before and after the gate ran, with what a correct gate would have done."""

    dataset_id: str
    name: str
    data_type: str
    status_before: str
    status_after: str
    expected_status: str | None
    rejection_reason: str | None
    report: str | None
    missing_reason_words: tuple[str, ...]

    @property
    def as_expected(self) -> bool:
        return self.status_after == self.expected_status and not self.missing_reason_words


def collect_outcomes(catalog_path: Path, store: Store, state_dir: Path, base_dir: Path) -> list[Outcome]:
    """Read each catalog dataset's status before (catalog) and after (emulator store), in catalog order."""
    catalog = json.loads(catalog_path.read_text())
    expected_path = catalog_path.with_name("expected.json")
    expected = json.loads(expected_path.read_text()) if expected_path.is_file() else {}
    final_status = expected.get("final_status", {})
    mentions = expected.get("reason_mentions", {})
    reports = _report_paths(state_dir)
    outcomes = []
    for entry in catalog["datasets"]:
        dataset_id = entry["id"]
        state = store.dataset(dataset_id)
        reason = state.metadata.get("rejection_reason") if state.status == "rejected" else None
        missing = tuple(word for word in mentions.get(dataset_id, []) if word.lower() not in (reason or "").lower())
        report = reports.get(dataset_id)
        outcomes.append(
            Outcome(
                dataset_id=dataset_id,
                name=entry["name"],
                data_type=entry["data_type"],
                status_before=entry["status"],
                status_after=state.status,
                expected_status=final_status.get(dataset_id),
                rejection_reason=reason,
                report=_relative(report, base_dir) if report else None,
                missing_reason_words=missing if state.status == "rejected" else (),
            )
        )
    return outcomes


def _report_paths(state_dir: Path) -> dict[str, Path]:
    """Map dataset ids to their latest report: the state database's record, else the reports folder."""
    paths: dict[str, Path] = {}
    reports_dir = state_dir / "reports"
    if reports_dir.is_dir():
        for folder in sorted(reports_dir.iterdir()):
            if folder.is_dir():
                paths[folder.name] = folder
    database = state_dir / "gate.sqlite3"
    if database.is_file():
        paths.update(_recorded_report_paths(database))
    return paths


def _recorded_report_paths(database: Path) -> dict[str, Path]:
    # The gate's state database is another component's format, so a schema
    # change only loses this column of the table, never the demo run.
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            rows = connection.execute(
                "SELECT dataset_id, report_path FROM decisions WHERE report_path IS NOT NULL"
            ).fetchall()
    except sqlite3.Error:
        return {}
    return {dataset_id: Path(path) for dataset_id, path in rows}


def _relative(path: Path, base_dir: Path) -> str:
    try:
        return str(path.resolve().relative_to(base_dir.resolve()))
    except ValueError:
        return str(path)


def format_table(outcomes: list[Outcome]) -> str:
    """Render outcomes as a fixed-width table, then each rejection reason in full."""
    headers = ("dataset", "data type", "before", "after", "expected", "rejection reason", "report")
    rows = [
        (
            _shorten(outcome.name, NAME_COLUMN_CHARS),
            outcome.data_type,
            outcome.status_before,
            outcome.status_after,
            _expected_cell(outcome),
            _shorten(outcome.rejection_reason or "", REASON_COLUMN_CHARS),
            outcome.report or "-",
        )
        for outcome in outcomes
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = [_format_row(headers, widths), _format_row(tuple("-" * width for width in widths), widths)]
    lines += [_format_row(row, widths) for row in rows]

    rejected = [outcome for outcome in outcomes if outcome.rejection_reason]
    if rejected:
        lines += ["", "Rejection reasons:"]
        for outcome in rejected:
            lines.append(f"- {outcome.name}:")
            lines += textwrap.wrap(outcome.rejection_reason or "", width=100, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines)


def _expected_cell(outcome: Outcome) -> str:
    if outcome.expected_status is None:
        return "?"
    if outcome.status_after != outcome.expected_status:
        return f"{outcome.expected_status} (differs)"
    if outcome.missing_reason_words:
        return f"ok, reason lacks {', '.join(outcome.missing_reason_words)}"
    return "ok"


def _format_row(cells: tuple[Any, ...], widths: list[int]) -> str:
    return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)).rstrip()


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
