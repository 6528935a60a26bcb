"""Headless Chromium for report tests: the rendered DOM and screenshots of a local HTML file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# No network, no background services: the page must render from the file alone.
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_S = 90


def require_chromium() -> Path:
    """Return the Chromium binary, skipping the test with the fix when it is missing."""
    if not CHROMIUM.is_file():
        pytest.skip(f"headless Chromium not found at {CHROMIUM}; run `make browser` as root "
                    "(installs the Debian packages chromium and chromium-driver)")
    return CHROMIUM


def _run(page: Path, profile: Path, extra: list[str]) -> subprocess.CompletedProcess[str]:
    command = [str(require_chromium()), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def dump_dom(page: Path, profile: Path) -> str:
    """Return the DOM Chromium builds for `page`, serialised as HTML."""
    return _run(page, profile, ["--dump-dom"]).stdout


def screenshot(page: Path, profile: Path, png: Path, size: str = "1200,3000") -> Path:
    """Save a PNG of `page` as Chromium draws it, `size` pixels wide and tall."""
    _run(page, profile, [f"--screenshot={png}", f"--window-size={size}"])
    return png
