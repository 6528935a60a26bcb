"""Run the demo end to end: build the catalog, serve it, gate it once, print what the gate decided.

    python -m gerra_emulator.demo.run --dir var/demo --port 8765 [--keep-serving] [--regenerate]

The emulator runs in this process on 127.0.0.1; the gate runs as a child
process (``gerra-gate run --once``) with the demo organisation's API key, the
repository's `rules/` folder, and work and state folders under `--dir`. Its
log goes to `<dir>/gate.log`. The state and work folders are emptied before
each run, because the emulator starts again from the catalog every time.

Exit codes: 0 when the gate run completed, 1 when the gate failed or timed
out, 2 for a usage error (such as a port in use), 3 when the gate's CLI is
not installed.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import structlog
import typer

from gerra_emulator.demo.generate import CATALOG_FILE, DEMO_API_KEY, generate_catalog
from gerra_emulator.demo.outcome import collect_outcomes, format_table

if TYPE_CHECKING:
    from gerra_emulator.testing import EmulatorServer

REPO_ROOT = Path(__file__).resolve().parents[2]
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_GATE_MISSING = 3
LOG_TAIL_LINES = 20


def gate_command() -> list[str] | None:
    """Return the command that starts the gate's CLI, or None when it is not installed."""
    if importlib.util.find_spec("worker.cli") is None:
        return None
    script = Path(sys.executable).parent / "gerra-gate"
    if script.is_file():
        return [str(script)]
    found = shutil.which("gerra-gate")
    if found:
        return [found]
    return [sys.executable, "-m", "worker"]


def gate_environment(api_url: str, rules_dir: Path, work_dir: Path, state_dir: Path) -> dict[str, str]:
    """Build the gate's environment: this one without host GERRA_* settings, plus the demo's."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("GERRA_")}
    environment.update(
        GERRA_API_URL=api_url,
        GERRA_API_KEY=DEMO_API_KEY,
        GERRA_RULES_DIR=str(rules_dir),
        GERRA_WORK_DIR=str(work_dir),
        GERRA_STATE_DIR=str(state_dir),
        GX_ANALYTICS_ENABLED="false",
    )
    return environment


def run_gate(command: list[str], environment: dict[str, str], log_path: Path, timeout_s: float) -> int | None:
    """Run ``gate run --once`` with output to `log_path`; return its exit code, or None on timeout."""
    with open(log_path, "w") as log_file:
        try:
            completed = subprocess.run(
                [*command, "run", "--once"],
                env=environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None
    return completed.returncode


def _log_tail(log_path: Path) -> str:
    lines = log_path.read_text(errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


def wait_for_stop_signal() -> int:
    """Block until SIGINT or SIGTERM arrives; return the signal number.

    The handlers are installed explicitly because a shell starts background
    jobs with SIGINT ignored, and Python then never raises KeyboardInterrupt (see
    the `signal` module documentation on default handlers).
    """
    received = threading.Event()
    number = [0]

    def handle(signum: int, _frame: object) -> None:
        number[0] = signum
        received.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not received.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return number[0]


DirOption = Annotated[Path, typer.Option("--dir", help="Folder for the catalog, archives, gate state and log.")]
PortOption = Annotated[int, typer.Option("--port", help="Port of the emulator on 127.0.0.1; 0 picks a free port.")]
RegenerateOption = Annotated[bool, typer.Option("--regenerate", help="Rebuild the catalog even if it exists.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed of a rebuilt catalog.")]
KeepServingOption = Annotated[
    bool, typer.Option("--keep-serving", help="Keep the emulator running after the table until Ctrl-C.")
]
RulesOption = Annotated[Path, typer.Option("--rules", help="Folder of rule suites the gate loads.")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Seconds the gate run may take.")]


def demo(
    directory: DirOption = Path("var/demo"),
    port: PortOption = 8765,
    regenerate: RegenerateOption = False,
    seed: SeedOption = 0,
    keep_serving: KeepServingOption = False,
    rules_dir: RulesOption = REPO_ROOT / "rules",
    timeout_s: TimeoutOption = 300.0,
) -> None:
    """Generate the demo deliveries, serve them with the emulator, gate them once and print the decisions."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    directory = directory.resolve()
    catalog_path = directory / CATALOG_FILE
    if regenerate or not catalog_path.is_file():
        started = time.monotonic()
        generate_catalog(directory, seed)
        typer.echo(f"Generated the demo catalog in {time.monotonic() - started:.1f} s: {catalog_path}")
    else:
        typer.echo(f"Using the existing demo catalog {catalog_path} (pass --regenerate to rebuild it)")

    command = gate_command()
    if command is None:
        typer.echo(
            "The gate's CLI (gerra-gate, module worker.cli) is not installed yet, so the demo cannot run the gate. "
            "Install the project with `make install` and try again.",
            err=True,
        )
        raise typer.Exit(EXIT_GATE_MISSING)

    from gerra_emulator.testing import EmulatorServer

    server = EmulatorServer(catalog_path, port=port)
    try:
        server.start()
    except OSError as error:
        typer.echo(f"Cannot start the emulator on 127.0.0.1:{port}: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    try:
        code = _gate_and_report(server, command, catalog_path, directory, rules_dir, timeout_s)
        if keep_serving:
            typer.echo(f"\nThe emulator keeps serving at {server.base_url}; API keys are in {catalog_path}.")
            typer.echo("Press Ctrl-C (or send SIGTERM) to stop it.")
            wait_for_stop_signal()
    finally:
        server.stop()
    raise typer.Exit(code)


def _gate_and_report(
    server: EmulatorServer, command: list[str], catalog_path: Path, directory: Path, rules_dir: Path, timeout_s: float
) -> int:
    state_dir = directory / "state"
    work_dir = directory / "work"
    log_path = directory / "gate.log"
    # The emulator starts from the catalog every time, so the gate's memory of an
    # earlier demo run would only make it skip datasets that are pending again.
    for folder in (state_dir, work_dir):
        shutil.rmtree(folder, ignore_errors=True)
    typer.echo(f"Emulator serving at {server.base_url}; running `gerra-gate run --once` (log: {log_path})")

    started = time.monotonic()
    environment = gate_environment(server.base_url, rules_dir.resolve(), work_dir, state_dir)
    return_code = run_gate(command, environment, log_path, timeout_s)
    elapsed_s = time.monotonic() - started

    outcomes = collect_outcomes(catalog_path, server.store, state_dir, directory)
    typer.echo("")
    typer.echo(format_table(outcomes))
    typer.echo("")
    as_expected = sum(outcome.as_expected for outcome in outcomes)
    typer.echo(f"{as_expected} of {len(outcomes)} datasets ended as a correct gate would leave them (expected.json).")

    if return_code is None:
        typer.echo(f"The gate did not finish within {timeout_s:.0f} s; see {log_path}", err=True)
        return EXIT_GATE_FAILED
    if return_code != 0:
        typer.echo(f"The gate failed with exit code {return_code} after {elapsed_s:.1f} s. Last lines of {log_path}:", err=True)
        typer.echo(_log_tail(log_path), err=True)
        return EXIT_GATE_FAILED
    typer.echo(f"The gate run completed in {elapsed_s:.1f} s.")
    return 0


def main() -> None:
    """Run the demo command line."""
    typer.run(demo)


if __name__ == "__main__":
    main()
