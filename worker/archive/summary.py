"""A short description of a dataset's members for reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from worker.archive.lfs import LfsPointer, find_lfs_pointers
from worker.archive.source import DatasetSource

NO_EXTENSION = "(none)"


@dataclass(frozen=True)
class ExtensionStats:
    """Members sharing one file extension; `size` in uncompressed bytes."""

    count: int
    size: int


@dataclass(frozen=True)
class InventorySummary:
    """Counts and sizes of a dataset's members, with nested archives and LFS pointers named."""

    member_count: int
    total_size: int
    stored_size: int
    by_extension: dict[str, ExtensionStats]
    nested_archives: list[str]
    lfs_pointers: list[LfsPointer] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return asdict(self)


def summarize(source: DatasetSource, include_lfs: bool = True) -> InventorySummary:
    """Summarise the source's members; `include_lfs` reads every member under 1 KiB."""
    inventory = source.inventory
    by_extension: dict[str, ExtensionStats] = {}
    for member in inventory.members:
        key = member.extension or NO_EXTENSION
        current = by_extension.get(key, ExtensionStats(0, 0))
        by_extension[key] = ExtensionStats(current.count + 1, current.size + member.size)

    return InventorySummary(
        member_count=len(inventory.members),
        total_size=inventory.total_size,
        stored_size=inventory.archive_size,
        by_extension=dict(sorted(by_extension.items())),
        nested_archives=inventory.nested_archives,
        lfs_pointers=find_lfs_pointers(source) if include_lfs else [],
    )
