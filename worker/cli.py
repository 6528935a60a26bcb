"""The `gerra-gate` command line."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from worker import __version__
from worker.history import parse_since

if TYPE_CHECKING:
    from worker.rules.loader import RuleSet
    from worker.settings import Settings

app = typer.Typer(
    name="gerra-gate",
    help="Quality gate for Gerra dataset deliveries: check each pending dataset and accept or reject it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="Validate rule suites and generate their JSON Schema.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

# Exit codes. `check`: 0 accept, 1 reject, 3 could not be checked. `run`: 0 the
# run completed (held datasets included), 3 the gate could not complete the
# run. Every command: 2 usage or configuration error.
EXIT_ACCEPT = 0
EXIT_REJECT = 1
EXIT_USAGE = 2
EXIT_NOT_CHECKED = 3
EXIT_RUN_FAILED = 3

# The flag that sets each settings field, so a settings error can name it.
FLAG_NAMES = {
    "api_url": "--api-url", "dry_run": "--dry-run", "rules_dir": "--rules", "work_dir": "--work-dir",
    "state_dir": "--state-dir", "poll_interval_s": "--interval", "concurrency": "--concurrency",
}

ConfigOption = Annotated[Optional[Path], typer.Option("--config", envvar="GERRA_CONFIG", help="TOML settings file.")]
RulesOption = Annotated[Optional[Path], typer.Option("--rules", help="Folder of rule suite YAML files (env GERRA_RULES_DIR).")]
StateOption = Annotated[Optional[Path], typer.Option("--state-dir", help="Folder of the state database and reports (env GERRA_STATE_DIR).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]


class VerdictFilter(str, Enum):
    """Verdicts stored in the state database; `none` marks a dataset decided elsewhere."""

    accept = "accept"
    reject = "reject"
    none = "none"


def _settings(config: Path | None, **overrides: Any):  # type: ignore[no-untyped-def]
    from worker.log import configure_logging, register_secret
    from worker.settings import SettingsError, load_settings

    try:
        settings = load_settings(config, flag_names=FLAG_NAMES, **overrides)
    except SettingsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    configure_logging(settings.log_level, settings.log_format)
    if settings.api_key is not None:
        register_secret(settings.api_key.get_secret_value())
    return settings


def _load_rules(path: Path):  # type: ignore[no-untyped-def]
    from worker.rules.loader import RuleSetError, load_rule_set

    try:
        return load_rule_set(path)
    except RuleSetError as error:
        for item in error.errors:
            typer.echo(str(item), err=True)
        typer.echo(f"error: the rule set in {path} is invalid ({len(error.errors)} errors); nothing was checked", err=True)
        raise typer.Exit(EXIT_USAGE) from None


def _make_folder(folder: Path, option: str) -> None:
    """Create `folder`, or exit 2 naming it and the option that sets it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        typer.echo(f"error: cannot create folder {folder}: {error.strerror}; pass a usable folder with {option}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


@app.command()
def run(
    once: Annotated[bool, typer.Option("--once", help="Gate every pending dataset once and exit (for cron).")] = False,
    dry_run: Annotated[Optional[bool], typer.Option("--dry-run", help="Decide and report, but post nothing.")] = None,
    api_url: Annotated[Optional[str], typer.Option("--api-url", help="Gerra API base URL (env GERRA_API_URL).")] = None,
    rules: RulesOption = None,
    work_dir: Annotated[Optional[Path], typer.Option("--work-dir", help="Folder for downloads (env GERRA_WORK_DIR).")] = None,
    state_dir: StateOption = None,
    interval: Annotated[Optional[float], typer.Option("--interval", help="Seconds between runs of the daemon (env GERRA_POLL_INTERVAL_S).")] = None,
    concurrency: Annotated[Optional[int], typer.Option("--concurrency", help="Datasets gated at once.")] = None,
    config: ConfigOption = None,
) -> None:
    """Gate pending datasets: once, or as a daemon on an interval.

    Exit code: 0 the run completed (held datasets included), 2 usage or
    configuration error, 3 the gate could not complete the run because the
    Gerra API was unreachable or failed. The next run retries.
    """
    from worker.settings import SettingsError

    settings = _settings(
        config, dry_run=dry_run, api_url=api_url, rules_dir=rules, work_dir=work_dir, state_dir=state_dir,
        poll_interval_s=interval, concurrency=concurrency,
    )
    try:
        settings.require_api_key()
    except SettingsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    _make_folder(settings.state_dir, "--state-dir or GERRA_STATE_DIR")
    _make_folder(settings.work_dir, "--work-dir or GERRA_WORK_DIR")
    rule_set = _load_rules(settings.rules_dir)

    if not once:
        _run_daemon(settings)
    _run_once(settings, rule_set)


def _run_daemon(settings: Settings) -> None:
    from worker.daemon import run_daemon
    from worker.settings import SettingsError

    try:
        code = run_daemon(settings)
    except SettingsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if code:
        # The grace period ran out: the state store makes an abrupt exit safe.
        os._exit(code)
    raise typer.Exit(code)


def _run_once(settings: Settings, rule_set: RuleSet) -> None:
    from worker.gerra.errors import AuthenticationError, GerraError
    from worker.metrics import try_write_textfile
    from worker.runner import run_once
    from worker.shutdown import install_stop_handlers

    stop = install_stop_handlers(settings.shutdown_grace_s)
    try:
        summary = run_once(settings, stop, rule_set=rule_set)
    except AuthenticationError:
        typer.echo(f"error: the Gerra API at {settings.api_url} rejected the API key (401); check GERRA_API_KEY",
                   err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except GerraError as error:
        typer.echo(f"error: the run stopped because the Gerra API at {settings.api_url} failed: {error}; "
                   "the next run retries", err=True)
        raise typer.Exit(EXIT_RUN_FAILED) from None
    if settings.metrics_textfile is not None:
        try_write_textfile(settings.metrics_textfile)
    typer.echo(_summary_line(summary, stopped_early=stop.is_set()))


def _summary_line(summary: Any, *, stopped_early: bool) -> str:
    """Render a run summary, e.g. `3 pending; accepted 2, rejected 1 in 4.2 s`."""
    counts = summary.counts()
    line = f"{summary.pending} pending"
    if counts:
        line += "; " + ", ".join(f"{action} {count}" for action, count in sorted(counts.items()))
    line += f" in {summary.elapsed_s:.1f} s"
    if stopped_early:
        line += "; stopped early on SIGTERM or SIGINT, so the next run gates the datasets not started"
    return line


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="A dataset archive (.zip) or folder.", exists=True)],
    data_type: Annotated[str, typer.Option("--data-type", help="Gerra data type, e.g. episode or synthetic_pov.")],
    metadata: Annotated[Optional[list[str]], typer.Option("--metadata", help="Gerra metadata as KEY=VALUE; repeatable.")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Dataset name used by suite selection.")] = None,
    rules: RulesOption = None,
    report_dir: Annotated[Optional[Path], typer.Option(
        "--report-dir",
        help="Folder for reports: each check writes its JSON and HTML report and a latest file "
             "into a subfolder named after the archive or folder.",
    )] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Gate a local archive or folder and print the result.

    Exit code: 0 accept, 1 reject, 2 usage or configuration error, 3 could not be checked.
    """
    from worker.local_check import run_local_check, parse_metadata

    settings = _settings(config, rules_dir=rules)
    try:
        meta = parse_metadata(metadata or [])
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if report_dir is not None:
        _make_folder(report_dir, "--report-dir")
    rule_set = _load_rules(settings.rules_dir)
    code = run_local_check(path, data_type, meta, name, rule_set, settings, report_dir, as_json)
    raise typer.Exit(code)


@rules_app.command("lint")
def rules_lint(path: Annotated[Optional[Path], typer.Argument(help="A rule file or folder (default: rules).")] = None) -> None:
    """Validate rule files and print each error with file, line and column."""
    from worker.rules.lint import lint_paths

    target = path or Path(os.environ.get("GERRA_RULES_DIR", "rules"))
    if not target.exists():
        typer.echo(f"error: {target} not found; pass a rule file or folder", err=True)
        raise typer.Exit(EXIT_USAGE)
    errors = lint_paths([target])
    for error in errors:
        typer.echo(str(error))
    if errors:
        typer.echo(f"{len(errors)} error(s) in {target}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{target}: ok")


@rules_app.command("schema")
def rules_schema(
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the schema to this file.")] = None,
) -> None:
    """Print the JSON Schema of rule suite files, for editors."""
    from worker.rules.schema import rule_file_json_schema

    text = json.dumps(rule_file_json_schema(), indent=2) + "\n"
    if output:
        try:
            output.write_text(text)
        except OSError as error:
            typer.echo(f"error: cannot write {output}: {error.strerror}; pass a file in an existing folder with -o",
                       err=True)
            raise typer.Exit(EXIT_USAGE) from None
    else:
        sys.stdout.write(text)


@app.command()
def history(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many decisions to list, at least 1.")] = 50,
    verdict: Annotated[Optional[VerdictFilter], typer.Option(
        "--verdict", case_sensitive=False,
        help="Only decisions with this verdict. none means decided elsewhere: someone else accepted or rejected "
             "the dataset, or Gerra superseded, discarded or removed it, so the gate posted nothing.",
    )] = None,
    data_type: Annotated[Optional[str], typer.Option("--data-type", help="Only this data type.")] = None,
    since: Annotated[Optional[datetime], typer.Option(
        "--since", parser=parse_since, metavar="TIME",
        help="Only decisions at or after this ISO 8601 time, e.g. 2026-12-05T00:30:00+02:00; UTC without an offset.",
    )] = None,
    state_dir: StateOption = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """List recent decisions, newest first.

    Exit code: 0 listed (maybe none), 2 usage or configuration error, such as
    a state folder without a state database.
    """
    from worker.history import print_history

    settings = _settings(config, state_dir=state_dir)
    _require_state_db(settings)
    print_history(settings, limit, verdict.value if verdict else None, data_type, since, as_json)


@app.command()
def show(
    dataset_id: Annotated[str, typer.Argument(help="The dataset's id.")],
    state_dir: StateOption = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Print one dataset's decision, reason, attempts and report location.

    Exit code: 0 printed, 1 no record of the dataset (with --json, stdout gets
    an object with "error" and "message"), 2 usage or configuration error.
    """
    from worker.history import print_decision

    settings = _settings(config, state_dir=state_dir)
    _require_state_db(settings)
    if not print_decision(settings, dataset_id, as_json):
        raise typer.Exit(1)


def _require_state_db(settings: Settings) -> None:
    """Exit 2 when the state database is missing, so a mistyped folder never gets an empty new one."""
    if not settings.state_db.is_file():
        typer.echo(f"error: no state database at {settings.state_db}; pass the --state-dir (or GERRA_STATE_DIR) "
                   "that gerra-gate run uses", err=True)
        raise typer.Exit(EXIT_USAGE)


@app.command()
def version() -> None:
    """Print the gate's version."""
    typer.echo(__version__)


def main() -> None:
    code: int | str | None = 0
    try:
        app()
    except SystemExit as error:
        code = error.code
    finally:
        # NOTE: pyarrow 26 can abort the interpreter at exit ("terminate called
        # without an active exception", exit 134) after Parquet reads on
        # threads, which would turn a finished run's exit code into a crash.
        # Leaving with os._exit after flushing skips those destructors.
        import logging

        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
        code = EXIT_USAGE
    os._exit(code or 0)
