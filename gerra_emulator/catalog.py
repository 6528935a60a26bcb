"""Load and validate an emulator catalog: organisations, API keys and datasets.

A catalog is a JSON file with ``organizations`` and ``datasets``. Each dataset
carries the Gerra dataset fields except ``link``, ``signed_url`` and
``data_byte_size``, plus ``file`` (the archive's path relative to the catalog)
and an optional ``iteration`` record. Datasets that share an iteration
``group_id`` form one version history.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
UUID_RE = re.compile(UUID_PATTERN)

Status = Literal["pending", "accepted", "rejected", "for_admin_review", "superseded", "discarded"]
STATUSES: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]

UuidStr = Annotated[str, Field(pattern=UUID_PATTERN)]
ApiKey = Annotated[str, Field(min_length=1, pattern=r"^\S+$")]


class CatalogError(ValueError):
    """A catalog file that cannot be served, with every problem found."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid catalog {path}: {len(problems)} problem(s)\n{lines}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganizationEntry(_Strict):
    """An organisation and the API keys that authenticate as it."""

    id: UuidStr
    name: str
    api_keys: list[ApiKey] = []
    inactive_api_keys: list[ApiKey] = Field(
        default=[], description="Known keys that the emulator rejects with 401 (revoked keys)."
    )


class PreviewUrls(BaseModel):
    """Preview media of one version; either member may be null."""

    model_config = ConfigDict(extra="allow", frozen=True)

    gif: str | None = None
    pose_frame: str | None = None


class IterationEntry(_Strict):
    """A dataset's place in its iteration group."""

    group_id: UuidStr
    version: Annotated[int, Field(ge=0)]
    prompt: str | None = None
    parent_dataset_id: UuidStr | None = None
    regeneration_reason: str | None = None
    superseded_reason: str | None = None
    preview_urls: PreviewUrls = PreviewUrls()


class DatasetEntry(_Strict):
    """A dataset as written in the catalog."""

    id: UuidStr
    organization_id: UuidStr
    name: str
    description: str | None = None
    data_type: Annotated[str, Field(min_length=1)]
    status: Status
    file: str | None = None
    metadata: dict[str, Any] = {}
    date_created: AwareDatetime
    date_updated: AwareDatetime
    iteration: IterationEntry | None = None


class CatalogFile(_Strict):
    """The top level of a catalog file."""

    organizations: list[OrganizationEntry]
    datasets: list[DatasetEntry]


@dataclass(frozen=True)
class Catalog:
    """A validated catalog with each dataset's archive resolved to a path."""

    path: Path
    organizations: tuple[OrganizationEntry, ...]
    datasets: tuple[DatasetEntry, ...]
    files: dict[str, Path]
    """Dataset id to the absolute archive path, for datasets that have a file."""


def load_catalog(path: Path | str) -> Catalog:
    """Read, validate and resolve a catalog file.

    Raises:
        CatalogError: the file is missing, is not JSON, breaks the schema, or
            names missing archives, unknown organisations or duplicate ids.
    """
    path = Path(path).resolve()
    raw = _read_json(path)
    try:
        parsed = CatalogFile.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(path, [_describe_error(error, raw) for error in exc.errors()]) from None

    problems, files = _check_references(path.parent, parsed)
    if problems:
        raise CatalogError(path, problems)
    return Catalog(path, tuple(parsed.organizations), tuple(parsed.datasets), files)


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise CatalogError(path, [f"catalog file not found: {path}; pass the path of an existing catalog.json"])
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CatalogError(path, [f"not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    except UnicodeDecodeError as exc:
        raise CatalogError(path, [f"not UTF-8 text: {exc}"]) from None


def _describe_error(error: dict[str, Any], raw: Any) -> str:
    """Format one schema error with its location, naming the dataset id when known."""
    loc = error["loc"]
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    if len(loc) >= 2 and loc[0] == "datasets" and isinstance(loc[1], int):
        try:
            dataset_id = raw["datasets"][loc[1]].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            dataset_id = None
        if dataset_id:
            where += f" (dataset {dataset_id})"
    message = f"{where}: {error['msg']}"
    if error["type"] != "missing":
        message += f" (got {error['input']!r})"
    return message


def _check_references(base_dir: Path, parsed: CatalogFile) -> tuple[list[str], dict[str, Path]]:
    """Check everything the schema cannot: ids, keys, files and iteration groups."""
    problems: list[str] = []
    problems += _duplicates("organization id", (org.id.lower() for org in parsed.organizations))
    problems += _duplicates(
        "API key", (key for org in parsed.organizations for key in [*org.api_keys, *org.inactive_api_keys])
    )
    problems += _duplicates("dataset id", (dataset.id.lower() for dataset in parsed.datasets))

    org_ids = {org.id.lower() for org in parsed.organizations}
    for dataset in parsed.datasets:
        if dataset.organization_id.lower() not in org_ids:
            problems.append(
                f"dataset {dataset.id}: unknown organization_id {dataset.organization_id}; "
                "add it to organizations or fix the id"
            )

    file_problems, files = _resolve_files(base_dir, parsed.datasets)
    problems += file_problems
    problems += _check_iteration_groups(parsed.datasets)
    return problems, files


def _duplicates(label: str, values: Any) -> list[str]:
    counts = Counter(values)
    return [
        f"duplicate {label} {value!r} ({count} times); each must be unique"
        for value, count in counts.items()
        if count > 1
    ]


def _resolve_files(base_dir: Path, datasets: list[DatasetEntry]) -> tuple[list[str], dict[str, Path]]:
    """Resolve archive paths and check that one file name never means two files."""
    problems: list[str] = []
    files: dict[str, Path] = {}
    by_name: dict[str, Path] = {}
    for dataset in datasets:
        if dataset.file is None:
            continue
        path = (base_dir / dataset.file).resolve()
        if not path.is_file():
            problems.append(f"dataset {dataset.id}: file {dataset.file!r} not found at {path}")
            continue
        # Storage links are "datasets/<file name>", so two different archives
        # with the same name would be served under one link.
        earlier = by_name.setdefault(path.name, path)
        if earlier != path:
            problems.append(
                f"dataset {dataset.id}: file name {path.name!r} is used by both {earlier} and {path}; "
                "rename one of them"
            )
            continue
        files[dataset.id.lower()] = path
    return problems, files


def _check_iteration_groups(datasets: list[DatasetEntry]) -> list[str]:
    """Check that each group has one organisation and versions 0..n-1 with known parents."""
    problems: list[str] = []
    groups: dict[str, list[DatasetEntry]] = defaultdict(list)
    for dataset in datasets:
        if dataset.iteration is not None:
            groups[dataset.iteration.group_id.lower()].append(dataset)

    for group_id, members in groups.items():
        orgs = {member.organization_id.lower() for member in members}
        if len(orgs) > 1:
            problems.append(f"iteration group {group_id}: members belong to {len(orgs)} organisations; use one")
        versions = sorted(member.iteration.version for member in members if member.iteration)
        if versions != list(range(len(members))):
            problems.append(
                f"iteration group {group_id}: versions {versions} must be 0..{len(members) - 1} without gaps or repeats"
            )
        member_ids = {member.id.lower() for member in members}
        for member in members:
            parent = member.iteration.parent_dataset_id if member.iteration else None
            if parent is not None and parent.lower() not in member_ids:
                problems.append(
                    f"dataset {member.id}: parent_dataset_id {parent} is not in iteration group {group_id}"
                )
    return problems
