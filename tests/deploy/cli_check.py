"""Check command lines from deployment files against the real CLIs and settings."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from functools import cache

from typer.testing import CliRunner

from worker.cli import app
from worker.settings import Settings

# Environment variables a deployment may set that are not settings fields.
EXTRA_ENV = {"GERRA_CONFIG", "GX_ANALYTICS_ENABLED"}


def gate_args_error(args: list[str]) -> str | None:
    """Parse `gerra-gate ARGS` with the real CLI without running it; return the usage error, if any.

    Appending ``--help`` makes click parse every argument (an unknown option
    or command is an error) and then print help instead of running.
    """
    result = CliRunner().invoke(app, [*args, "--help"])
    if result.exit_code == 0:
        return None
    lines = [line.strip(" │") for line in result.output.splitlines()]
    return next((line for line in lines if line.startswith(("No such", "Got unexpected", "Missing"))), result.output)


@cache
def help_options(command: str) -> set[str]:
    """Return the option names `python -m worker COMMAND --help` lists."""
    done = subprocess.run([sys.executable, "-m", "worker", command, "--help"], capture_output=True, text=True,
                          timeout=60, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return set(re.findall(r"(--[a-z][a-z-]*)", done.stdout))


def gate_command(line: str) -> list[str]:
    """Return the arguments after the `gerra-gate` executable in a shell command line."""
    words = shlex.split(line)
    # The executable, not a folder named after it (cd /var/lib/gerra-gate).
    position = next(i for i, word in enumerate(words) if word == "gerra-gate" or word.endswith("/bin/gerra-gate"))
    args = []
    for word in words[position + 1:]:
        if word in (">>", ">", "2>&1", "&&", "|", ";") or word.startswith((">", "2>")):
            break
        args.append(word)
    return args


def unknown_env(names: list[str]) -> list[str]:
    """List the GERRA_ or other variable names that are neither settings fields nor known extras."""
    fields = {f"GERRA_{name.upper()}" for name in Settings.model_fields}
    return sorted(name for name in names if name not in fields and name not in EXTRA_ENV)
