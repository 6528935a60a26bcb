"""Write dataset members into a ZIP archive that is byte-identical for identical members."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

# Media and Parquet are already compressed, so they are stored as they are.
STORED_SUFFIXES = frozenset({".mp4", ".gif", ".png", ".parquet"})
# A fixed modification time keeps archives reproducible.
MEMBER_DATE_TIME = (2025, 1, 16, 9, 0, 0)


def write_zip(path: Path, members: dict[str, bytes], root: str = "") -> Path:
    """Write `members` (POSIX path to bytes) sorted by name, optionally under one top-level folder `root`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with zipfile.ZipFile(partial, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(f"{root}/{name}" if root else name, date_time=MEMBER_DATE_TIME)
            info.external_attr = 0o644 << 16
            is_stored = PurePosixPath(name).suffix in STORED_SUFFIXES
            info.compress_type = zipfile.ZIP_STORED if is_stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name])
    partial.replace(path)
    return path
