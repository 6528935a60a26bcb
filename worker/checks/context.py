"""What a check can see of the dataset it inspects."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from worker.archive.source import DatasetSource


@dataclass(frozen=True)
class DatasetInfo:
    """The Gerra fields of a dataset that checks and suite selection use.

    For a local `gerra-gate check`, `id` is the path and the rest comes from
    the command line.
    """

    id: str
    name: str
    data_type: str
    metadata: dict[str, Any] = field(default_factory=dict)
    description: str | None = None


@dataclass
class CheckContext:
    """Everything a check reads: the archive, the dataset's fields, a shared cache.

    `cache` lets checks share parsed files (such as ``meta/info.json``) within
    one dataset, so a layout file is parsed once however many checks use it.
    `iterations` is the dataset's version history as returned by the Gerra
    API, or None when it is not known (local checks).
    """

    source: DatasetSource
    dataset: DatasetInfo
    work_dir: Path
    iterations: Any = None
    deadline: float | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    def time_left_s(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic()
