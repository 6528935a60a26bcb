"""Keeping a dataset's lease alive while this process works on it.

A lease expires after `lease_s` so that a frozen or unreachable process does
not keep a dataset for ever. A download or check can outlast any fixed
duration, so a background thread renews the lease every third of it. When
another process has taken the lease meanwhile, the keeper marks it lost, and
the state store refuses to record this process's decision.
"""

from __future__ import annotations

import sqlite3
import threading
from types import TracebackType

import structlog

from worker.state import StateStore

log = structlog.get_logger(__name__)


class LeaseKeeper:
    """Context manager that renews one dataset's lease in a background thread until it exits."""

    def __init__(self, store: StateStore, dataset_id: str, lease_s: float) -> None:
        self.store = store
        self.dataset_id = dataset_id
        self.lease_s = lease_s
        self.interval_s = max(lease_s / 3, 0.05)
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{dataset_id[:8]}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                renewed = self.store.acquire_lease(self.dataset_id, self.lease_s)
            except sqlite3.Error as error:
                # The next renewal may succeed; until the lease expires it still protects the dataset.
                log.warning("lease_renewal_failed", dataset_id=self.dataset_id, error=str(error))
                continue
            if not renewed:
                self.lost.set()
                log.warning("lease_lost", dataset_id=self.dataset_id)
                return
