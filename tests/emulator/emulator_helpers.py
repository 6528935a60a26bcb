"""Constants of the real catalog and builders of small catalogs for emulator tests."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx

REAL_CATALOG = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "real" / "catalog.json"

ACME_KEY = "gerra_acme0000000000000001"
OTHER_KEY = "gerra_other000000000000001"
ACME_ORG = "660e8400-e29b-41d4-a716-446655440000"
OTHER_ORG = "661e8400-e29b-41d4-a716-446655440999"

G1 = "770e8400-e29b-41d4-a716-446655440001"
LFS = "770e8400-e29b-41d4-a716-446655440002"
SO101 = "770e8400-e29b-41d4-a716-446655440003"
COCKATOO_V1 = "770e8400-e29b-41d4-a716-446655440004"
COCKATOO_V0 = "770e8400-e29b-41d4-a716-446655440005"
COCKATOO_3RD = "770e8400-e29b-41d4-a716-446655440006"
G1_OLD = "770e8400-e29b-41d4-a716-446655440007"
OTHER_ORG_DATASET = "770e8400-e29b-41d4-a716-446655440008"
UNKNOWN_ID = "770e8400-e29b-41d4-a716-4466554400ff"


def http_client(base_url: str, api_key: str | None = ACME_KEY, **options: Any) -> httpx.Client:
    """Return an httpx client for an emulator, sending `api_key` unless it is None.

    TLS verification is off because the emulator speaks plain HTTP; loading
    the CA bundle would add about 0.15 s to every client.
    """
    headers = {"Gerra-Api-Key": api_key} if api_key is not None else {}
    options.setdefault("timeout", 10)
    return httpx.Client(base_url=base_url, headers=headers, verify=False, **options)


def dataset_entry(dataset_id: str, **fields: Any) -> dict[str, Any]:
    """Return a catalog dataset entry with defaults for every required field."""
    entry: dict[str, Any] = {
        "id": dataset_id,
        "organization_id": ACME_ORG,
        "name": f"dataset {dataset_id[-4:]}",
        "description": None,
        "data_type": "episode",
        "status": "pending",
        "file": "a.zip",
        "metadata": {},
        "date_created": "2025-01-10T10:00:00Z",
        "date_updated": "2025-01-10T10:00:00Z",
    }
    entry.update(fields)
    return entry


def write_catalog(
    directory: Path,
    datasets: list[dict[str, Any]],
    *,
    organizations: list[dict[str, Any]] | None = None,
    archives: dict[str, bytes] | None = None,
) -> Path:
    """Write a catalog and its archives into `directory`; return the catalog path.

    Archives default to one small zip, ``a.zip``.
    """
    if archives is None:
        archives = {"a.zip": small_zip()}
    for name, data in archives.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    if organizations is None:
        organizations = [
            {"id": ACME_ORG, "name": "Acme", "api_keys": [ACME_KEY]},
            {"id": OTHER_ORG, "name": "Other", "api_keys": [OTHER_KEY]},
        ]
    path = directory / "catalog.json"
    path.write_text(json.dumps({"organizations": organizations, "datasets": datasets}), encoding="utf-8")
    return path


def small_zip(size: int = 4000) -> bytes:
    """Return a zip archive holding one member of `size` deterministic bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("data.bin", bytes(i % 251 for i in range(size)))
    return buffer.getvalue()
