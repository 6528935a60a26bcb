"""The chaos scenario: a fault-free reference run, then killed gate processes under every fault, then a clean finish.

`run_chaos` does the work and returns a `ChaosResult` with everything the
tests assert on: the reference verdicts, the emulator's final statuses and
call counters, the state store, the work folder and every text the gate
wrote (logs, reports, the database).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gerra_emulator.faults import Endpoint, FaultKind, FaultOptions, FaultRule
from gerra_emulator.store import REJECTION_REASON_KEY, CallCounts, Store
from gerra_emulator.testing import EmulatorServer
from worker.settings import load_settings
from worker.state import StateStore

from .deliveries import API_KEY, ChaosCatalog, build_catalog
from .gate_process import REPO_ROOT, gate_env, start_gate, wait_until

AFTER_GET_STATUS = {"supersede": "superseded", "discard": "discarded", "accept": "accepted"}
FINAL_RUNS_MAX = 5


@dataclass(frozen=True)
class ChaosPlan:
    """How big the scenario is and how hard it hits the gate."""

    pending: int
    kill_rounds: int
    seed: int
    min_requests_before_kill: int = 1
    max_requests_before_kill: int = 40
    kill_delay_s: float = 1.5
    changes_per_kind: int = 1
    variants: int = 2


@dataclass
class ChaosResult:
    """What the scenario observed; the tests assert on it."""

    plan: ChaosPlan
    catalog: ChaosCatalog
    reference: dict[str, str]
    reference_reasons: dict[str, str]
    reasons: dict[str, str]
    changed: dict[str, str]
    new_versions: dict[str, str]
    final_status: dict[str, str]
    initial_status: dict[str, str]
    calls: CallCounts
    store: dict[str, list[dict[str, Any]]]
    work_files: list[Path]
    texts: dict[str, str]
    tokens: set[str]
    faults_fired: dict[str, int]
    kills_while_running: int
    url_refreshes: int
    final_runs: int
    timings_s: dict[str, float] = field(default_factory=dict)

    def decision(self, dataset_id: str) -> dict[str, Any] | None:
        rows = [row for row in self.store["decisions"] if row["dataset_id"] == dataset_id]
        return rows[0] if rows else None

    def expected_status(self, dataset_id: str) -> str:
        """Return the status the reference run gave this dataset, or its parent for a new version."""
        return self.reference[self.new_versions.get(dataset_id, dataset_id)]


class _FastClock:
    """Advance the emulator's clock by the URL lifetime every second, in a background thread.

    Signed URLs then expire about one second (real time) after they are
    issued, so retried downloads meet expired URLs, as slow real downloads do
    with a 5 s lifetime.
    """

    def __init__(self, store: Store, step_s: float, every_s: float = 1.0) -> None:
        self._store = store
        self._step_s = step_s
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fast-clock", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self._store.advance_clock(self._step_s)

    def __enter__(self) -> _FastClock:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


class _TokenRecorder:
    """Wrap `Store.mint_token` to keep every signed-URL token the emulator hands out."""

    def __init__(self, store: Store) -> None:
        self.tokens: set[str] = set()
        self._mint = store.mint_token
        store.mint_token = self._record  # type: ignore[method-assign]

    def _record(self, dataset: Any) -> str | None:
        token = self._mint(dataset)
        if token is not None:
            self.tokens.add(token)
        return token


def chaos_faults(seed: int, changes: dict[str, list[str]], dataset_ids: list[str]) -> FaultOptions:
    """Return every fault at a high rate, plus the given status changes after the first get.

    Request faults are random (seeded). Download and lost-response faults
    fire on every n-th matching request instead, so even a short scenario
    meets each of them.
    """
    return FaultOptions(
        seed=seed,
        url_lifetime_s=5,
        error_rate=0.1,
        rate_limit_rate=0.05,
        retry_after_s=1,
        delay_rate=0.05,
        delay_s=1.5,
        drop_rate=0.05,
        supersede_after_get=changes["supersede"],
        discard_after_get=changes["discard"],
        accept_after_get=changes["accept"],
        rules=[
            # The first decision always loses its response, later ones often.
            FaultRule(kind=FaultKind.LOST_RESPONSE, limit=1),
            FaultRule(kind=FaultKind.LOST_RESPONSE, every=3),
            FaultRule(kind=FaultKind.LOST_RESPONSE, rate=0.3, status=504),
            # A proxy in front of the API refuses some decisions with its own 403 page.
            FaultRule(kind=FaultKind.GATEWAY_REFUSAL, every=5,
                      endpoints=frozenset({Endpoint.ACCEPT, Endpoint.REJECT})),
            FaultRule(kind=FaultKind.DOWNLOAD_CUT, every=4),
            FaultRule(kind=FaultKind.DOWNLOAD_SHORT, every=4),
            FaultRule(kind=FaultKind.DOWNLOAD_LONG, every=4),
            *_corruption_rules(dataset_ids),
        ],
    )


def _corruption_rules(dataset_ids: list[str]) -> list[FaultRule]:
    """Corrupt at most one download request of each dataset, at random.

    The emulator flips the same bytes on every corrupt download, and two
    identical corrupt downloads are what a corrupt delivery looks like: the
    gate rightly rejects it. A limit of one per dataset keeps transit
    corruption from ever looking like that.
    """
    return [
        FaultRule(kind=FaultKind.DOWNLOAD_CORRUPT, rate=0.3, dataset_ids=frozenset({dataset_id}), limit=1)
        for dataset_id in dataset_ids
    ]


def choose_changes(catalog: ChaosCatalog, reference: dict[str, str], per_kind: int, rng: random.Random) -> dict[str, list[str]]:
    """Pick the datasets that Gerra or another reviewer changes after their first get.

    Another reviewer's accept goes to datasets the reference rejects: an
    accept carries no reason, so a restarted gate that finds its own accept
    intent and an accepted dataset rightly counts the accept as its own.
    """
    pending = catalog.pending_ids()
    rejected = [dataset_id for dataset_id in pending if reference[dataset_id] == "rejected"]
    accept = rng.sample(rejected, per_kind)
    rest = [dataset_id for dataset_id in pending if dataset_id not in accept]
    chosen = rng.sample(rest, 2 * per_kind)
    return {"supersede": chosen[:per_kind], "discard": chosen[per_kind:], "accept": accept}


def reference_run(catalog: ChaosCatalog, root: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Gate the catalog once without faults, in this process; return each pending dataset's status and reasons."""
    from worker.runner import run_once

    with EmulatorServer(catalog.path) as server:
        settings = load_settings(
            api_url=server.base_url, api_key=API_KEY, rules_dir=REPO_ROOT / "rules",
            work_dir=root / "work", state_dir=root / "state", max_retries=1, retry_max_wait_s=0.2, concurrency=2,
        )
        run_once(settings)
        datasets = [server.store.dataset(dataset_id) for dataset_id in catalog.pending_ids()]
    return {d.id: d.status for d in datasets}, _rejection_reasons(datasets)


