"""Small LeRobot-like datasets written as real Parquet files, and a context over them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from worker.archive.source import open_source
from worker.checks.context import CheckContext, DatasetInfo
from worker.rules.model import Suite

STATE_NAMES = ["kLeftElbow", "kRightElbow", "kGrip"]


def episode_table(episode: int, rows: int, state: np.ndarray | None = None, fps: float = 30.0) -> pa.Table:
    """Return one episode: a 3-float `observation.state`, timestamp, frame_index, episode_index, index."""
    if state is None:
        state = np.tile(np.array([0.5, 1.0, 0.0], dtype=np.float32), (rows, 1))
    flat = pa.array(state.astype(np.float32).reshape(-1))
    return pa.table(
        {
            "observation.state": pa.FixedSizeListArray.from_arrays(flat, state.shape[1]),
            "timestamp": pa.array(np.arange(rows, dtype=np.float32) / fps),
            "frame_index": pa.array(np.arange(rows, dtype=np.int64)),
            "episode_index": pa.array(np.full(rows, episode, dtype=np.int64)),
            "index": pa.array(np.arange(rows, dtype=np.int64) + episode * 1000),
        }
    )


def write_dataset(root: Path, tables: dict[str, pa.Table], names: Any = None) -> Path:
    """Write `tables` as Parquet members under `root` with a meta/info.json naming the state elements."""
    for member, table in tables.items():
        path = root / member
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
    info = {"features": {"observation.state": {"dtype": "float32", "shape": [3], "names": names or STATE_NAMES}}}
    (root / "meta").mkdir(parents=True, exist_ok=True)
    (root / "meta" / "info.json").write_text(json.dumps(info))
    return root


def member_name(episode: int) -> str:
    return f"data/chunk-000/episode_{episode:06d}.parquet"


@pytest.fixture
def make_context(tmp_path: Path) -> Callable[..., CheckContext]:
    """Build a check context over a folder of real Parquet files."""

    def build(tables: dict[str, pa.Table], names: Any = None, deadline: float | None = None) -> CheckContext:
        root = write_dataset(tmp_path / "dataset", tables, names)
        source = open_source(root, tmp_path / "work")
        return CheckContext(source, DatasetInfo("ds-1", "test", "episode"), tmp_path / "work", deadline=deadline)

    return build


def suite(*rules: dict[str, Any]) -> Suite:
    return Suite.model_validate({"suite": "engine-test", "version": "3", "rules": list(rules)})


def rule(expectation: str, scope: str = "all", members: str = "data/**/*.parquet", **args: Any) -> dict[str, Any]:
    """Return a rule document; `max_failed_*`, `id` and `enabled` go to the rule, the rest to `args`."""
    fields = {key: args.pop(key) for key in ("id", "enabled", "max_failed_percent", "max_failed_count") if key in args}
    fields.setdefault("id", expectation)
    return {**fields, "expectation": expectation, "members": members, "scope": scope, "args": args}
