"""The operations and deployment guides name every metric and every deployment file."""

from __future__ import annotations

from pathlib import Path

from worker import metrics

REPO_ROOT = Path(__file__).resolve().parents[2]


def _metric_names() -> list[str]:
    return sorted(collector._name for collector in metrics.REGISTRY._collector_to_names)  # noqa: SLF001 - no public list


def test_metrics_found() -> None:
    names = _metric_names()
    assert "gerra_gate_datasets" in names
    assert "gerra_gate_stuck_datasets" in names


def test_operations_lists_metrics() -> None:
    text = (REPO_ROOT / "docs" / "operations.md").read_text()
    missing = [name for name in _metric_names() if f"| `{name}` |" not in text]
    assert missing == []


def test_deploy_names_files() -> None:
    text = (REPO_ROOT / "docs" / "deploy.md").read_text()
    files = [p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "deploy").rglob("*") if p.is_file()]
    missing = [name for name in files if name not in text and Path(name).name not in text]
    assert missing == []
