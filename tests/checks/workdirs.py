"""Work folders for checks in tests, never inside the read-only real deliveries."""

from __future__ import annotations

import tempfile
from pathlib import Path

REAL_DATASETS_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets").resolve()


def work_dir_for(root: Path) -> Path:
    """Return a work folder beside `root`, or under the system temp folder for shared data."""
    resolved = root.resolve()
    if resolved.is_relative_to(REAL_DATASETS_DIR):
        return Path(tempfile.mkdtemp(prefix=f"work-{root.name}-"))
    return root.parent / f"work-{root.name}"
