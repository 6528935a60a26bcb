"""`gerra-gate history` and `show`: read decisions back from the state store."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from worker.state import StateStore

if TYPE_CHECKING:
    from worker.settings import Settings

# The format of `decided_at` as `worker.state.utc_now` writes it. Its fixed
# width makes comparing two such strings the same as comparing the times.
STORED_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_since(text: str) -> datetime:
    """Parse an ISO 8601 time for `--since`; a time without an offset is UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO 8601 time; write e.g. 2026-12-05T00:30:00+02:00, 2026-12-05 00:30 (UTC) "
            "or 2026-12-05"
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _stored_time(moment: datetime) -> str:
    """Format `moment` like `decided_at`, rounded up to whole seconds so no earlier decision matches."""
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.astimezone(UTC).strftime(STORED_TIME_FORMAT)


def _iso_from_epoch(seconds: float) -> str | None:
    return datetime.fromtimestamp(seconds, UTC).strftime(STORED_TIME_FORMAT) if seconds else None


def print_history(settings: Settings, limit: int, verdict: str | None, data_type: str | None,
                  since: datetime | None, as_json: bool) -> None:
    """Print the newest `limit` decisions that match every filter given."""
    store = StateStore(settings.state_db)
    try:
        decisions = store.decisions(limit=limit, verdict=verdict, data_type=data_type,
                                    since=_stored_time(since) if since else None)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([asdict(d) for d in decisions], indent=2))
        return
    if not decisions:
        filtered = verdict is not None or data_type is not None or since is not None
        typer.echo("no decisions match these filters" if filtered else "no decisions recorded yet")
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
    """Print one dataset's record; return False when the store has none.

    With `as_json`, a missing record prints `{"error": "not_found", "message": ...}`.
    """
    store = StateStore(settings.state_db)
    try:
        decision = store.decision(dataset_id)
        attempts = store.attempts(dataset_id)
        hold = store.hold_state(dataset_id)
    finally:
        store.close()
    if decision is None and not attempts:
        message = f"no record of dataset {dataset_id} in {settings.state_db}"
        if as_json:
            typer.echo(json.dumps({"error": "not_found", "message": message}, indent=2))
        typer.echo(message, err=True)
        return False
    html_report = _html_report(decision.report_path if decision else None)
    if as_json:
        hold_fields: dict[str, Any] = asdict(hold)
        hold_fields["next_attempt_at"] = _iso_from_epoch(hold.next_attempt_at)
        typer.echo(json.dumps({"decision": asdict(decision) if decision else None, "attempts": attempts,
                               "hold": hold_fields, "html_report": html_report}, indent=2))
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