def _rejection_reasons(datasets: list[Any]) -> dict[str, str]:
    return {d.id: d.metadata[REJECTION_REASON_KEY] for d in datasets if REJECTION_REASON_KEY in d.metadata}


def run_chaos(plan: ChaosPlan, root: Path, log: Callable[[str], None] = print) -> ChaosResult:
    """Run the whole scenario under `root` and return what it observed."""
    timings: dict[str, float] = {}
    rng = random.Random(plan.seed)
    log(f"chaos seed {plan.seed}: {plan.pending} pending datasets, {plan.kill_rounds} kill rounds")

    started = time.monotonic()
    catalog = build_catalog(root / "catalog", plan.pending, seed=plan.seed, variants=plan.variants)
    timings["build"] = time.monotonic() - started

    started = time.monotonic()
    reference, reference_reasons = reference_run(catalog, root / "reference")
    timings["reference"] = time.monotonic() - started

    changes = choose_changes(catalog, reference, plan.changes_per_kind, rng)
    faults = chaos_faults(plan.seed, changes, catalog.pending_ids())
    gate_root = root / "gate"
    with EmulatorServer(catalog.path) as server:
        server.store.set_faults(faults)
        recorder = _TokenRecorder(server.store)
        initial_status = {d.id: server.store.dataset(d.id)["status"] for d in catalog.deliveries}
        env = gate_env(
            server.base_url, API_KEY, gate_root, max_retries=3, retry_max_wait_s=0.3, hold_backoff_s=0,
            read_timeout_s=1.0, connect_timeout_s=2.0,
        )
        logs = gate_root / "logs"

        started = time.monotonic()
        with _FastClock(server.store, faults.url_lifetime_s):
            kills = _kill_rounds(server, env, logs, plan, rng)
        timings["kill_rounds"] = time.monotonic() - started
        url_refreshes = _count_events(logs, "download_url_refreshed")
        fired = server.store.fault_engine.fired_counts()

        # Faults off, but the status changes stay armed: a dataset whose first
        # get had not happened yet still changes on it, and one that changed
        # already cannot change again.
        server.store.set_faults(
            FaultOptions(
                supersede_after_get=changes["supersede"],
                discard_after_get=changes["discard"],
                accept_after_get=changes["accept"],
            )
        )
        started = time.monotonic()
        final_runs = _finish(server, gate_root)
        timings["finish"] = time.monotonic() - started

        datasets = server.store.datasets()
        new_versions = {d.id: d.iteration.parent_dataset_id for d in datasets if d.iteration.parent_dataset_id}
        final_status = {d.id: d.status for d in datasets}
        reasons = _rejection_reasons(datasets)
        calls = server.store.calls
        tokens = set(recorder.tokens)

    store = StateStore(gate_root / "state" / "gate.sqlite3")
    try:
        exported = store.export()
    finally:
        store.close()
    changed = {dataset_id: AFTER_GET_STATUS[kind] for kind, ids in changes.items() for dataset_id in ids}
    log(f"chaos seed {plan.seed}: timings {json.dumps({k: round(v, 1) for k, v in timings.items()})}, "
        f"{kills} kills while running, {url_refreshes} expired URLs refreshed, {final_runs} final runs, "
        f"faults fired {json.dumps(fired)}")
    return ChaosResult(
        plan=plan, catalog=catalog, reference=reference, reference_reasons=reference_reasons, reasons=reasons,
        changed=changed,
        new_versions={new: parent for new, parent in new_versions.items() if parent is not None},
        final_status=final_status, initial_status=initial_status, calls=calls, store=exported,
        work_files=sorted((gate_root / "work").rglob("*")) if (gate_root / "work").exists() else [],
        texts=_texts(gate_root, exported), tokens=tokens, faults_fired=fired,
        kills_while_running=kills, url_refreshes=url_refreshes, final_runs=final_runs, timings_s=timings,
    )


