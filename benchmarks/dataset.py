"""Synthetic LeRobot-like dataset for benchmarks: one Parquet file per episode."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

STATE_WIDTH = 26
FPS = 30


def write_dataset(root: Path, episodes: int, rows: int, seed: int = 0) -> Path:
    """Write `episodes` Parquet files of `rows` rows each under `root`, plus meta/info.json."""
    generator = np.random.default_rng(seed)
    for episode in range(episodes):
        state = generator.normal(0.0, 0.5, size=(rows, STATE_WIDTH)).astype(np.float32)
        table = pa.table(
            {
                "observation.state": pa.FixedSizeListArray.from_arrays(pa.array(state.reshape(-1)), STATE_WIDTH),
                "timestamp": pa.array(np.arange(rows, dtype=np.float32) / FPS),
                "frame_index": pa.array(np.arange(rows, dtype=np.int64)),
                "episode_index": pa.array(np.full(rows, episode, dtype=np.int64)),
                "index": pa.array(np.arange(rows, dtype=np.int64) + episode * rows),
            }
        )
        path = root / "data" / f"chunk-{episode // 1000:03d}" / f"episode_{episode:06d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
    names = [f"joint_{i}" for i in range(STATE_WIDTH)]
    info = {"fps": FPS, "features": {"observation.state": {"dtype": "float32", "shape": [STATE_WIDTH], "names": names}}}
    (root / "meta").mkdir(parents=True, exist_ok=True)
    (root / "meta" / "info.json").write_text(json.dumps(info))
    return root
