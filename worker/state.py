"""SQLite state store: every dataset seen, each attempt, each decision and its posting.

The store is what makes decisions durable. A decision is written as an
*intent* before it is posted and marked *posted* after, so a process killed
between the two finds the intent on restart and reconciles it with the
dataset's status instead of posting again. Leases keep two gate processes that
share a store from gating the same dataset at once.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    name TEXT,
    data_type TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    holds INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_hold_cause TEXT,
    stuck INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,
    cause TEXT,
    archive_sha256 TEXT,
    owner TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_dataset ON attempts(dataset_id);
CREATE TABLE IF NOT EXISTS decisions (
    dataset_id TEXT PRIMARY KEY,
    name TEXT,
    data_type TEXT,
    verdict TEXT NOT NULL,
    reason TEXT,
    failed_checks INTEGER NOT NULL DEFAULT 0,
    archive_sha256 TEXT,
    rules_digest TEXT,
    gate_version TEXT,
    report_path TEXT,
    decided_at TEXT NOT NULL,
    post_state TEXT NOT NULL,
    posted_at TEXT,
    observed_status TEXT,
    dry_run INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS leases (
    dataset_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""

# A decision's post_state moves intent -> posted | already_ours | decided_elsewhere.
# `dry_run` decisions are never posted and never block a later real run.
FINAL_POST_STATES = ("posted", "already_ours", "decided_elsewhere")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Decision:
    dataset_id: str
    name: str | None
    data_type: str | None
    verdict: str
    reason: str | None
    failed_checks: int
    archive_sha256: str | None
    rules_digest: str | None
    gate_version: str | None
    report_path: str | None
    decided_at: str
    post_state: str
    posted_at: str | None
    observed_status: str | None
    dry_run: bool

    @property
    def is_final(self) -> bool:
        return self.post_state in FINAL_POST_STATES


@dataclass(frozen=True)
class HoldState:
    holds: int
    next_attempt_at: float
    stuck: bool
    last_hold_cause: str | None


class LeaseLostError(RuntimeError):
    """Another process took the dataset's lease, so this process must not record a decision for it."""


