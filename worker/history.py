"""`gerra-gate history` and `show`: read decisions back from the state store."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer

from worker.settings import Settings
from worker.state import StateStore


def print_history(settings: Settings, limit: int, verdict: str | None, data_type: str | None,
                  since: str | None, as_json: bool) -> None:
    store = StateStore(settings.state_db)
    try:
        decisions = store.decisions(limit=limit, verdict=verdict, data_type=data_type, since=since)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([asdict(d) for d in decisions], indent=2))
        return
    if not decisions:
        typer.echo("no decisions recorded yet")
        return
    header = f"{'decided at':20}  {'dataset':36}  {'type':22}  {'verdict':7}  {'failed':>6}  {'posted':17}  name"
    typer.echo(header)
    for d in decisions:
        posted = "dry run" if d.dry_run else d.post_state
        typer.echo(
            f"{d.decided_at:20}  {d.dataset_id:36}  {(d.data_type or '-'):22}  {d.verdict:7}  "
            f"{d.failed_checks:>6}  {posted:17}  {d.name or ''}"
        )


def print_decision(settings: Settings, dataset_id: str, as_json: bool) -> bool:
    """Print one dataset's record; return False when the store has none."""
    store = StateStore(settings.state_db)
    try:
        decision = store.decision(dataset_id)
        attempts = store.attempts(dataset_id)
        hold = store.hold_state(dataset_id)
    finally:
        store.close()
    if decision is None and not attempts:
        typer.echo(f"no record of dataset {dataset_id} in {settings.state_db}", err=True)
        return False
    html_report = _html_report(decision.report_path if decision else None)
    if as_json:
        typer.echo(json.dumps({"decision": asdict(decision) if decision else None, "attempts": attempts,
                               "hold": asdict(hold), "html_report": html_report}, indent=2))
        return True
    if decision is not None:
        typer.echo(f"dataset:   {decision.dataset_id} ({decision.name})")
        typer.echo(f"type:      {decision.data_type}")
        typer.echo(f"verdict:   {decision.verdict} ({'dry run' if decision.dry_run else decision.post_state})")
        typer.echo(f"decided:   {decision.decided_at}")
        if decision.reason:
            typer.echo(f"reason:    {decision.reason}")
        if decision.report_path:
            typer.echo(f"report:    {decision.report_path}")
        if html_report:
            typer.echo(f"html:      {html_report}")
        typer.echo(f"archive:   sha256 {decision.archive_sha256}")
        typer.echo(f"rules:     digest {decision.rules_digest}, gate {decision.gate_version}")
    if hold.holds:
        typer.echo(f"holds:     {hold.holds}{' (stuck)' if hold.stuck else ''}; last cause: {hold.last_hold_cause}")
    typer.echo(f"attempts:  {len(attempts)}")
    for attempt in attempts[-5:]:
        typer.echo(f"  {attempt['started_at']}  {attempt['outcome'] or 'in progress'}  {attempt['cause'] or ''}")
    return True


def _html_report(json_report: str | None) -> str | None:
    """Return the HTML report written beside a JSON report, or None when there is none."""
    if not json_report:
        return None
    html = Path(json_report).with_suffix(".html")
    return str(html) if html.is_file() else None