def _kill_rounds(server: EmulatorServer, env: dict[str, str], logs: Path, plan: ChaosPlan, rng: random.Random) -> int:
    """Start the gate `plan.kill_rounds` times and SIGKILL it at a random moment; return how many kills hit a live gate.

    The moment is a random number of API and download requests into the
    run, plus a random delay, so kills land in every step of the pipeline
    whatever the machine's speed: between requests, mid-download, mid-check
    and between posting and recording.
    """
    kills = 0
    for round_number in range(plan.kill_rounds):
        requests = rng.randint(plan.min_requests_before_kill, plan.max_requests_before_kill)
        delay_s = rng.uniform(0.0, plan.kill_delay_s)
        target = _request_total(server) + requests
        gate = start_gate(env, logs, f"round-{round_number:03d}")
        try:
            wait_until(lambda: _request_total(server) >= target or gate.process.poll() is not None,
                       300, f"the gate sends {requests} requests")
            time.sleep(delay_s)
            if gate.process.poll() is None:
                kills += 1
            gate.kill()
        finally:
            gate.kill_tree()
    return kills


def _request_total(server: EmulatorServer) -> int:
    return sum(server.store.calls.requests.values())


def _finish(server: EmulatorServer, gate_root: Path) -> int:
    """Run the gate in this process until nothing of ours is pending or in flight; return the number of runs."""
    from worker.runner import run_once

    settings = load_settings(
        api_url=server.base_url, api_key=API_KEY, rules_dir=REPO_ROOT / "rules", work_dir=gate_root / "work",
        state_dir=gate_root / "state", max_retries=1, retry_max_wait_s=0.2, hold_backoff_s=0, concurrency=2,
    )
    for run_number in range(1, FINAL_RUNS_MAX + 1):
        run_once(settings)
        if not _unfinished(server, gate_root):
            return run_number
    raise AssertionError(f"datasets still pending or in flight after {FINAL_RUNS_MAX} clean runs: "
                         f"{_unfinished(server, gate_root)}")


def _unfinished(server: EmulatorServer, gate_root: Path) -> list[str]:
    ours = server.store.query(server.store.organization_for_key(API_KEY), status="pending")
    store = StateStore(gate_root / "state" / "gate.sqlite3")
    try:
        in_flight = [decision.dataset_id for decision in store.pending_intents()]
    finally:
        store.close()
    return [dataset.id for dataset in ours] + in_flight


def _count_events(log_dir: Path, event: str) -> int:
    """Count the JSON log lines of one event in every gate log under `log_dir`."""
    marker = f'"event": "{event}"'
    return sum(path.read_text(errors="replace").count(marker) for path in log_dir.glob("*.log"))


def _texts(gate_root: Path, exported: dict[str, Any]) -> dict[str, str]:
    """Collect every text the gate wrote: logs, stdout, reports, and the state database."""
    texts = {"state export": json.dumps(exported, default=str)}
    for path in sorted(gate_root.rglob("*")):
        if path.is_file():
            texts[str(path.relative_to(gate_root))] = path.read_bytes().decode("utf-8", errors="replace")
    return texts
