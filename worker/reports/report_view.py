"""Plain values the HTML template shows: dataset fields, iteration history and check results.

Everything here is text or lists of text, already shortened and with URL
query strings removed, so the template only lays it out. A signed download
URL carries its access token in the query string, so no token reaches the
page even where a field contains such a URL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from worker.checks.results import CheckResult, Severity, Status

MAX_RESULTS_PER_GROUP = 300
MAX_EXAMPLES = 10
MAX_DETAILS_CHARS = 3000
MAX_VALUE_CHARS = 160

# Fields that hold signed URLs (with an access token) or previews behind them.
HIDDEN_FIELDS = frozenset({"signed_url", "download_url", "preview_urls"})
DATASET_FIELDS = (
    "id", "name", "data_type", "status", "organization_id", "date_created", "date_updated",
    "data_byte_size", "link", "description",
)
ITERATION_COLUMNS = (
    "version", "dataset_id", "status", "created_at", "prompt", "parent_dataset_id",
    "regeneration_reason", "superseded_reason",
)
_URL_QUERY = re.compile(r"(?P<base>[a-z][a-z0-9+.-]*://[^\s?#\"'<>]+)\?[^\s\"'<>]*", re.IGNORECASE)


def redact_urls(text: str) -> str:
    """Cut the query string off every URL in `text`, where signed URLs keep their token."""
    return _URL_QUERY.sub(lambda m: m.group("base") + "?…", text)


def short_text(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """Render a value as one line of at most `limit` characters, URLs redacted."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, default=str, ensure_ascii=False)
    text = redact_urls(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(value: Any) -> Any:
    """Turn a pydantic model into its JSON form; leave dicts and None as they are."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def dataset_rows(dataset: dict[str, Any]) -> list[tuple[str, str]]:
    """List the Gerra fields of a dataset as (name, text), documented fields first, URLs redacted."""
    rows = []
    for key in DATASET_FIELDS:
        if key in dataset and dataset[key] is not None:
            value = dataset[key]
            text = f"{value:,} bytes" if key == "data_byte_size" and isinstance(value, int) else short_text(value, 400)
            rows.append((key, text))
    for key, value in dataset.items():
        if key not in DATASET_FIELDS and key not in HIDDEN_FIELDS and key != "metadata" and value is not None:
            rows.append((key, short_text(value, 400)))
    return rows


def metadata_rows(dataset: dict[str, Any]) -> list[tuple[str, str]]:
    metadata = dataset.get("metadata") or {}
    if not isinstance(metadata, dict):
        return [("metadata", short_text(metadata, 400))]
    return [(str(key), short_text(value, 400)) for key, value in metadata.items() if key not in HIDDEN_FIELDS]


@dataclass
class IterationView:
    """The dataset's iteration group: group id, counts and one row per version."""

    group_id: str | None
    total_versions: int | None
    latest_version: int | None
    rows: list[dict[str, str]] = field(default_factory=list)
    current_id: str | None = None


def iteration_view(iterations: Any, dataset_id: str | None) -> IterationView | None:
    """Build the history table from a model, a dict or None; None when there is no history."""
    data = plain(iterations)
    if not isinstance(data, dict):
        return None
    entries = data.get("iterations") or []
    rows = []
    for entry in sorted((e for e in entries if isinstance(e, dict)), key=lambda e: e.get("version") or 0):
        rows.append({column: short_text(entry.get(column), 400) for column in ITERATION_COLUMNS})
    return IterationView(
        group_id=data.get("iteration_group_id"),
        total_versions=data.get("total_versions"),
        latest_version=data.get("latest_version"),
        rows=rows,
        current_id=dataset_id,
    )


@dataclass
class ResultView:
    """One check result as the page shows it."""

    rule: str
    check: str
    suite: str
    status: str
    severity: str
    member: str
    column: str
    message: str
    numbers: str
    examples: list[dict[str, str]]
    details: str


@dataclass
class ResultGroup:
    """Results of one kind (could not run, failed, warnings, passed, skipped), capped in length."""

    key: str
    title: str
    results: list[ResultView]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.results)


def result_groups(results: list[CheckResult]) -> list[ResultGroup]:
    """Group results in reading order: could not run, failed, warnings, passed, skipped."""
    buckets: dict[str, list[CheckResult]] = {"error": [], "failed": [], "warning": [], "passed": [], "skipped": []}
    for result in results:
        buckets[_bucket(result)].append(result)
    titles = {
        "error": "Could not run",
        "failed": "Failed",
        "warning": "Warnings",
        "passed": "Passed",
        "skipped": "Skipped",
    }
    return [
        ResultGroup(key, titles[key], [result_view(r) for r in items[:MAX_RESULTS_PER_GROUP]], len(items))
        for key, items in buckets.items()
        if items
    ]


def _bucket(result: CheckResult) -> str:
    if result.status is Status.ERROR:
        return "error"
    if result.status is Status.FAILED:
        return "warning" if result.severity is Severity.WARNING else "failed"
    return result.status.value


def result_view(result: CheckResult) -> ResultView:
    counts = ""
    if result.failed_count is not None and result.total_count is not None:
        counts = f"{result.failed_count:,} of {result.total_count:,} failed"
    elif result.total_count is not None:
        counts = f"{result.total_count:,} checked"
    details = ""
    if result.details:
        details = redact_urls(json.dumps(result.details, indent=1, default=str, ensure_ascii=False))
        if len(details) > MAX_DETAILS_CHARS:
            details = details[:MAX_DETAILS_CHARS] + "\n… (shortened; the JSON report has every detail)"
    numbers = [counts] if counts else []
    if result.observed is not None:
        numbers.append(f"observed {short_text(result.observed)}")
    if result.expected is not None:
        numbers.append(f"expected {short_text(result.expected)}")
    return ResultView(
        rule=result.rule or result.check,
        check=result.check,
        suite=f"{result.suite} v{result.suite_version}" if result.suite else "",
        status=result.status.value,
        severity=result.severity.value,
        member=short_text(result.member, 200),
        column=short_text(result.column, 200),
        message=redact_urls(result.message),
        numbers=" · ".join(numbers),
        examples=[
            {
                "member": short_text(example.member, 200),
                "episode": short_text(example.episode),
                "row": short_text(example.row),
                "column": short_text(example.column, 120),
                "value": short_text(example.value),
            }
            for example in result.examples[:MAX_EXAMPLES]
        ],
        details=details,
    )
