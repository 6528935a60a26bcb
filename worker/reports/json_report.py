"""The JSON report: the full record of one gating, with every check result."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from worker import __version__
from worker.log import scrub_value
from worker.verdict import Evaluation


@dataclass
class GateRecord:
    """What the gate knew and decided about one dataset in one attempt."""

    dataset: dict[str, Any]
    evaluation: Evaluation
    reason: str | None
    archive: dict[str, Any] = field(default_factory=dict)
    rules_digest: str | None = None
    iterations: Any = None
    timings_s: dict[str, float] = field(default_factory=dict)
    dry_run: bool = False
    posted: str | None = None
    # Plot data gathered while the archive was open (episode timing, value
    # ranges, video frames); the HTML report draws it, the JSON omits it.
    report_data: dict[str, Any] = field(default_factory=dict)


def report_document(record: GateRecord) -> dict[str, Any]:
    evaluation = record.evaluation
    results = sorted(evaluation.results, key=lambda r: (r.status.value != "failed", r.severity.value != "error"))
    return {
        "gate_version": __version__,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dataset": record.dataset,
        "verdict": evaluation.verdict.value,
        "reason": record.reason,
        "hold_cause": evaluation.hold_cause,
        "dry_run": record.dry_run,
        "posted": record.posted,
        "suites": [{"name": s.name, "version": s.version} for s in evaluation.suites],
        "rules_digest": record.rules_digest,
        "archive": record.archive,
        "iterations": _plain(record.iterations),
        "counts": evaluation.counts(),
        "policy_failures": evaluation.policy_failures,
        "timings_s": {k: round(v, 3) for k, v in record.timings_s.items()},
        "results": [r.to_dict() for r in results],
    }


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def write_json_report(record: GateRecord, reports_dir: Path) -> Path:
    """Write the report atomically under `reports_dir/<dataset id>/` and return its path."""
    dataset_id = str(record.dataset.get("id", "local"))
    folder = reports_dir / _safe_name(dataset_id)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}.json"
    partial = path.with_suffix(".json.part")
    with open(partial, "w", encoding="utf-8") as handle:
        # Vendor metadata can quote URLs with access tokens too; the report masks them as the logs do.
        json.dump(json_safe(scrub_value(report_document(record))), handle, indent=2, default=str, allow_nan=False)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)
    # `latest` names the newest report, so tools find it without listing the folder.
    latest = folder / "latest"
    tmp_latest = folder / "latest.part"
    tmp_latest.write_text(path.name)
    tmp_latest.replace(latest)
    return path


def json_safe(value: Any) -> Any:
    """Replace NaN and infinities, which JSON cannot hold, with their names."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        try:
            return json_safe(value.item())
        except (TypeError, ValueError):
            return str(value)
    if hasattr(value, "tolist"):
        return json_safe(value.tolist())
    return value


def _safe_name(value: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in value)[:120] or "dataset"
