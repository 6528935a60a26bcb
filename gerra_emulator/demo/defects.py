"""Faults that data vendors really ship, applied to a recording, a set of members or a finished archive.

Each function makes one fault and leaves everything else consistent, so a
check that catches it catches only that fault.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from gerra_emulator.demo.recording import Episode
from gerra_emulator.demo.telemetry import TIME_COLUMN

LFS_SPEC = "https://git-lfs.github.com/spec/v1"


def drop_rows(episode: Episode, first_row: int, count: int) -> None:
    """Remove rows first_row .. first_row + count - 1, as when a recorder loses a stretch of frames.

    The remaining rows keep their capture times, so timestamps jump across the
    hole by count + 1 frame periods.
    """
    if first_row < 1 or first_row + count > episode.length:
        raise ValueError(
            f"cannot drop rows {first_row}..{first_row + count - 1} of episode {episode.index} "
            f"with {episode.length} rows; keep the first and last row"
        )
    keep = np.ones(episode.length, dtype=bool)
    keep[first_row : first_row + count] = False
    episode.capture_frames = episode.capture_frames[keep]
    episode.state = episode.state[keep]
    episode.action = episode.action[keep]


def blank_state(episode: Episode, dimension: int, first_row: int, count: int) -> None:
    """Set `observation.state[dimension]` to NaN for `count` rows, as when a joint encoder stops reporting."""
    if first_row < 0 or first_row + count > episode.length:
        raise ValueError(f"rows {first_row}..{first_row + count - 1} are outside episode {episode.index}")
    episode.state = episode.state.copy()
    episode.state[first_row : first_row + count, dimension] = np.nan


def remove_members(members: dict[str, bytes], names: list[str]) -> None:
    """Delete members that the dataset's metadata still declares."""
    for name in names:
        if name not in members:
            raise KeyError(f"member {name} is not in the dataset; pick one of {sorted(members)[:5]}...")
        del members[name]


def lfs_pointer(content: bytes) -> bytes:
    """Return the Git LFS pointer file that a clone without `git lfs pull` contains in place of `content`."""
    oid = hashlib.sha256(content).hexdigest()
    return f"version {LFS_SPEC}\noid sha256:{oid}\nsize {len(content)}\n".encode()


def replace_with_lfs_pointers(members: dict[str, bytes], suffixes: tuple[str, ...]) -> list[str]:
    """Replace every member whose name ends in one of `suffixes` with its LFS pointer; return their names."""
    replaced = sorted(name for name in members if PurePosixPath(name).suffix in suffixes)
    for name in replaced:
        members[name] = lfs_pointer(members[name])
    patterns = "".join(f"*{suffix} filter=lfs diff=lfs merge=lfs -text\n" for suffix in suffixes)
    members[".gitattributes"] = patterns.encode()
    return replaced


def truncate_file(path: Path, keep_fraction: float = 0.5) -> tuple[int, int]:
    """Cut a file to `keep_fraction` of its bytes, as an interrupted upload leaves it; return (kept, original)."""
    data = path.read_bytes()
    kept = int(len(data) * keep_fraction)
    path.write_bytes(data[:kept])
    return kept, len(data)


def drop_time_window(table: pd.DataFrame, start_s: float, end_s: float, time_column: str = TIME_COLUMN) -> pd.DataFrame:
    """Remove the samples with start_s <= time < end_s, leaving a gap in the time column."""
    # The small tolerance keeps a sample computed as exactly start_s inside the window despite rounding.
    keep = ~((table[time_column] >= start_s - 1e-9) & (table[time_column] < end_s - 1e-9))
    return table.loc[keep].reset_index(drop=True)


def overwrite_values(
    table: pd.DataFrame, column: str, start_s: float, count: int, value: float, time_column: str = TIME_COLUMN
) -> pd.DataFrame:
    """Set `count` consecutive samples of `column`, from the first at or after start_s, to `value`."""
    first = int(np.searchsorted(table[time_column].to_numpy(), start_s - 1e-9))
    if first + count > len(table):
        raise ValueError(f"only {len(table) - first} samples from {start_s} s on; cannot overwrite {count}")
    table = table.copy()
    table.loc[first : first + count - 1, column] = value
    return table