class StateStore:
    """Durable record of the gate's work, safe to share between processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        pid = os.getpid()
        self.owner = f"{socket.gethostname()}:{pid}:{_process_start(pid) or 0}:{uuid.uuid4().hex[:8]}"
        self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        # One connection is shared by the run's worker threads; the lock keeps
        # their transactions from interleaving on it.
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # Datasets and holds

    def record_seen(self, dataset_id: str, name: str | None, data_type: str | None) -> None:
        now = utc_now()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO datasets (id, name, data_type, first_seen, last_seen) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET name=excluded.name, data_type=excluded.data_type, "
                "last_seen=excluded.last_seen",
                (dataset_id, name, data_type, now, now),
            )

    def hold_state(self, dataset_id: str) -> HoldState:
        rows = self._query(
            "SELECT holds, next_attempt_at, stuck, last_hold_cause FROM datasets WHERE id=?", (dataset_id,)
        )
        row = rows[0] if rows else None
        if row is None:
            return HoldState(0, 0.0, False, None)
        return HoldState(row["holds"], row["next_attempt_at"], bool(row["stuck"]), row["last_hold_cause"])

    def record_hold(self, dataset_id: str, cause: str, backoff_s: float, max_holds: int) -> HoldState:
        with self._transaction() as db:
            row = db.execute("SELECT holds FROM datasets WHERE id=?", (dataset_id,)).fetchone()
            holds = (row["holds"] if row else 0) + 1
            db.execute(
                "UPDATE datasets SET holds=?, next_attempt_at=?, last_hold_cause=?, stuck=? WHERE id=?",
                (holds, time.time() + backoff_s, cause, int(holds >= max_holds), dataset_id),
            )
        return self.hold_state(dataset_id)

    def clear_holds(self, dataset_id: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE datasets SET holds=0, next_attempt_at=0, stuck=0, last_hold_cause=NULL WHERE id=?",
                (dataset_id,),
            )

    def stuck_datasets(self) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT id, name, data_type, holds, last_hold_cause, last_seen FROM datasets WHERE stuck=1 ORDER BY id"
        )
        return [dict(row) for row in rows]

    # Attempts

    def start_attempt(self, dataset_id: str) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO attempts (dataset_id, started_at, owner) VALUES (?, ?, ?)",
                (dataset_id, utc_now(), self.owner),
            )
        return int(cursor.lastrowid or 0)

    def finish_attempt(self, attempt_id: int, outcome: str, cause: str | None, archive_sha256: str | None) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE attempts SET finished_at=?, outcome=?, cause=?, archive_sha256=? WHERE id=?",
                (utc_now(), outcome, cause, archive_sha256, attempt_id),
            )

    def attempts(self, dataset_id: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT * FROM attempts WHERE dataset_id=? ORDER BY id", (dataset_id,))
        return [dict(row) for row in rows]

    # Decisions

    def record_intent(self, decision: Decision, *, under_lease: bool = False) -> None:
        """Write a decision before posting it; a final decision is never overwritten.

        With `under_lease`, raise `LeaseLostError` unless this process still
        holds the dataset's lease, checked in the same transaction.
        """
        with self._transaction() as db:
            if under_lease:
                lease = db.execute("SELECT owner, expires_at FROM leases WHERE dataset_id=?",
                                   (decision.dataset_id,)).fetchone()
                if lease is None or lease["owner"] != self.owner or lease["expires_at"] <= time.time():
                    raise LeaseLostError(f"the lease on dataset {decision.dataset_id} expired or passed to another process")
            row = db.execute("SELECT post_state, dry_run FROM decisions WHERE dataset_id=?", (decision.dataset_id,)).fetchone()
            if row is not None and row["post_state"] in FINAL_POST_STATES and not row["dry_run"]:
                raise RuntimeError(f"dataset {decision.dataset_id} already has a final decision")
            db.execute(
                "INSERT OR REPLACE INTO decisions (dataset_id, name, data_type, verdict, reason, failed_checks, "
                "archive_sha256, rules_digest, gate_version, report_path, decided_at, post_state, posted_at, "
                "observed_status, dry_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    decision.dataset_id, decision.name, decision.data_type, decision.verdict, decision.reason,
                    decision.failed_checks, decision.archive_sha256, decision.rules_digest, decision.gate_version,
                    decision.report_path, decision.decided_at, decision.post_state, decision.posted_at,
                    decision.observed_status, int(decision.dry_run),
                ),
            )

    def record_post(self, dataset_id: str, post_state: str, observed_status: str | None) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE decisions SET post_state=?, posted_at=?, observed_status=? WHERE dataset_id=?",
                (post_state, utc_now(), observed_status, dataset_id),
            )

    def record_decided_elsewhere(self, dataset_id: str, name: str | None, data_type: str | None, status: str) -> None:
        """Record that a dataset left `pending` without a decision of ours."""
        self.record_intent(
            Decision(dataset_id, name, data_type, "none", None, 0, None, None, None, None, utc_now(),
                     "decided_elsewhere", utc_now(), status, False)
        )

    def reopen(self, dataset_id: str) -> None:
        """Forget that someone else decided a dataset, because it is pending again; our own posts are kept."""
        with self._transaction() as db:
            db.execute("DELETE FROM decisions WHERE dataset_id=? AND post_state='decided_elsewhere'", (dataset_id,))

    def decision(self, dataset_id: str) -> Decision | None:
        rows = self._query("SELECT * FROM decisions WHERE dataset_id=?", (dataset_id,))
        return _decision_from_row(rows[0]) if rows else None

    def undecided_datasets(self) -> list[str]:
        """Return the datasets seen without a real decision: held, or interrupted before deciding."""
        rows = self._query(
            "SELECT d.id FROM datasets d LEFT JOIN decisions c ON c.dataset_id = d.id "
            "WHERE c.dataset_id IS NULL OR c.dry_run = 1 ORDER BY d.id"
        )
        return [row["id"] for row in rows]

    def pending_intents(self) -> list[Decision]:
        rows = self._query("SELECT * FROM decisions WHERE post_state='intent' AND dry_run=0")
        return [_decision_from_row(row) for row in rows]

    def decisions(self, limit: int = 50, verdict: str | None = None, data_type: str | None = None,
                  since: str | None = None) -> list[Decision]:
        query = "SELECT * FROM decisions WHERE 1=1"
        params: list[Any] = []
        for column, value, op in (("verdict", verdict, "="), ("data_type", data_type, "="), ("decided_at", since, ">=")):
            if value is not None:
                query += f" AND {column} {op} ?"
                params.append(value)
        query += " ORDER BY decided_at DESC, dataset_id LIMIT ?"
        params.append(limit)
        return [_decision_from_row(row) for row in self._query(query, params)]

    # Leases

    def acquire_lease(self, dataset_id: str, duration_s: float) -> bool:
        """Take (or renew) the dataset for this process unless another live process holds it.

        A lease whose owner was a process on this host that no longer exists
        (killed, crashed) is taken over at once instead of waiting for expiry.
        """
        now = time.time()
        with self._transaction() as db:
            row = db.execute("SELECT owner, expires_at FROM leases WHERE dataset_id=?", (dataset_id,)).fetchone()
            if (
                row is not None
                and row["owner"] != self.owner
                and row["expires_at"] > now
                and _owner_alive(row["owner"])
            ):
                return False
            db.execute(
                "INSERT OR REPLACE INTO leases (dataset_id, owner, expires_at) VALUES (?, ?, ?)",
                (dataset_id, self.owner, now + duration_s),
            )
        return True

    def release_lease(self, dataset_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM leases WHERE dataset_id=? AND owner=?", (dataset_id, self.owner))

    def export(self) -> dict[str, Any]:
        """Dump every table, for tests and support."""
        tables = ("datasets", "attempts", "decisions", "leases")
        return {t: [dict(r) for r in self._query(f"SELECT * FROM {t}")] for t in tables}


def _owner_alive(owner: str) -> bool:
    """Tell whether a lease owner ("host:pid:start:nonce", or "host:pid:nonce" before) may still be running.

    A restarted container often gets the same host name and PID (1, say), so
    a PID is only the same process when its start time matches too.
    """
    parts = owner.split(":")
    host, pid_text = parts[0], parts[1] if len(parts) > 1 else ""
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    recorded = parts[2] if len(parts) == 4 else "0"
    current = _process_start(int(pid_text))
    return recorded == "0" or current is None or str(current) == recorded


def _process_start(pid: int) -> int | None:
    """Return the process's start time in clock ticks after boot, from /proc; None where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may contain spaces, so fields are counted after it.
    fields = stat.rpartition(")")[2].split()
    return int(fields[19]) if len(fields) > 19 else None


def _decision_from_row(row: sqlite3.Row) -> Decision:
    data = dict(row)
    data["dry_run"] = bool(data["dry_run"])
    return Decision(**data)


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
